"""The service as a real process: concurrent issuers, and a SIGKILL in the middle of a batch."""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import CURRENT, DEMO, count_certificates
from tests.helpers.server import Server
from tests.helpers.service import register_issuer

KETTLE = DEMO["zhejiang-made-kettle"]


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Any:
    admin = secrets.token_urlsafe(32)
    env = {
        "VERIFIER_DATABASE_URL": database_url,
        "VERIFIER_DATA_DIR": str(tmp_path / "data"),
        "VERIFIER_KEYS_DIR": str(tmp_path / "keys"),
        "VERIFIER_ADMIN_TOKEN": admin,
        "VERIFIER_RENDER_PDFS": "0",  # these tests are about the database; PDFs have their own
    }
    running = Server(tmp_path, env)
    running.start()
    made = httpx.post(
        f"{running.url}/api/v1/issuers",
        json={"id": "zjcert", "name": "浙江认证", "name_en": "ZJ Cert"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert made.status_code == 201, made.text
    running.issuer_headers = {"Authorization": f"Bearer {made.json()['token']}"}  # type: ignore[attr-defined]
    yield running
    running.stop()


def test_200_certificates_from_8_concurrent_clients(server: Server, database_url: str) -> None:
    headers: dict[str, str] = server.issuer_headers  # type: ignore[attr-defined]
    names = sorted(DEMO)

    def client(worker: int) -> list[dict[str, Any]]:
        made = []
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            for i in range(25):
                data = dict(CURRENT[names[(worker + i) % len(names)]])
                if i % 2:
                    data["number"] = f"W{worker}-N{i:03d}"
                else:
                    data.pop("number")
                answer = http.post("/api/v1/certificates", json=data)
                assert answer.status_code == 201, answer.text
                made.append(answer.json())
        return made

    with ThreadPoolExecutor(8) as pool:
        results = [c for batch in pool.map(client, range(8)) for c in batch]
    assert len(results) == 200
    assert len({c["id"] for c in results}) == 200
    assert len({c["number"] for c in results}) == 200
    assert count_certificates(database_url) == 200
    listed = []
    with httpx.Client(base_url=server.url, headers=headers) as http:
        cursor = None
        while True:
            page = http.get(
                "/api/v1/certificates", params={"limit": 200, **({"cursor": cursor} if cursor else {})}
            ).json()
            listed += page["certificates"]
            cursor = page["next_cursor"]
            if not cursor:
                break
    assert {c["id"] for c in listed} == {c["id"] for c in results}


def _transaction_open(database_url: str) -> bool:
    """Whether the server holds a write transaction open right now."""
    if database_url.startswith("sqlite"):
        import sqlite3

        path = database_url.removeprefix("sqlite:///")
        conn = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    url = database_url
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        ).fetchone()
        return bool(row and row[0])


def test_sigkill_in_the_middle_of_a_batch_leaves_all_or_nothing(server: Server, database_url: str) -> None:
    headers: dict[str, str] = server.issuer_headers  # type: ignore[attr-defined]
    outcomes = []
    for attempt in range(8):  # until one kill lands inside the transaction (most do)
        if 0 in outcomes:
            break
        before = count_certificates(database_url)
        batch = [dict(KETTLE, number=f"K{attempt}-{i:04d}") for i in range(500)]
        sent = threading.Thread(
            target=lambda b=batch: _post_quietly(
                f"{server.url}/api/v1/certificates/batch", {"certificates": b}, headers
            ),
            daemon=True,
        )
        sent.start()
        deadline = time.monotonic() + 30
        while not _transaction_open(database_url):
            assert time.monotonic() < deadline, "the batch never opened its transaction"
        server.kill()
        sent.join(timeout=30)
        server.start()
        after = count_certificates(database_url)
        assert after - before in (0, 500), (before, after)
        outcomes.append(after - before)
    assert 0 in outcomes  # the kill landed inside the transaction at least once


def _post_quietly(url: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    with contextlib.suppress(httpx.TransportError):
        httpx.post(url, content=json.dumps(body), headers=headers | {"Content-Type": "application/json"}, timeout=60)


def test_100_single_issuances_at_once_with_their_pdfs(tmp_path: Path, database_url: str) -> None:
    """A hundred issuers' clerks press "issue" in the same second: each certificate rendered and self-tested
    (pdfium, zbar and WeasyPrint are not thread-safe: they must never run in two server threads at once).
    Every answer is 201 or a clear 429/503, the process lives, and the next issuance works."""
    admin = secrets.token_urlsafe(32)
    env = {"VERIFIER_DATABASE_URL": database_url, "VERIFIER_DATA_DIR": str(tmp_path / "data"),
           "VERIFIER_KEYS_DIR": str(tmp_path / "keys"), "VERIFIER_ADMIN_TOKEN": admin}  # fmt: skip
    server = Server(tmp_path, env)
    server.start()
    try:
        headers = register_issuer(httpx.post, admin, server.url)
        start = threading.Barrier(100)

        def issue(i: int) -> int:
            with httpx.Client(base_url=server.url, headers=headers, timeout=300) as http:
                start.wait()
                return http.post("/api/v1/certificates", json=dict(KETTLE, number=f"AT-ONCE-{i:03d}")).status_code

        with ThreadPoolExecutor(100) as pool:
            codes = list(pool.map(issue, range(100)))
        assert server.process is not None and server.process.poll() is None, "the service died"
        assert set(codes) <= {201, 429, 503}, codes
        # Not one of the libraries that are not thread-safe is loaded in the service's own process.
        loaded = Path(f"/proc/{server.process.pid}/maps").read_text()
        assert not [name for name in ("pdfium", "libpango", "libzbar", "uharfbuzz") if name in loaded]
        assert codes.count(201) >= 50, codes
        after = httpx.post(f"{server.url}/api/v1/certificates", json=dict(KETTLE, number="AFTER-1"), headers=headers,
                           timeout=60)  # fmt: skip
        assert after.status_code == 201, after.text
        assert count_certificates(database_url) == codes.count(201) + 1
    finally:
        server.stop()
