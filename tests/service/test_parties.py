"""Recognising bodies as parties of the scheme (issue 28, item 1): registered with a remit, keys kept by the
service or by the body, on the trust list (format 3) with their roles; format 2 still published for old verifiers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import CURRENT, Service
from tests.helpers.cli import run_cli
from tests.helpers.service import audit_rows
from verifier.trust.keys import new_signing_key, public_key_pem
from verifier.trust.trustlist import TrustList

SGS = {"id": "sgs", "name": "通标标准技术服务有限公司", "name_en": "SGS", "country": "CH", "roles": ["recognise"],
       "remit": {"markets": ["FR", "DE"], "schemes": ["international-cooperation"]}}  # fmt: skip


def _listed(service: Service, format: int = 4) -> dict[str, Any]:
    document = service.client.get(f"/api/v1/trust-list?format={format}").content
    operator = service.client.app.state.services.registry.issuers.operator_key()  # type: ignore[attr-defined]
    TrustList.from_document(document, [operator.record.public_key])  # it verifies, in either format
    return json.loads(document)["trust_list"]  # type: ignore[no-any-return]


def _party(content: dict[str, Any], party_id: str) -> dict[str, Any]:
    return next(p for p in content["parties"] if p["id"] == party_id)


def test_a_recognising_body_keeping_its_own_key(service: Service, tmp_path: Path) -> None:
    service.issuer()
    before = _listed(service)["version"]
    own = new_signing_key(datetime.now(UTC))
    made = service.client.post("/api/v1/issuers", headers=service.admin,
                               json={**SGS, "public_key": public_key_pem(own.record.public_key).decode()})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["kid"] == own.kid.hex()
    assert not (tmp_path / "keys" / "sgs").exists()  # its private key never came here
    content = _listed(service)
    assert content["format"] == 4 and content["version"] > before
    sgs = _party(content, "sgs")
    remit = {"markets": ["DE", "FR"], "schemes": ["international-cooperation"]}
    assert (sgs["country"], sgs["roles"], sgs["remit"]) == ("CH", ["recognise"], remit)
    assert [k["kid"] for k in sgs["keys"]] == [own.kid.hex()]
    assert _party(content, "zjcert")["roles"] == ["issue"] and _party(content, "zjcert")["remit"] is None
    # Verifiers of spec 1.2 still get the issuers, signed, in the format they read.
    legacy = _listed(service, 2)
    assert legacy["format"] == 2 and [i["id"] for i in legacy["issuers"]] == ["zjcert"]
    assert _listed(service, 3)["format"] == 3
    assert service.client.get("/api/v1/trust-list?format=5").status_code == 422
    # The body's token cannot issue: it recognises.
    token = {"Authorization": f"Bearer {made.json()['token']}"}
    refused = service.client.post(
        "/api/v1/certificates", json=CURRENT["international-cooperation-valve"], headers=token
    )
    assert refused.status_code == 403 and "recognise" in refused.json()["message"]
    shown = service.client.get("/api/v1/issuers/sgs/terms", headers=service.admin).json()
    assert shown["keys_kept"] is False and shown["remit"]["markets"] == ["DE", "FR"]
    # Its keys rotate as it says: the service cannot make one for it.
    assert service.client.post("/api/v1/issuers/sgs/keys/rotate", headers=service.admin).status_code == 409
    newer = new_signing_key(datetime.now(UTC))
    rotated = service.client.post("/api/v1/issuers/sgs/keys/rotate", headers=service.admin,
                                  json={"public_key": public_key_pem(newer.record.public_key).decode()})  # fmt: skip
    assert rotated.status_code == 200 and rotated.json()["kid"] == newer.kid.hex()
    withdrawn = service.client.post(f"/api/v1/issuers/sgs/keys/{newer.kid.hex()}/withdraw", headers=service.admin)
    assert withdrawn.status_code == 200 and withdrawn.json()["active_kid"] is None  # no key made for it
    assert [k["kid"] for k in _party(_listed(service), "sgs")["keys"]] == [own.kid.hex()]
    assert [r["action"] for r in audit_rows(service, "key.%")][-2:] == ["key.rotate", "key.withdraw"]


def test_a_remit_changes_and_the_version_goes_up(service: Service) -> None:
    made = service.client.post("/api/v1/issuers", json=SGS, headers=service.admin)  # the service keeps its key
    assert made.status_code == 201 and made.json()["kid"]
    before = _listed(service)["version"]
    changed = service.client.patch("/api/v1/issuers/sgs/terms", headers=service.admin,
                                   json={"remit": {"markets": ["DE"], "schemes": ["international-cooperation",
                                                                                  "zhejiang-made"]}})  # fmt: skip
    assert changed.status_code == 200, changed.text
    after = _listed(service)
    assert after["version"] > before
    assert _party(after, "sgs")["remit"] == {
        "markets": ["DE"],
        "schemes": ["international-cooperation", "zhejiang-made"],
    }
    both = service.client.patch(
        "/api/v1/issuers/sgs/terms", json={"roles": ["issue", "recognise"]}, headers=service.admin
    )
    assert both.status_code == 200 and both.json()["roles"] == ["issue", "recognise"]
    dropped = service.client.patch("/api/v1/issuers/sgs/terms", json={"roles": ["recognise"]}, headers=service.admin)
    assert dropped.status_code == 422 and "cannot be taken away" in dropped.json()["message"]
    assert [r["detail"]["markets"] for r in audit_rows(service, "party.terms")] == ["DE", "DE"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"remit": None}, "needs a remit"),
        ({"roles": ["issue"]}, "is for a body with the role recognise"),
        ({"country": "XX"}, "not an ISO 3166-1"),
        ({"remit": {"markets": ["DE", "DE"], "schemes": ["zhejiang-made"]}}, "named twice"),
        ({"remit": {"markets": ["de"], "schemes": ["zhejiang-made"]}}, "ISO 3166-1 alpha-2"),
        ({"remit": {"markets": ["DE"], "schemes": ["no-such-scheme"]}}, "schemes must be among"),
        ({"roles": ["recognise", "accredit"]}, "roles"),
        ({"public_key": "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n"}, "public_key"),
        ({"public_key": "x" * 401}, "public_key"),
    ],
    ids=["no remit", "remit without role", "country", "market twice", "lower case", "scheme", "role", "pem", "long"],
)
def test_terms_that_cannot_be_registered(service: Service, change: dict[str, Any], words: str) -> None:
    answer = service.client.post("/api/v1/issuers", json={**SGS, **change}, headers=service.admin)
    assert answer.status_code == 422, answer.text
    assert words in answer.text
    assert service.client.get("/api/v1/issuers/sgs/terms", headers=service.admin).status_code == 404  # nothing kept


def test_the_command_line_registers_a_body_and_changes_its_remit(tmp_path: Path) -> None:
    env = {"VERIFIER_DATA_DIR": str(tmp_path / "data"), "VERIFIER_KEYS_DIR": str(tmp_path / "keys")}
    own = new_signing_key(datetime.now(UTC))
    (tmp_path / "sgs.pub.pem").write_bytes(public_key_pem(own.record.public_key))
    made = run_cli("issuer", "create", "sgs", "--name", "通标", "--name-en", "SGS", "--country", "CH", "--roles",
                   "recognise", "--markets", "DE,FR", "--schemes", "international-cooperation", "--public-key",
                   tmp_path / "sgs.pub.pem", env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert f"recognise sgs: key {own.kid.hex()} (its private key stays with it)" in made.stdout
    changed = run_cli("issuer", "terms", "sgs", "--markets", "DE", env=env)
    assert changed.returncode == 0, changed.stderr
    assert "markets DE; schemes international-cooperation" in changed.stdout
    refused = run_cli("issuer", "terms", "sgs", "--markets", "DE,XX", env=env)
    assert refused.returncode == 2 and "ISO 3166-1 alpha-2" in refused.stderr
