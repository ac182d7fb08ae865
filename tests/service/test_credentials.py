"""Each certificate as a UNTP Digital Conformity Credential (VC 2.0, VC-JOSE) and the did:web documents that
verify it: schema-valid against the bundled DCC 0.6.1 schema, JSON-LD expanded offline against the bundled
contexts, its JWT checked with `cryptography` over the JWS signing input with the key from the DID document.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import jsonld
from sqlalchemy import create_engine, select

from tests.helpers import CURRENT, DEMO, PUBLIC_URL, Service
from tests.helpers.cli import Ran, run_cli
from tests.helpers.credentials import b64url_decode, fetch
from tests.helpers.service import make_settings, running_service
from verifier.certificate.status import LIST_SIZE
from verifier.store.database import normalize_url
from verifier.store.tables import certificates, status_entries

STANDARDS = resources.files("verifier") / "standards"
CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://test.uncefact.org/vocabulary/untp/dcc/0.6.1/": "untp-dcc-context-0.6.1.jsonld",
}


def _loader(url: str, options: Any = None) -> dict[str, Any]:
    """The bundled contexts, and nothing from the network."""
    if url not in CONTEXTS:
        raise jsonld.JsonLdError(f"not bundled: {url}", "loading document failed", code="loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": json.loads((STANDARDS / CONTEXTS[url]).read_text())}


JWT = "application/vc+jwt"


def issue(service: Service, name: str) -> dict[str, Any]:
    """Register the issuer and issue one demo certificate (once per test)."""
    issuer = service.issuer()
    made = service.client.post("/api/v1/certificates", json=CURRENT[name], headers=issuer)
    assert made.status_code == 201, made.text
    return dict(made.json())


def verify_with_did(service: Service, jwt: str, header: dict[str, Any]) -> None:
    """The signature, checked with `cryptography` and the key the DID document lists under the header's kid."""
    did, _, fragment = header["kid"].partition("#")
    assert did.startswith("did:web:verify.zhejiang-made.example:issuers:")  # the public URL's host
    document = service.client.get("/issuers/" + did.rsplit(":", 1)[1] + "/did.json").json()
    (method,) = [m for m in document["verificationMethod"] if m["id"] == header["kid"]]
    assert header["kid"] in document["assertionMethod"] and method["publicKeyJwk"]["kid"] == fragment
    public = Ed25519PublicKey.from_public_bytes(b64url_decode(method["publicKeyJwk"]["x"]))
    signing_input, _, signature = jwt.rpartition(".")
    public.verify(b64url_decode(signature), signing_input.encode("ascii"))  # raises InvalidSignature


