"""Databases for the tests, each a copy of one migrated once per run: an SQLite file, or a PostgreSQL database.

Migrating a fresh database costs a tenth of a second on SQLite and more on PostgreSQL; the suite builds
hundreds. The template is migrated by the code under test (``migrate``), then each test gets a copy: a
file copy for SQLite, ``CREATE DATABASE … TEMPLATE`` for PostgreSQL. The app still runs its migrations
when it starts, and finds nothing to do.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import psycopg

from verifier.store.database import MIGRATIONS, make_engine, migrate

TEMPLATE_NAME = "verifier_template"
# The newest schema revision (what `verifier migrate` reports on a current database).
HEAD_REVISION = sorted(p.name[:4] for p in (MIGRATIONS / "versions").glob("0*.py"))[-1]


def migrated_sqlite(folder: Path) -> Path:
    """An SQLite file in ``folder`` at the newest schema (the template: copy it, never open it)."""
    path = folder / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
    finally:
        engine.dispose()
    leftovers = [p for p in folder.iterdir() if p.name.startswith("template.db-")]
    assert not leftovers, f"the template's journal was left behind: {leftovers}"
    return path


def sqlite_copy(template: Path, folder: Path) -> str:
    """A new SQLite database in ``folder``, a copy of ``template``; its URL."""
    path = folder / "verifier.db"
    shutil.copyfile(template, path)
    path.chmod(0o600)
    return f"sqlite:///{path}"


def migrated_postgres(server_url: str) -> str:
    """A database on the server at the newest schema, to copy: its name."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEMPLATE_NAME}"')
    engine = make_engine(server_url.rsplit("/", 1)[0] + f"/{TEMPLATE_NAME}")
    try:
        migrate(engine)
    finally:
        engine.dispose()
    return TEMPLATE_NAME


def postgres_copy(server_url: str, template: str) -> str:
    """A new database on the server, a copy of ``template``; its URL."""
    name = f"t{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"
