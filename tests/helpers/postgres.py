"""A throwaway PostgreSQL cluster for the suite: initdb into a temporary folder, pg_ctl on a free port.

Run as root (as CI does), the server runs as the ``postgres`` system user, since PostgreSQL refuses root.
Set VERIFIER_TEST_POSTGRES_URL to use a server of your own instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def _binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(pg_ctl).resolve().parent
    raise RuntimeError("PostgreSQL is not installed: make test installs it (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def throwaway_cluster(keep: Path | None = None) -> Iterator[str]:
    """A running server for the duration; yields the URL of its ``postgres`` database.

    With ``keep``, the cluster lives in that folder and stays there after it stops (a benchmark's filled
    registry, measured again later); it is created the first time.
    """
    if os.environ.get("VERIFIER_TEST_POSTGRES_URL"):
        yield os.environ["VERIFIER_TEST_POSTGRES_URL"]
        return
    bin_dir = _binaries()
    root = keep or Path(tempfile.mkdtemp(prefix="verifier-pg-"))
    data, sockets = root / "data", root / "run"
    root.mkdir(parents=True, exist_ok=True)
    sockets.mkdir(exist_ok=True)
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        os.chown(sockets, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, cwd=root, timeout=120)

    if not (data / "PG_VERSION").exists():
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast" if keep else "immediate",
                        "stop"], capture_output=True, cwd=root, timeout=120)  # fmt: skip
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def fresh_database(server_url: str, name: str) -> str:
    """A new, empty database on the server; returns its URL."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"