@pytest.mark.parametrize("name", sorted(DEMO))
def test_every_reference_certificate_is_a_valid_dcc(name: str, service: Service) -> None:
    made = issue(service, name)
    header, credential, jwt = fetch(service, made)
    assert header == {"alg": "EdDSA", "kid": header["kid"], "typ": "vc+jwt", "cty": "vc"}
    verify_with_did(service, jwt, header)
    schema = json.loads((STANDARDS / "untp-dcc-schema-0.6.1.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert [e.message for e in validator.iter_errors(credential)] == []
    subject = credential["credentialSubject"]
    record = CURRENT[name]  # as issued: dated around today
    assert credential["id"] == made["credential_url"] and credential["issuer"]["id"] == header["kid"].split("#")[0]
    assert subject["issuedToParty"]["registeredId"] == record["holder"]["credit_code"]
    assert len(subject["assessment"]) == len(record["products"]) * len(record["standards"])
    models = {p["product"]["registeredId"] for a in subject["assessment"] for p in a["assessedProduct"]}
    assert models == {m for p in record["products"] for m in p["models"]}
    assert credential["validFrom"] == f"{record['valid_from']}T00:00:00+08:00"
    assert credential["validUntil"] == f"{record['valid_until']}T23:59:59+08:00"
    self_declared = record["scheme"] == "ccc-self-declaration"
    assert (subject["assessorLevel"], subject["attestationType"]) == (
        ("Self", "declaration") if self_declared else ("3rdParty", "certification"))  # fmt: skip
    if "exemption" in record:
        declared = {m["metricName"]: m["metricValue"] for m in subject["assessment"][0]["declaredValue"]}
        assert declared == {"Quantity": {"value": 24, "unit": "H87"},
                            "Declared value": {"value": 18600.0, "unit": "CNY"}}  # fmt: skip
        assert "port of entry CNNGB (Ningbo)" in subject["assessment"][0]["description"]


@pytest.mark.parametrize("name", sorted(DEMO))
def test_every_credential_expands_offline_with_every_term_defined(name: str, service: Service) -> None:
    """JSON-LD expansion against the bundled contexts only: every property an absolute IRI of a published
    vocabulary (none falls to VC 2.0's issuer-dependent @vocab), every type defined."""
    _, credential, _ = fetch(service, issue(service, name))
    expanded = jsonld.expand(credential, {"documentLoader": _loader})
    assert expanded
    properties, types = set(), set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "@type" and isinstance(value, list):
                    types.update(value)
                elif not key.startswith("@"):
                    properties.add(key)
                walk(value)

    walk(expanded)
    assert all(p.startswith("https://") for p in properties), properties
    assert not [p for p in properties | types if "issuer-dependent" in p]
    relative = {t.rsplit("/", 1)[-1] for t in types if not t.startswith(("https://", "http://www.w3.org"))}
    relative |= {t.rsplit("/", 1)[-1] for t in types if t.startswith("http://example.org/")}  # pyld's base
    assert not relative, relative  # every type defined (the schema's undefined ones are left out)


def test_the_pdf_is_the_credentials_conformity_certificate(pdf_service: Service) -> None:
    made = issue(pdf_service, "zhejiang-made-kettle")
    _, credential, _ = fetch(pdf_service, made)
    link = credential["credentialSubject"]["conformityCertificate"]
    pdf = pdf_service.client.get(link["linkURL"].removeprefix(PUBLIC_URL))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert link["hashDigest"] == hashlib.sha256(pdf.content).hexdigest() == made["pdf_sha256"]


def test_did_documents_follow_rotation_and_withdrawal(service: Service) -> None:
    """A credential is signed once, by the key that sealed its certificate: a rotation changes none of its
    bytes (the retired key stays in the DID document); a withdrawal takes the key out, and what it signed
    no longer verifies."""
    issuer = service.issuer()
    made = service.client.post("/api/v1/certificates", json=CURRENT["zhejiang-made-kettle"], headers=issuer).json()
    first = made["kid"]
    before = service.client.get(made["credential_url"].removeprefix(PUBLIC_URL), headers={"Accept": JWT})
    service.client.post("/api/v1/issuers/zjcert/keys/rotate", headers=service.admin)
    document = service.client.get("/issuers/zjcert/did.json")
    assert document.headers["content-type"].startswith("application/did+json")
    kids = [m["publicKeyJwk"]["kid"] for m in document.json()["verificationMethod"]]
    assert first in kids and len(kids) == 2  # the retired key still verifies the credentials it signed
    header, _, jwt = fetch(service, made)
    assert header["kid"].endswith(first) and jwt == before.text  # as issued: the same bytes, the same key
    verify_with_did(service, jwt, header)
    assert service.client.post("/api/v1/verify", json={"qr": jwt}).json()["verdict"] == "valid"
    again = dict(CURRENT["zhejiang-made-kettle"], number="ZJM-2024-7777")
    later = service.client.post("/api/v1/certificates", json=again, headers=issuer).json()
    assert fetch(service, later)[0]["kid"].endswith(later["kid"]) and later["kid"] != first  # the new key's
    withdrawn = service.client.post(f"/api/v1/issuers/zjcert/keys/{first}/withdraw", headers=service.admin)
    assert withdrawn.status_code == 200, withdrawn.text
    kids = [
        m["publicKeyJwk"]["kid"] for m in service.client.get("/issuers/zjcert/did.json").json()["verificationMethod"]
    ]
    assert first not in kids and len(kids) == 1
    refused = service.client.post("/api/v1/verify", json={"qr": fetch(service, made)[2]}).json()
    assert (refused["verdict"], refused["reason"]) == ("unknown_issuer", "unknown_key")
    operator = service.client.get("/.well-known/did.json").json()
    assert operator["id"] == "did:web:verify.zhejiang-made.example" and len(operator["assertionMethod"]) == 1


@pytest.mark.parametrize(
    "path",
    ["/credentials/00000000-0000-4000-8000-000000000000", "/credentials/not-a-uuid", "/credentials/%00",
     "/credentials/00000000-0000-4000-8000-000000000000/pdf", "/issuers/nobody/did.json", "/issuers/NOT_AN_ID/did.json",
     "/credentials/" + "a" * 5000],
)  # fmt: skip
def test_unknown_things_are_404s_not_500s(service: Service, path: str) -> None:
    answer = service.client.get(path)
    assert answer.status_code in (404, 422), answer.text
    assert answer.json()["error"] in ("not_found", "invalid_request")


def _list_bits(service: Service, entry: dict[str, Any]) -> tuple[bool, dict[str, Any], str]:
    """The bit a status entry names, read with gzip and base64 here (not the service's decoder)."""
    path = entry["statusListCredential"].removeprefix(PUBLIC_URL)
    answer = service.client.get(path)
    assert answer.status_code == 200, answer.text
    jwt = answer.json()["id"].removeprefix("data:application/vc+jwt,")
    header, payload, _ = jwt.split(".")
    listed = json.loads(b64url_decode(payload))
    verify_with_did(service, jwt, json.loads(b64url_decode(header)))
    subject = listed["credentialSubject"]
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert subject["statusPurpose"] == entry["statusPurpose"] and subject["encodedList"][0] == "u"
    bits = gzip.decompress(b64url_decode(subject["encodedList"][1:]))
    assert len(bits) * 8 >= 131_072
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8))), listed, answer.headers["etag"]


