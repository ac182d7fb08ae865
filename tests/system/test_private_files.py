"""Files the service writes: the database and its backups readable by their owner only; metrics files apart."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.helpers import Clock, make_settings
from verifier.cli.common import UsageError
from verifier.cli.serve import metrics_folder
from verifier.server.app import create_app
from verifier.store.backup import backup_sqlite


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_and_backup_are_private(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'data' / 'verifier.db'}")
    old = os.umask(0o022)  # a usual umask: files would be 0644
    try:
        with TestClient(create_app(settings, Clock())) as client:
            assert client.get("/healthz").status_code == 200
            database = tmp_path / "data" / "verifier.db"
            assert mode(database) == 0o600
            assert mode(database.with_name("verifier.db-wal")) == 0o600
            done = backup_sqlite(settings.database, tmp_path / "backups" / "copy.db")
            assert mode(done.destination) == 0o600
    finally:
        os.umask(old)


def test_metrics_folder_deletes_only_prometheus_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path, "")
    folder = tmp_path / "metrics"
    folder.mkdir()
    for name in ("counter_12.db", "gauge_livesum_12.db", "histogram_7.db", "verifier.db", "notes.db", "counter.txt"):
        (folder / name).write_text("x")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    metrics_folder(settings)
    assert sorted(p.name for p in folder.iterdir()) == ["counter.txt", "notes.db", "verifier.db"]
    for guarded in (settings.data_dir, settings.keys_dir, tmp_path):
        guarded.mkdir(exist_ok=True)
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(guarded))
        with pytest.raises(UsageError, match="folder of their own"):
            metrics_folder(settings)


def test_serve_refuses_the_data_folder_for_metrics(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "verifier.db").write_bytes(b"")
    env = {
        **os.environ,
        "VERIFIER_DATA_DIR": str(tmp_path / "data"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "verifier", "serve", "--workers", "2", "--port", "1"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "give the metrics a folder of their own" in done.stderr
    assert (tmp_path / "data" / "verifier.db").exists()
