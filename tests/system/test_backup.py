"""Backups as docs/operator.md describes them, taken while a live server works, restored into a new one.

SQLite with `verifier backup`; PostgreSQL with the doc's own pg_dump and pg_restore commands.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from tests.helpers import CURRENT, DEMO
from tests.helpers.server import Server
from tests.helpers.service import register_issuer


def backup(home: Path, destination: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "verifier", "backup", str(destination)],
        cwd=home, env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def verdicts_served(home: Path, env: dict[str, str], texts: list[str]) -> list[str]:
    """Start a server on ``env`` (a restored database), check each QR text online, stop it."""
    server = Server(home, env)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            return [client.post("/api/v1/verify", json={"qr": text}).json()["verdict"] for text in texts]
    finally:
        server.stop()


def test_backup_while_serving_then_restore(tmp_path: Path) -> None:
    admin = secrets.token_urlsafe(32)
    env = {"VERIFIER_DATA_DIR": str(tmp_path / "data"), "VERIFIER_KEYS_DIR": str(tmp_path / "keys"),
           "VERIFIER_ADMIN_TOKEN": admin, "VERIFIER_RENDER_PDFS": "0", "VERIFIER_LOG_LEVEL": "warning"}  # fmt: skip
    server = Server(tmp_path, env)
    server.start()
    issued: list[dict[str, str]] = []
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            issuer = register_issuer(client.post, admin)
            stop = threading.Event()

            def keep_issuing() -> None:
                n = 0
                while not stop.is_set():
                    body = {**DEMO["zhejiang-made-kettle"], "number": f"ZJM-2024-{n:04d}"}
                    answer = client.post("/api/v1/certificates", json=body, headers=issuer)
                    assert answer.status_code == 201, answer.text
                    issued.append(answer.json())
                    n += 1

            writer = threading.Thread(target=keep_issuing)
            writer.start()
            while len(issued) < 20:
                stop.wait(0.05)
            copy = tmp_path / "backups" / "verifier.db"
            done = backup(tmp_path, copy, **env)
            stop.set()
            writer.join()
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    assert "not in it: back up" in done.stdout
    saved = int(done.stdout.split()[2])
    assert 20 <= saved <= len(issued)

    # Restore: the copy becomes the database of a new data folder; the keys folder is the same.
    restored = tmp_path / "restored"
    (restored / "data").mkdir(parents=True)
    copy.rename(restored / "data" / "verifier.db")
    # The QR links name the first server's origin: the restored one is configured with that public URL.
    env = {**env, "VERIFIER_DATA_DIR": str(restored / "data"), "VERIFIER_PUBLIC_URL": server.url}
    verdicts = verdicts_served(restored, env, [c["qr"] for c in issued])
    assert verdicts[:saved] == ["valid"] * saved  # everything in the copy verifies
    assert set(verdicts[saved:]) <= {"unregistered"}  # issued after the copy: signed, but not in this registry


def test_backup_refusals(tmp_path: Path) -> None:
    existing = tmp_path / "exists.db"
    existing.write_bytes(b"keep me")
    env = {"VERIFIER_DATA_DIR": str(tmp_path / "data"), "VERIFIER_KEYS_DIR": str(tmp_path / "keys")}
    missing = backup(tmp_path, tmp_path / "new.db", **env)
    assert missing.returncode == 2 and "no database at" in missing.stderr
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "verifier.db").write_bytes(b"")
    refused = backup(tmp_path, existing, **env)
    assert refused.returncode == 2 and "never overwrite" in refused.stderr
    assert existing.read_bytes() == b"keep me"
    postgres = backup(tmp_path, tmp_path / "pg.db", **env, VERIFIER_DATABASE_URL="postgresql://u@127.0.0.1:1/db")
    assert postgres.returncode == 2 and "pg_dump" in postgres.stderr


def test_postgresql_backup_as_documented(tmp_path: Path, postgres_server: str) -> None:
    """operator.md's pg_dump and pg_restore, run while a server issues; the restored copy serves the same."""
    import re

    from tests.helpers.postgres import fresh_database

    doc = (Path(__file__).resolve().parents[2] / "docs" / "operator.md").read_text("utf-8")
    (commands,) = [b for b in re.findall(r"^```sh\n(.*?)^```", doc, flags=re.S | re.M) if "pg_dump" in b]
    source = fresh_database(postgres_server, f"src{secrets.token_hex(4)}")
    target = fresh_database(postgres_server, f"dst{secrets.token_hex(4)}")
    admin = secrets.token_urlsafe(32)
    env = {"VERIFIER_DATABASE_URL": source, "VERIFIER_KEYS_DIR": str(tmp_path / "keys"),
           "VERIFIER_DATA_DIR": str(tmp_path / "data"), "VERIFIER_ADMIN_TOKEN": admin,
           "VERIFIER_RENDER_PDFS": "0", "VERIFIER_LOG_LEVEL": "warning"}  # fmt: skip
    server = Server(tmp_path, env)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            issuer = register_issuer(client.post, admin)
            issued = [client.post("/api/v1/certificates", json=data, headers=issuer).json()
                      for data in CURRENT.values()]  # fmt: skip
            revoked = issued[0]["id"]
            client.post(f"/api/v1/certificates/{revoked}/revoke", json={"reason": "fraud"}, headers=issuer)
            done = subprocess.run(["bash", "-c", "set -euo pipefail\n" + commands], cwd=tmp_path,
                                  env={**os.environ, **env, "RESTORE_DATABASE_URL": target},
                                  capture_output=True, text=True, timeout=120)  # fmt: skip
            assert done.returncode == 0, done.stderr
            expected = [client.post("/api/v1/verify", json={"qr": c["qr"]}).json()["verdict"] for c in issued]
    finally:
        server.stop()
    assert expected.count("revoked") == 1
    home = tmp_path / "restored"
    home.mkdir()
    env = {**env, "VERIFIER_DATABASE_URL": target, "VERIFIER_PUBLIC_URL": server.url}
    # The same registry, statuses included.
    assert verdicts_served(home, env, [c["qr"] for c in issued]) == expected