def test_status_bits_flip_with_the_status_change(service: Service) -> None:
    made = issue(service, "zhejiang-made-kettle")
    _, credential, _ = fetch(service, made)
    entries = {e["statusPurpose"]: e for e in credential["credentialStatus"]}
    assert set(entries) == {"revocation", "suspension"}
    assert {e["type"] for e in entries.values()} == {"BitstringStatusListEntry"}
    assert entries["revocation"]["statusListIndex"] == entries["suspension"]["statusListIndex"]

    def bits() -> tuple[bool, bool]:
        return _list_bits(service, entries["revocation"])[0], _list_bits(service, entries["suspension"])[0]

    assert bits() == (False, False)
    token = service.client.post("/api/v1/issuers/zjcert/tokens", json={"label": "t"}, headers=service.admin).json()
    issuer = {"Authorization": f"Bearer {token['token']}"}
    base = f"/api/v1/certificates/{made['id']}"
    _, listed, etag = _list_bits(service, entries["suspension"])
    path = entries["suspension"]["statusListCredential"].removeprefix(PUBLIC_URL)
    assert service.client.get(path, headers={"If-None-Match": etag}).status_code == 304
    service.clock.now += timedelta(minutes=5)
    assert service.client.post(f"{base}/suspend", json={"reason": "investigation"}, headers=issuer).status_code == 200
    assert bits() == (False, True)  # the very next read
    _, changed, new_etag = _list_bits(service, entries["suspension"])
    assert new_etag != etag and changed["validFrom"] != listed["validFrom"]
    assert service.client.get(path, headers={"If-None-Match": etag}).status_code == 200
    assert service.client.post(f"{base}/reinstate", json={"reason": "cleared"}, headers=issuer).status_code == 200
    assert bits() == (False, False)
    assert service.client.post(f"{base}/revoke", json={"reason": "fraud"}, headers=issuer).status_code == 200
    assert bits() == (True, False)
    answer = service.client.get(path, headers={"Accept": "application/vc+jwt"})
    assert answer.headers["content-type"].startswith("application/vc+jwt") and answer.text.count(".") == 2
    assert "max-age=30" in answer.headers["cache-control"]


def test_indexes_are_random_and_unique_across_1000_issuances(service: Service) -> None:
    issuer = service.issuer()
    kettle = DEMO["zhejiang-made-kettle"]
    made = []
    for start in range(0, 1000, 250):
        batch = [dict(kettle, number=f"R-{i:04d}") for i in range(start, start + 250)]
        answer = service.client.post("/api/v1/certificates/batch", json={"certificates": batch}, headers=issuer)
        assert answer.status_code == 201, answer.text[:300]
        made += answer.json()["certificates"]
    engine = create_engine(normalize_url(service.settings.database))
    try:
        with engine.connect() as conn:
            seq_of = dict(conn.execute(select(certificates.c.id, certificates.c.seq)).all())
            index_of = dict(conn.execute(select(status_entries.c.certificate_seq, status_entries.c.status_index)).all())
    finally:
        engine.dispose()
    indexes = [index_of[seq_of[c["id"]]] for c in made]
    assert len(set(indexes)) == 1000 and all(0 <= i < 131_072 for i in indexes)
    rises = sum(b > a for a, b in itertools.pairwise(indexes))
    assert 400 < rises < 600  # in issue order the indexes go up about as often as down: no sequence to read
    assert max(indexes) - min(indexes) > 100_000  # spread over the list


def test_indexes_are_reserved_before_sealing_and_never_reused(service: Service) -> None:
    """Issuance reserves each index before it seals it: the seal and the registry agree, reservations taken at
    once by concurrent issuances never collide, and one whose issuance failed is never handed out again."""
    from concurrent.futures import ThreadPoolExecutor

    from verifier.store.registry import Registry
    from verifier.verification.check import verify

    issuer = service.issuer()
    registry: Registry = service.client.app.state.services.registry  # type: ignore[attr-defined]
    with ThreadPoolExecutor(4) as pool:  # four issuances reserving at once
        reserved = [i for drawn in pool.map(lambda _: registry.statuslists.reserve("zjcert", 300), range(4))
                    for i in drawn]  # fmt: skip
    assert len(set(reserved)) == 1200
    kettle = DEMO["zhejiang-made-kettle"]
    taken = dict(kettle, number="TAKEN-1")
    assert service.client.post("/api/v1/certificates", json=taken, headers=issuer).status_code == 201
    batch = [dict(kettle, number=f"B-{i}") for i in range(5)]
    refused = service.client.post("/api/v1/certificates/batch", json={"certificates": [*batch, taken]}, headers=issuer)
    assert refused.status_code == 409  # refused before sealing: nothing reserved
    made = service.client.post("/api/v1/certificates/batch", json={"certificates": batch}, headers=issuer).json()
    trust_list = service.client.app.state.services.trust.get()  # type: ignore[attr-defined]
    engine = create_engine(normalize_url(service.settings.database))
    try:
        with engine.connect() as conn:
            seq_of = dict(conn.execute(select(certificates.c.id, certificates.c.seq)).all())
            rows = conn.execute(select(status_entries.c.certificate_seq, status_entries.c.status_index)).all()
    finally:
        engine.dispose()
    index_of = {seq: index for seq, index in rows if seq is not None}
    for certificate in made["certificates"]:
        content = verify(certificate["qr"], trust_list, service.clock.now).certificate
        assert content is not None and content.status_index == index_of[seq_of[certificate["id"]]]
        assert content.status_index not in reserved
    assert sorted(index for seq, index in rows if seq is None) == sorted(reserved)  # still taken, still unbound
    assert len(rows) == 1200 + 1 + 5


