"""The operator API: issuers, tokens (hashed, withdrawable), key rotation, the trust list, the audit log."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, select

from tests.helpers import DEMO, Service
from tests.helpers.service import audit_rows
from verifier.store.database import normalize_url
from verifier.store.tables import tokens
from verifier.trust.keys import KeyStore, load_public_key_pem, public_key_pem
from verifier.trust.trustlist import TrustList

KETTLE = DEMO["zhejiang-made-kettle"]


def test_create_issuer_answers_token_once_and_stores_only_its_hash(service: Service) -> None:
    answer = service.client.post(
        "/api/v1/issuers", json={"id": "zjcert", "name": "浙江认证", "name_en": "ZJ Cert"}, headers=service.admin
    )
    assert answer.status_code == 201
    token = answer.json()["token"]
    assert len(token) >= 43 + 4  # 256 bits in base64url, after the prefix
    engine = create_engine(normalize_url(service.settings.database))
    with engine.connect() as conn:
        stored = [dict(r._mapping) for r in conn.execute(select(tokens))]
    engine.dispose()
    assert all(token.encode() not in json.dumps(row, default=repr).encode() for row in stored)
    again = service.client.post(
        "/api/v1/issuers", json={"id": "zjcert", "name": "x", "name_en": "y"}, headers=service.admin
    )
    assert again.status_code == 409
    listed = service.client.get("/api/v1/issuers/zjcert/tokens", headers=service.admin).json()
    assert [t["label"] for t in listed] == ["first token"]
    assert "token" not in listed[0]


def test_withdrawn_token_fails_on_its_very_next_request(service: Service) -> None:
    issuer = service.issuer()
    made = service.client.post("/api/v1/issuers/zjcert/tokens", json={"label": "laptop"}, headers=service.admin)
    headers = {"Authorization": f"Bearer {made.json()['token']}"}
    assert service.client.get("/api/v1/certificates", headers=headers).status_code == 200
    withdrawn = service.client.post(
        f"/api/v1/issuers/zjcert/tokens/{made.json()['id']}/withdraw", headers=service.admin
    )
    assert withdrawn.status_code == 204
    assert service.client.get("/api/v1/certificates", headers=headers).status_code == 401
    assert service.client.get("/api/v1/certificates", headers=issuer).status_code == 200
    twice = service.client.post(f"/api/v1/issuers/zjcert/tokens/{made.json()['id']}/withdraw", headers=service.admin)
    assert twice.status_code == 404


def test_roles(service: Service) -> None:
    issuer = service.issuer()
    body = {"id": "other", "name": "x", "name_en": "y"}
    assert service.client.post("/api/v1/issuers", json=body, headers=issuer).status_code == 403
    assert service.client.post("/api/v1/issuers", json=body).status_code == 401
    assert service.client.post("/api/v1/issuers", json=body, headers={"Authorization": "Bearer x"}).status_code == 401
    assert service.client.post("/api/v1/certificates", json=KETTLE, headers=service.admin).status_code == 403
    refused = [e for e in audit_rows(service) if str(e["action"]).startswith("auth.")]
    # The first refusal of each kind from a client in a window is written at once; the repeats when it ends.
    assert [e["action"] for e in refused] == ["auth.forbidden", "auth.missing", "auth.refused"]
    assert refused[0]["target"] == "POST /api/v1/issuers"
    assert refused[0]["detail"] == {"client": "testclient", "count": 1}
    service.client.app.state.services.refusals.flush()
    repeated = [e for e in audit_rows(service) if str(e["action"]).startswith("auth.")][3:]
    assert [(e["action"], e["detail"]["count"], e["detail"]["repeated"]) for e in repeated] == [
        ("auth.forbidden", 1, True)
    ]


def test_rotation_keeps_old_certificates_valid(service: Service) -> None:
    issuer = service.issuer()
    old = service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).json()
    rotated = service.client.post("/api/v1/issuers/zjcert/keys/rotate", headers=service.admin)
    assert rotated.status_code == 200
    assert rotated.json()["kid"] != old["kid"]
    service.clock.now = service.clock.now + timedelta(seconds=2)
    new = service.client.post("/api/v1/certificates", json=dict(KETTLE, number="ZJM-2024-0318"), headers=issuer).json()
    assert new["kid"] == rotated.json()["kid"]
    for certificate in (old, new):
        assert service.client.post("/api/v1/verify", json={"qr": certificate["qr"]}).json()["verdict"] == "valid"


def test_trust_list_is_signed_by_the_operator_key(service: Service) -> None:
    service.issuer()
    service.client.post("/api/v1/issuers/zjcert/keys/rotate", headers=service.admin)
    document = service.client.get("/api/v1/trust-list").content
    operator = KeyStore(service.settings.keys_dir).keyring("operator").active.public_key
    trust = TrustList.from_document(document, [load_public_key_pem(public_key_pem(operator))])
    (issuer,) = trust.issuers
    assert issuer.info.id == "zjcert"
    assert len(issuer.keys) == 2
    assert sum(k.not_after is None for k in issuer.keys) == 1


def test_every_write_is_audited_with_actor_and_utc_time(service: Service) -> None:
    issuer = service.issuer()
    created = service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).json()
    service.client.post(
        f"/api/v1/certificates/{created['id']}/suspend", json={"reason": "investigation"}, headers=issuer
    )
    service.client.post("/api/v1/issuers/zjcert/tokens", json={}, headers=service.admin)
    service.client.post("/api/v1/issuers/zjcert/keys/rotate", headers=service.admin)
    actions = [e["action"] for e in audit_rows(service)]
    for wanted in ("issuer.create", "certificate.issue", "certificate.suspend", "token.create", "key.rotate"):
        assert wanted in actions
    for entry in audit_rows(service):
        at = entry["at"]
        assert isinstance(at, datetime)
        assert at.tzinfo is not None
        assert at.utcoffset() == timedelta(0)
        assert entry["actor"]
    suspend = next(e for e in audit_rows(service) if e["action"] == "certificate.suspend")
    assert suspend["target"] == f"certificate:{created['id']}"
    assert str(suspend["actor"]).startswith("t")


def test_admin_token_is_generated_once_when_unset(
    tmp_path: object, service_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The generated token goes to a file only its user can read; the log says where, never the token."""
    from pathlib import Path

    from fastapi.testclient import TestClient

    from tests.helpers import make_settings
    from verifier.server.app import create_app

    folder = Path(str(tmp_path))
    settings = make_settings(folder, service_database)
    settings = type(settings)(**{**settings.__dict__, "admin_token": None})
    with TestClient(create_app(settings)) as client:
        written = settings.data_dir / "admin-token"
        token = written.read_text().strip()
        assert token.startswith("vrf_")
        assert written.stat().st_mode & 0o777 == 0o600
        assert str(written) in caplog.text and token not in caplog.text
        made = client.post("/api/v1/issuers", json={"id": "a", "name": "x", "name_en": "y"},
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert made.status_code == 201
    written.unlink()
    caplog.clear()
    with TestClient(create_app(settings)):
        assert "admin token" not in caplog.text
        assert not written.exists()
