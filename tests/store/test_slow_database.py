"""A database that does not answer (a table locked by another session) on PostgreSQL: a new seal's lookup
gives up after the statement timeout (503, ``Retry-After``), and the seals known already, the status lists
and the credentials asked for before are answered from memory meanwhile."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.helpers import CURRENT, PUBLIC_URL
from tests.helpers.service import make_settings, running_service
from verifier.store.seals import STATEMENT_TIMEOUT_MS

JSON = {"Accept": "application/json"}


def test_a_locked_registry_makes_new_seals_503_and_known_ones_answer(tmp_path: Path, postgres_url: str) -> None:
    with contextmanager(running_service)(make_settings(tmp_path, postgres_url)) as service:
        token = service.issuer()
        made = [
            service.client.post("/api/v1/certificates", json=dict(CURRENT["zhejiang-made-kettle"], number=f"SL-{i}"),
                                headers=token).json()
            for i in range(2)
        ]  # fmt: skip
        known, new = (m["verify_url"].removeprefix(PUBLIC_URL) for m in made)
        credential = made[0]["credential_url"].removeprefix(PUBLIC_URL)
        assert service.client.get(known, headers=JSON).json()["verdict"] == "valid"
        assert service.client.get(credential).status_code == 200
        status = "/status/zjcert/revocation/0"
        assert service.client.get(status).status_code == 200
        locked, release = threading.Event(), threading.Event()

        def hold_the_lock() -> None:
            with psycopg.connect(postgres_url) as conn, conn.transaction():
                conn.execute("LOCK TABLE certificates IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait(30)

        holder = threading.Thread(target=hold_the_lock)
        holder.start()
        try:
            assert locked.wait(10)
            started = time.monotonic()
            answer = service.client.get(new, headers=JSON)
            waited = time.monotonic() - started
            assert answer.status_code == 503 and answer.json()["error"] == "registry_unavailable"
            assert answer.headers["retry-after"] == "1"
            assert STATEMENT_TIMEOUT_MS / 1000 <= waited < STATEMENT_TIMEOUT_MS / 1000 + 5
            started = time.monotonic()
            assert service.client.get(known, headers=JSON).json()["verdict"] == "valid"
            assert service.client.get(credential).status_code == 200
            assert service.client.get(status).status_code == 200
            assert time.monotonic() - started < 1.0  # from memory: the lock is nothing to them
        finally:
            release.set()
            holder.join(30)
        assert service.client.get(new, headers=JSON).json()["verdict"] == "valid"