def test_refused_issuances_give_their_reserved_indexes_back(service: Service) -> None:
    """A batch refused after its indexes were drawn (a certificate too large for its QR code) leaves none taken:
    refused batches, sent again and again, must not fill the lists and open new ones."""
    issuer = service.issuer()
    kettle = DEMO["zhejiang-made-kettle"]
    huge = dict(kettle, number="HUGE", products=[
        {**kettle["products"][0], "name": "长" * 100, "name_en": "L" * 200,
         "models": [f"M-{i:03d}-{'X' * 30}" for i in range(20)]} for _ in range(4)
    ])  # fmt: skip
    body = {"certificates": [*(dict(kettle, number=f"R-{i}") for i in range(300)), huge]}
    for _ in range(3):
        refused = service.client.post("/api/v1/certificates/batch", json=body, headers=issuer)
        assert refused.status_code == 422 and refused.json()["error"] == "certificate_too_large", refused.text
    issued = service.client.post("/api/v1/certificates", json=dict(kettle, number="OK-1"), headers=issuer)
    assert issued.status_code == 201, issued.text
    engine = create_engine(normalize_url(service.settings.database))
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(status_entries.c.certificate_seq)).all()
    finally:
        engine.dispose()
    assert len(rows) == 1 and rows[0][0] is not None  # the one issued; nothing reserved and left


def test_the_status_index_names_every_list_an_offline_verifier_downloads(service: Service) -> None:
    """/status/index.json: each issuer's revocation and suspension list that holds an index, and each answers."""
    assert service.client.get("/status/index.json").json() == {"lists": []}
    service.client.app.state.services.status_index = None  # type: ignore[attr-defined]  # (kept for 30 s)
    issue(service, "zhejiang-made-kettle")
    listed = service.client.get("/status/index.json").json()["lists"]
    assert [(e["issuer"], e["purpose"], e["number"]) for e in listed] == [("zjcert", "revocation", 0),
                                                                        ("zjcert", "suspension", 0)]  # fmt: skip
    for entry in listed:
        assert entry["url"] == f"{PUBLIC_URL}/status/zjcert/{entry['purpose']}/0"
        assert service.client.get(entry["url"].removeprefix(PUBLIC_URL)).status_code == 200


def test_two_replicas_serve_the_same_status_list(service: Service) -> None:
    """Another app on the same database and keys (a replica) answers the very same bytes, at once."""
    from fastapi.testclient import TestClient

    from verifier.server.app import create_app

    made = issue(service, "zhejiang-made-kettle")
    _, credential, _ = fetch(service, made)
    path = credential["credentialStatus"][1]["statusListCredential"].removeprefix(PUBLIC_URL)
    token = service.client.post("/api/v1/issuers/zjcert/tokens", json={"label": "t"}, headers=service.admin).json()
    with TestClient(create_app(service.settings)) as replica:
        assert replica.get(path).content == service.client.get(path).content
        stale = service.client.get(path).content
        changed = service.client.post(f"/api/v1/certificates/{made['id']}/suspend", json={"reason": "investigation"},
                                      headers={"Authorization": f"Bearer {token['token']}"})  # fmt: skip
        assert changed.status_code == 200
        assert service.client.get(path).content != stale  # here at once
        deadline = time.monotonic() + 1.0  # on another replica within a second (it polls every 0.1 s)
        while replica.get(path).content == stale and time.monotonic() < deadline:
            time.sleep(0.02)
        assert replica.get(path).content == service.client.get(path).content
        assert replica.get(path).headers["etag"] == service.client.get(path).headers["etag"]


