"""Refused requests as an attacker sends them: audited, bounded, limited, and never a 500 (both databases)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from tests.helpers import Service
from tests.helpers.service import audit_rows
from verifier.store.database import normalize_url


def test_targets_any_database_can_hold(service: Service) -> None:
    # One of each kind: only a client's first refusal of a kind in a window keeps its own target.
    assert service.client.get("/api/v1/certificates/" + "a" * 150).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert service.client.get("/api/v1/certificates/%00%01", headers=bad).status_code == 401
    issuer = service.issuer()
    assert service.client.get("/api/v1/issuers/vrf_abc/tokens", headers=issuer).status_code == 403
    targets = [str(r["target"]) for r in audit_rows(service, "auth.%")]
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


def test_issuer_ids_the_service_keeps_for_itself(service: Service) -> None:
    for reserved in ("operator", "admin", "system", "cli"):
        body = {"id": reserved, "name": "冒充", "name_en": "Impostor"}
        answer = service.client.post("/api/v1/issuers", json=body, headers=service.admin)
        assert answer.status_code == 409, reserved
        assert "uses itself" in answer.json()["message"]
