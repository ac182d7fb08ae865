"""Refused requests as an attacker sends them: audited, bounded, limited, and never a 500 (both databases)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from tests.conftest import Clock, Service, make_settings
from verifier.api.app import create_app
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


def audit_rows(service: Service) -> list[dict[str, object]]:
    engine = create_engine(normalize_url(service.settings.database))
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(audit_log).where(audit_log.c.action.like("auth.%")).order_by(audit_log.c.seq))
            return [dict(r._mapping) for r in rows]
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
    for i in range(1000):
        headers = {"Authorization": f"Bearer vrf_{i}"} if i % 2 else {}
        assert service.client.get(path, headers=headers).status_code == 401
    service.client.app.state.services.refusals.flush()  # type: ignore[attr-defined]
    grown = database_bytes(service) - before
    assert grown < 1024 * 1024, grown
    rows = audit_rows(service)
    assert len(rows) <= 6  # per client and window: each kind's first at once, the rest as one counted row
    assert sum(r["detail"]["count"] for r in rows) == 1001  # type: ignore[index]
    for row in rows:
        assert len(str(row["target"])) <= 100
    cut = [r for r in rows if str(r["target"]).startswith("GET /api/v1/certificates/x")]
    assert cut and all(str(r["target"]).endswith("…") for r in cut)


def test_targets_any_database_can_hold(service: Service) -> None:
    # One of each kind: only a client's first refusal of a kind in a window keeps its own target.
    assert service.client.get("/api/v1/certificates/" + "a" * 150).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert service.client.get("/api/v1/certificates/%00%01", headers=bad).status_code == 401
    issuer = service.issuer()
    assert service.client.get("/api/v1/issuers/vrf_abc/tokens", headers=issuer).status_code == 403
    targets = [str(r["target"]) for r in audit_rows(service)]
    assert targets[0] == "GET /api/v1/certificates/" + "a" * 74 + "…"
    assert any("??" in t for t in targets)  # control characters replaced: PostgreSQL's text holds no NUL
    assert not any("vrf_abc" in t for t in targets)  # a token pasted into a path is not kept


def test_a_failing_audit_write_still_answers_401(service: Service) -> None:
    engine = create_engine(normalize_url(service.settings.database))
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_log"))
    engine.dispose()
    assert service.client.get("/api/v1/certificates").status_code == 401
    assert service.client.get("/api/v1/certificates", headers={"Authorization": "Bearer nope"}).status_code == 401


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


def test_issuer_ids_the_service_keeps_for_itself(service: Service) -> None:
    for reserved in ("operator", "admin", "system", "cli"):
        body = {"id": reserved, "name": "冒充", "name_en": "Impostor"}
        answer = service.client.post("/api/v1/issuers", json=body, headers=service.admin)
        assert answer.status_code == 409, reserved
        assert "uses itself" in answer.json()["message"]