def test_the_migration_gives_earlier_certificates_their_places_and_bits(tmp_path: Path, service_database: str) -> None:
    """Certificates issued before the status lists existed (downgraded to 0005 and back, the service stopped as
    an operator would stop it: its once-a-second work would otherwise hold the tables the migration drops): each
    gets an index, the revoked one its bit, and the list serves it."""
    from alembic import command
    from alembic.config import Config

    from verifier.store.database import MIGRATIONS, make_engine, write_transaction

    settings = make_settings(tmp_path, service_database)
    with contextlib.closing(running_service(settings)) as first:
        service = next(first)
        issuer = service.issuer()
        made = [service.client.post("/api/v1/certificates", json=dict(DEMO["zhejiang-made-kettle"], number=n),
                                    headers=issuer).json() for n in ("M-1", "M-2", "M-3")]  # fmt: skip
        service.client.post(f"/api/v1/certificates/{made[1]['id']}/revoke", json={"reason": "fraud"}, headers=issuer)
    engine = make_engine(settings.database)
    try:
        for revision in ("0005", "head"):
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            with write_transaction(engine) as connection:
                config.attributes["connection"] = connection
                (command.downgrade if revision == "0005" else command.upgrade)(config, revision)
        with engine.connect() as conn:
            placed = dict(conn.execute(select(status_entries.c.certificate_seq, status_entries.c.status_index)).all())
    finally:
        engine.dispose()
    assert len(set(placed.values())) == 3
    with contextlib.closing(running_service(settings)) as second:
        service = next(second)
        _, credential, _ = fetch(service, made[1])
        revocation = next(e for e in credential["credentialStatus"] if e["statusPurpose"] == "revocation")
        assert _list_bits(service, revocation)[0] is True
        _, other, _ = fetch(service, made[0])
        assert _list_bits(service, other["credentialStatus"][0])[0] is False


def test_a_scanned_link_answers_its_credential_and_a_linkset(pdf_service: Service) -> None:
    """The QR's own URL, asked for application/vc(+jwt), answers the credential; for application/linkset+json,
    RFC 9264 links to the page, the verdict, the credential and the PDF; the page links the credential."""
    service = pdf_service
    made = issue(service, "zhejiang-made-kettle")
    page = made["verify_url"].removeprefix(PUBLIC_URL)
    credential = service.client.get(
        made["credential_url"].removeprefix(PUBLIC_URL), headers={"Accept": "application/vc+jwt"}
    )
    scanned = service.client.get(page, headers={"Accept": "application/vc+jwt"})
    assert scanned.status_code == 200 and scanned.text == credential.text
    assert (
        service.client.get(page, headers={"Accept": "application/vc"}).json()["type"] == "EnvelopedVerifiableCredential"
    )
    links = service.client.get(page, headers={"Accept": "application/linkset+json"})
    assert links.headers["content-type"].startswith("application/linkset+json")
    (entry,) = links.json()["linkset"]
    assert entry["anchor"] == made["verify_url"]
    assert {link["type"] for link in entry["alternate"]} == {"text/html", "application/json"}
    dcc_links = entry["https://test.uncefact.org/vocabulary/linkTypes/dcc"]
    assert {link["href"] for link in dcc_links} == {made["credential_url"]}
    (pdf,) = entry["https://test.uncefact.org/vocabulary/linkTypes/certificate"]
    assert service.client.get(pdf["href"].removeprefix(PUBLIC_URL)).content.startswith(b"%PDF-")
    html = service.client.get(page + "?lang=en").text
    assert f'href="/credentials/{made["id"]}"' in html and "UN/CEFACT UNTP credential" in html


def test_a_forged_link_has_no_credential(service: Service) -> None:
    from datetime import UTC, datetime

    from verifier.certificate.model import parse_certificate
    from verifier.seal.claims import claims_to_cbor, sealed_content
    from verifier.seal.cose import encode_text, sign
    from verifier.trust.keys import new_signing_key

    stranger = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    forged = sign(claims_to_cbor(sealed_content(parse_certificate(DEMO["zhejiang-made-kettle"]),
                                                service.clock.now)), stranger)  # fmt: skip
    page = "/c/" + encode_text(forged, PUBLIC_URL).rsplit("/", 1)[1]
    refused = service.client.get(page, headers={"Accept": "application/vc"})
    assert refused.status_code == 404 and refused.json()["error"] == "not_found"
    (entry,) = service.client.get(page, headers={"Accept": "application/linkset+json"}).json()["linkset"]
    assert set(entry) == {"anchor", "alternate"}
    assert "/credentials/" not in service.client.get(page).text


