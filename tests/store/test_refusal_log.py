"""Refused requests as an attacker sends them: audited, bounded, limited, and never a 500 (both databases)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from tests.helpers import Clock, Service, make_settings
from tests.helpers.service import audit_rows
from verifier.server.app import create_app
from verifier.store.database import normalize_url
from verifier.store.tables import audit_log


def database_bytes(service: Service) -> int:
    """What the database takes on disk now: the SQLite file with its WAL, or PostgreSQL's audit table."""
    url = service.settings.database
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_total_relation_size('audit_log')")).scalar_one())
    finally:
        engine.dispose()


def test_a_flood_of_refusals_with_huge_paths_stays_small(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url)
    # One window for the whole flood, however long this machine takes over it.
    with TestClient(create_app(settings, Clock(), rate_clock=lambda: 1000.0)) as client:
        flood(Service(client, {}, Clock(), settings))


def flood(service: Service) -> None:
    service.client.get("/api/v1/certificates")  # the first refusal: the audit table has its first pages
    before = database_bytes(service)
    path = "/api/v1/certificates/" + "x" * 60_000
    for i in range(300):  # 18 MB of paths: kept whole, they would be far past the bound below
        headers = {"Authorization": f"Bearer vrf_{i}"} if i % 2 else {}
        assert service.client.get(path, headers=headers).status_code == 401
    service.client.app.state.services.refusals.flush()  # type: ignore[attr-defined]
    grown = database_bytes(service) - before
    assert grown < 1024 * 1024, grown
    rows = audit_rows(service, "auth.%")
    assert len(rows) <= 6  # per client and window: each kind's first at once, the rest as one counted row
    assert sum(r["detail"]["count"] for r in rows) == 301  # type: ignore[index]
    for row in rows:
        assert len(str(row["target"])) <= 100
    cut = [r for r in rows if str(r["target"]).startswith("GET /api/v1/certificates/x")]
    assert cut and all(str(r["target"]).endswith("…") for r in cut)


def test_too_many_refusals_from_one_client_are_429(tmp_path: Path, database_url: str) -> None:
    settings = replace(make_settings(tmp_path, database_url), auth_failure_limit=(5, 60.0))
    now = [1000.0]
    with TestClient(create_app(settings, Clock(), rate_clock=lambda: now[0])) as client:
        admin = {"Authorization": f"Bearer {settings.admin_token}"}
        for _ in range(5):
            assert client.get("/api/v1/certificates", headers={"Authorization": "Bearer nope"}).status_code == 401
        limited = client.get("/api/v1/issuers/x/tokens", headers=admin)  # even a good token waits: no guessing
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) in range(1, 61)
        assert client.post("/api/v1/verify", json={"qr": "x"}).status_code == 200  # the public face is apart
        now[0] += 60
        assert client.get("/api/v1/operator/tokens", headers=admin).status_code == 200
        count = client.app.state.services.registry.engine  # type: ignore[attr-defined]
        with count.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.action == "auth.refused"))
            assert rows.scalar_one() == 2  # the first at once; the other four as one row when the window passed
