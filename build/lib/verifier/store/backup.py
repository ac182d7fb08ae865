"""A consistent copy of the SQLite database while the service runs (SQLite's online backup API).

The copy holds everything the registry has: issuers and their public keys, tokens (as hashes),
certificates, their PDFs, status events and the audit log. The private keys are files in the keys
folder and are backed up apart (see docs/operator.md). PostgreSQL is backed up with its own tools.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from verifier.store.database import create_private, normalize_url


class BackupRefused(ValueError):
    """A backup that cannot be made as asked (not SQLite, destination exists, source missing)."""


@dataclass(frozen=True)
class BackupResult:
    """What was copied: where to, its size, and how many certificates it holds."""

    destination: Path
    size: int
    certificates: int


def backup_sqlite(url: str, destination: Path) -> BackupResult:
    """Copy the SQLite database at ``url`` to ``destination`` (a new file), checked before it is named.

    Pages are copied in steps so that the running service's writers are never held up for long; the
    copy is checked with ``PRAGMA integrity_check`` under a temporary name, then renamed into place.
    """
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite":
        raise BackupRefused("the database is PostgreSQL: back it up with pg_dump (see docs/operator.md)")
    source = Path(parsed.database or "")
    if not source.is_file():
        raise BackupRefused(f"no database at {source}")
    if destination.exists():
        raise BackupRefused(f"{destination} exists; backups never overwrite")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        create_private(partial)  # tokens' hashes and the audit log: readable by this user only
        with sqlite3.connect(source, timeout=30) as live, sqlite3.connect(partial) as copy:
            live.backup(copy, pages=1024)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
            if verdict != "ok":
                raise BackupRefused(f"the copy failed its integrity check: {verdict}")
            (count,) = copy.execute("SELECT count(*) FROM certificates").fetchone()
        live.close()
        copy.close()
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(destination, destination.stat().st_size, int(count))