def _post(service: Service, body: dict[str, Any]) -> dict[str, Any]:
    answer = service.client.post("/api/v1/verify", json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_posting_a_credential_gets_its_certificates_verdict(service: Service) -> None:
    """The enveloped JSON (as object or text) or the JWT: the same verdict as scanning the certificate's QR
    code; after a suspension, suspended."""
    made = issue(service, "zhejiang-made-kettle")
    path = made["credential_url"].removeprefix(PUBLIC_URL)
    envelope = service.client.get(path).json()
    jwt = envelope["id"].removeprefix("data:application/vc+jwt,")
    for _ in range(100):  # the log's checkpoint covers it (its standing then holds from one answer to the next)
        if _post(service, {"qr": made["qr"]})["log"]["state"] != "pending":
            break
        time.sleep(0.05)
    scanned = _post(service, {"qr": made["qr"]})
    for body in ({"credential": envelope}, {"qr": jwt}, {"qr": json.dumps(envelope)}):
        answer = _post(service, body)
        assert answer["verdict"] == "valid" and answer == scanned, body
    token = service.client.post("/api/v1/issuers/zjcert/tokens", json={"label": "t"}, headers=service.admin).json()
    service.client.post(f"/api/v1/certificates/{made['id']}/suspend", json={"reason": "investigation"},
                        headers={"Authorization": f"Bearer {token['token']}"})  # fmt: skip
    assert _post(service, {"qr": jwt})["verdict"] == "suspended"


def test_bad_credentials_get_clear_verdicts(service: Service) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    made = issue(service, "zhejiang-made-kettle")
    jwt = service.client.get(
        made["credential_url"].removeprefix(PUBLIC_URL), headers={"Accept": "application/vc+jwt"}
    ).text
    header, payload, signature = jwt.split(".")
    claims = json.loads(b64url_decode(payload))

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    def signed(head: dict[str, Any], body: dict[str, Any], key: Ed25519PrivateKey) -> str:
        start = f"{b64(json.dumps(head).encode())}.{b64(json.dumps(body).encode())}"
        return f"{start}.{b64(key.sign(start.encode()))}"

    tampered = dict(claims, validUntil="2099-12-31T23:59:59+08:00")
    deep_header = b64(b'{"a":' + b"[" * 30_000 + b"]" * 30_000 + b"}")
    head = json.loads(b64url_decode(header))
    stranger = Ed25519PrivateKey.generate()
    cases = {
        "tampered payload": (f"{header}.{b64(json.dumps(tampered).encode())}.{signature}", "invalid", "bad_signature"),
        "wrong signature": (f"{header}.{payload}.{b64(bytes(64))}", "invalid", "bad_signature"),
        "unknown did": (signed(dict(head, kid="did:web:evil.example:issuers:zjcert#" + head["kid"][-16:]), claims,
                               stranger), "unknown_issuer", "unknown_key"),
        "unknown key": (signed(dict(head, kid=head["kid"][:-16] + "0123456789abcdef"), claims, stranger),
                        "unknown_issuer", "unknown_key"),
        "alg none": (f"{b64(json.dumps(dict(head, alg='none')).encode())}.{payload}.", "malformed", None),
        "not a credential": ("{\"hello\": 1}", "malformed", "bad_encoding"),
        "broken json": ("{\"type\": ", "malformed", "bad_encoding"),
        "deep header": (f"{deep_header}.{payload}.{signature}", "malformed", "bad_encoding"),
        "deep json": ('{"a": ' + "[" * 40_000 + "]" * 40_000 + "}", "malformed", "bad_encoding"),
        "envelope without jwt": (json.dumps({"type": "EnvelopedVerifiableCredential", "id": "data:,x"}), "malformed",
                                 "bad_encoding"),
    }  # fmt: skip
    for name, (text, verdict, reason) in cases.items():
        answer = _post(service, {"qr": text})
        assert answer["verdict"] == verdict, (name, answer)
        assert reason is None or answer["reason"] == reason, (name, answer)
    assert _post(service, {"credential": {"type": "EnvelopedVerifiableCredential", "id": 5}})["verdict"] == "malformed"
    both = service.client.post("/api/v1/verify", json={"qr": "x", "credential": {}})
    assert both.status_code == 422 and "either" in both.text
    neither = service.client.post("/api/v1/verify", json={})
    assert neither.status_code == 422


def test_a_genuine_signature_on_a_credential_never_issued_is_unregistered(service: Service) -> None:
    """The issuer's own key (say, stolen) signing a credential for a certificate the registry does not hold."""
    from verifier.credentials.vcjose import sign_credential

    made = issue(service, "zhejiang-made-kettle")
    _, claims, _ = fetch(service, made)
    header, _, _ = fetch(service, made)
    key = service.client.app.state.services.registry.issuers.signing_key("zjcert")  # type: ignore[attr-defined]
    assert header["kid"].endswith(key.record.kid_hex)
    for changed in (dict(claims, id=claims["id"][:-36] + "00000000-0000-4000-8000-000000000000"),
                    dict(claims, validUntil="2099-12-31T23:59:59+08:00")):  # fmt: skip
        answer = _post(service, {"qr": sign_credential(changed, key, header["kid"])})
        assert (answer["verdict"], answer["reason"], answer["signature"]["valid"]) == (
            "unregistered", "not_in_registry", True)  # fmt: skip


def test_the_command_line_checks_a_credential_offline(service: Service, tmp_path: Path) -> None:
    """`verifier verify FILE.jwt|FILE.json` against a downloaded trust list: genuine, in its validity period,
    status not checked (offline); a tampered one invalid; an oversized file refused."""
    from verifier.trust.keys import KeyStore, public_key_pem

    made = issue(service, "zhejiang-made-kettle")
    path = made["credential_url"].removeprefix(PUBLIC_URL)
    (tmp_path / "c.jwt").write_text(service.client.get(path, headers={"Accept": "application/vc+jwt"}).text)
    (tmp_path / "c.json").write_bytes(service.client.get(path).content)
    (tmp_path / "trust.json").write_bytes(service.client.get("/api/v1/trust-list").content)
    operator = KeyStore(service.settings.keys_dir).keyring("operator").active.public_key
    (tmp_path / "operator.pem").write_bytes(public_key_pem(operator))
    jwt = (tmp_path / "c.jwt").read_text()
    header, payload, signature = jwt.split(".")
    forged = json.loads(b64url_decode(payload)) | {"validUntil": "2099-12-31T23:59:59+08:00"}
    body = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    (tmp_path / "forged.jwt").write_text(f"{header}.{body}.{signature}")
    (tmp_path / "huge.json").write_text("{" + " " * 200_000 + "}")

    def run(name: str) -> Ran:
        return run_cli("verify", name, "--trust-list", "trust.json", "--operator-key", "operator.pem",
                       "--at", "2025-01-01T00:00:00Z", "--max-age", "3650", "--json", cwd=tmp_path)  # fmt: skip

    for name in ("c.jwt", "c.json"):
        out = run(name)
        assert out.returncode == 0, out.stderr
        verdict = json.loads(out.stdout)
        assert (verdict["verdict"], verdict["signature"]["valid"], verdict["status"]["state"]) == (
            "valid",
            True,
            "unknown",
        )
        assert verdict["validity"] == {"state": "in_force", "valid_from": "2024-03-26", "valid_until": "2027-03-25"}
    forged_out = run("forged.jwt")
    assert forged_out.returncode == 1 and json.loads(forged_out.stdout)["verdict"] == "invalid"
    huge = run("huge.json")
    assert huge.returncode == 2 and "limited to" in huge.stderr


def test_offline_status_lists_say_revoked_or_suspended(pdf_service: Service, tmp_path: Path) -> None:
    """`verifier verify c.jwt|QR|c.pdf --status-list revocation.jwt --status-list suspension.json`: the
    downloaded, signed lists give the status offline, of the credential and of the seal that carries its
    status index alike; a list that is not one (or tampered) is refused loudly."""
    from verifier.credentials.check import with_status_lists
    from verifier.trust.keys import KeyStore, public_key_pem
    from verifier.verification.check import verify

    service = pdf_service

    made = issue(service, "zhejiang-made-kettle")
    path = made["credential_url"].removeprefix(PUBLIC_URL)
    (tmp_path / "c.jwt").write_text(service.client.get(path, headers={"Accept": "application/vc+jwt"}).text)
    (tmp_path / "c.pdf").write_bytes(service.client.get(f"{path}/pdf").content)
    (tmp_path / "trust.json").write_bytes(service.client.get("/api/v1/trust-list").content)
    operator = KeyStore(service.settings.keys_dir).keyring("operator").active.public_key
    (tmp_path / "operator.pem").write_bytes(public_key_pem(operator))
    _, credential, _ = fetch(service, made)
    urls = {
        e["statusPurpose"]: e["statusListCredential"].removeprefix(PUBLIC_URL) for e in credential["credentialStatus"]
    }
    # The seal carries the index the credential names (list number × 131072 + bit).
    sealed = service.client.post("/api/v1/verify", json={"qr": made["qr"]}).json()["certificate"]
    entry = credential["credentialStatus"][0]
    number = int(entry["statusListCredential"].rsplit("/", 1)[1])
    assert sealed["status_index"] == number * LIST_SIZE + int(entry["statusListIndex"])

    def download() -> None:
        (tmp_path / "revocation.jwt").write_text(
            service.client.get(urls["revocation"], headers={"Accept": "application/vc+jwt"}).text)  # fmt: skip
        (tmp_path / "suspension.json").write_bytes(service.client.get(urls["suspension"]).content)

    def run(*lists: str, subject: str = "c.jwt", at: str = "2025-01-01T00:00:00Z") -> Ran:
        extra = [arg for name in lists for arg in ("--status-list", name)]
        return run_cli("verify", subject, "--trust-list", "trust.json", "--operator-key", "operator.pem",
                       "--at", at, "--max-age", "3650", *extra, cwd=tmp_path)  # fmt: skip

    both = ("revocation.jwt", "suspension.json")
    download()
    for subject in ("c.jwt", made["qr"], "c.pdf"):
        active = run(*both, subject=subject)
        assert active.returncode == 0 and active.stdout.startswith("VALID"), active.stdout + active.stderr
        assert "downloaded status lists" in active.stdout
    token = service.client.post("/api/v1/issuers/zjcert/tokens", json={"label": "t"}, headers=service.admin).json()
    issuer = {"Authorization": f"Bearer {token['token']}"}
    service.client.post(f"/api/v1/certificates/{made['id']}/suspend", json={"reason": "investigation"}, headers=issuer)
    assert run(*both).stdout.startswith("VALID")  # the old download says so
    download()
    for subject in ("c.jwt", made["qr"]):
        suspended = run(*both, subject=subject)
        assert suspended.returncode == 1 and suspended.stdout.startswith("SUSPENDED"), suspended.stdout
    # The registry's order (spec ORDER-2): an expired certificate is expired before it is suspended ...
    trust_list = service.client.app.state.services.trust.get()  # type: ignore[attr-defined]
    expired_at = datetime(2028, 1, 1, tzinfo=UTC)

    def offline_later() -> str:
        lists = tuple((tmp_path / name).read_text() for name in both)
        return with_status_lists(verify(made["qr"], trust_list, expired_at), trust_list, lists).verdict.value

    assert offline_later() == "expired"
    service.client.post(f"/api/v1/certificates/{made['id']}/revoke", json={"reason": "fraud"}, headers=issuer)
    download()
    for subject in ("c.jwt", made["qr"], "c.pdf"):
        assert run(*both, subject=subject).stdout.startswith("REVOKED")
    assert offline_later() == "revoked"  # ... and revoked whatever its dates
    assert run("revocation.jwt").stdout.startswith("GENUINE SEAL")  # one purpose only: not covered, not claimed
    assert run("revocation.jwt", subject=made["qr"]).stdout.startswith("GENUINE SEAL")
    jwt = (tmp_path / "revocation.jwt").read_text()
    (tmp_path / "tampered.jwt").write_text(jwt[:-8] + ("AAAAAAAA" if not jwt.endswith("AAAAAAAA") else "BBBBBBBB"))
    refused = run("tampered.jwt", "suspension.json")
    assert refused.returncode == 2 and "status list" in refused.stderr
    (tmp_path / "not-a-list.jwt").write_text((tmp_path / "c.jwt").read_text())
    assert run("not-a-list.jwt").returncode == 2


def test_a_credential_is_the_registrys_signed_by_the_certificates_issuer(service: Service) -> None:
    """Issuer A's key signing B's certificate (in A's name or in B's), or any member changed: never valid."""
    from verifier.credentials.did import issuer_did, key_url
    from verifier.credentials.vcjose import sign_credential

    b_made = issue(service, "zhejiang-made-kettle")  # zjcert's
    _, credential, jwt = fetch(service, b_made)
    assert service.client.post("/api/v1/verify", json={"qr": jwt}).json()["verdict"] == "valid"
    service.issuer("rogue")
    issuers = service.client.app.state.services.registry.issuers  # type: ignore[attr-defined]
    rogue_key = issuers.signing_key("rogue")  # a malicious issuer holds its own key
    rogue = rogue_key.record
    own_did = issuer_did(PUBLIC_URL, "rogue")
    cases = {
        "B's certificate in A's name": {**credential, "issuer": {**credential["issuer"], "id": own_did}},
        "B's certificate in B's name": credential,
    }
    for name, forged in cases.items():
        signed = sign_credential(forged, rogue_key, key_url(own_did, rogue))
        answer = service.client.post("/api/v1/verify", json={"qr": signed}).json()
        assert answer["verdict"] != "valid", name
    zjcert_key = issuers.signing_key("zjcert")
    zjcert = zjcert_key.record
    zjcert_did = issuer_did(PUBLIC_URL, "zjcert")
    changed = {**credential, "description": "amended by someone with the key"}  # a member once never compared
    answer = service.client.post("/api/v1/verify", json={
        "qr": sign_credential(changed, zjcert_key, key_url(zjcert_did, zjcert))}).json()  # fmt: skip
    assert (answer["verdict"], answer["reason"]) == ("unregistered", "not_in_registry")


def test_a_withdrawn_key_verifies_no_credential(service: Service) -> None:
    """Gone from the DID document and the trust list, a withdrawn key signs nothing the service accepts: the
    credentials it signed at issuance fail too, and none is signed with it afterwards."""
    from verifier.credentials.did import issuer_did, key_url
    from verifier.credentials.vcjose import sign_credential

    made = issue(service, "zhejiang-made-kettle")
    _, credential, issued = fetch(service, made)
    old_key = service.client.app.state.services.registry.issuers.signing_key("zjcert")  # type: ignore[attr-defined]
    old = old_key.record
    answer = service.client.post(f"/api/v1/issuers/zjcert/keys/{old.kid_hex}/withdraw", headers=service.admin)
    assert answer.status_code == 200, answer.text
    stolen = sign_credential(credential, old_key, key_url(issuer_did(PUBLIC_URL, "zjcert"), old))
    refused = service.client.post("/api/v1/verify", json={"qr": stolen}).json()
    assert (refused["verdict"], refused["reason"]) == ("unknown_issuer", "unknown_key")
    assert fetch(service, made)[2] == issued  # served as stored: what it signed is not signed anew
    assert service.client.post("/api/v1/verify", json={"qr": issued}).json()["reason"] == "unknown_key"
    scanned = service.client.get(made["verify_url"].removeprefix(PUBLIC_URL), headers={"Accept": "application/json"})
    assert scanned.json()["verdict"] == "valid"  # the certificate itself: the registry issued this very seal
