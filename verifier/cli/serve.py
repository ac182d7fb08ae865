"""``verifier serve``, ``migrate`` and ``backup``: the service, and its database."""

from __future__ import annotations

import argparse
import logging
import os
import re
from pathlib import Path

from verifier import logs
from verifier.cli.common import Commands, UsageError, configured_secrets, listen_options, open_registry
from verifier.config import Settings, warn_at_start

log = logging.getLogger("verifier")
WORKER_TIMEOUT = 60  # seconds: a worker starting on a loaded 2-core machine, not a hung one


def register(commands: Commands) -> None:
    """Add ``serve``, ``migrate`` and ``backup`` to the command line."""
    serve = commands.add_parser("serve", help="run the service")
    listen_options(serve)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(run=_serve)

    migrate_ = commands.add_parser("migrate", help="bring the database to this version's schema, then exit")
    migrate_.set_defaults(run=_migrate)

    backup = commands.add_parser("backup", help="copy the SQLite database while the service runs")
    backup.add_argument("destination", type=Path, metavar="FILE", help="a new file (never overwritten)")
    backup.set_defaults(run=_backup)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from verifier.api.protocol import server_options

    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    log_config = logs.configure(settings.log_level, configured_secrets(settings), settings.log_format)
    if args.workers > 1:
        metrics_folder(settings)
    warn_at_start(settings)
    open_registry(settings)  # migrate once, before the workers start
    if args.workers > 1:
        # Each worker builds the app (keys, caches) before it answers its supervisor: on a busy
        # machine that takes longer than uvicorn's 5 s, and a worker killed for it starts again,
        # and again. The supervisor waits this long, and says what it restarts and why.
        log.info(
            "starting %d workers; one that does not answer its supervisor for %d s is restarted",
            args.workers, WORKER_TIMEOUT, extra={"fields": {"workers": args.workers}},
        )  # fmt: skip
    uvicorn.run(
        "verifier.server.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=log_config,
        timeout_worker_healthcheck=WORKER_TIMEOUT,
        **server_options(settings),
    )
    return 0


# What prometheus_client names its files in a multiprocess folder: counter_123.db, gauge_livesum_123.db, ...
_PROMETHEUS_FILE = re.compile(r"(counter|gauge_[a-z]+|histogram|summary)_[0-9]+\.db")


def metrics_folder(settings: Settings) -> None:
    """Several workers share their metrics through files: a folder of their own, cleared of the last run's.

    Only prometheus_client's own files are deleted; a folder that is (or holds) the data folder, the
    keys folder or the database is refused, since clearing it would lose them.
    """
    from sqlalchemy import make_url

    from verifier.store.database import normalize_url

    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.data_dir / "metrics").resolve()
    database = make_url(normalize_url(settings.database)).database if settings.database.startswith("sqlite") else None
    guarded = [settings.data_dir.resolve(), settings.keys_dir.resolve()]
    if any(folder == g or g.is_relative_to(folder) for g in guarded) or (
        database and Path(database).resolve().parent == folder
    ):
        raise UsageError(
            f"PROMETHEUS_MULTIPROC_DIR={folder} is where the service keeps its data or keys; "
            "give the metrics a folder of their own"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        if _PROMETHEUS_FILE.fullmatch(stale.name) and stale.is_file():
            stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.store.database import make_engine, migrate, schema_revision

    engine = make_engine(settings.database)
    before = schema_revision(engine)
    migrate(engine)
    after = schema_revision(engine)
    engine.dispose()
    print(f"schema {after}" + (f" (was {before or 'empty'})" if before != after else " (already current)"))
    return 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.store.backup import backup_sqlite

    done = backup_sqlite(settings.database, args.destination)
    print(f"backed up {done.certificates} certificates to {done.destination} ({done.size / 2**20:.1f} MiB)")
    print(f"the private keys are not in it: back up {settings.keys_dir} apart")
    return 0
