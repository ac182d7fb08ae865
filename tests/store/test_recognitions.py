"""Parties and recognitions on PostgreSQL: the workflow's service tests again, their database a PostgreSQL one
(the store's locks, unique markets and append-only triggers), and the schema the migrations make."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from tests.service.test_parties import test_a_recognising_body_keeping_its_own_key  # noqa: F401
from tests.service.test_recognitions import (  # noqa: F401
    scene,
    test_an_issuer_asks_and_the_body_signs,
    test_every_attack_on_an_upload_is_refused,
    test_recognitions_lapse_with_their_certificate_and_have_their_own_status,
)
from verifier.store.database import normalize_url
from verifier.store.tables import APPEND_ONLY, metadata


def test_the_migrations_make_the_schema_the_tables_describe(database_url: str) -> None:
    """Every table, column, index and key of ``tables.py`` is what the migrations made, on both databases."""
    engine = create_engine(normalize_url(database_url))
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
            if conn.dialect.name == "postgresql":
                query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
            else:
                query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            triggers = set(conn.execute(text(query)).scalars())
        for table in APPEND_ONLY:  # the database itself refuses to change what is recorded
            assert any(t.startswith(f"{table}_") for t in triggers), table
    finally:
        engine.dispose()
