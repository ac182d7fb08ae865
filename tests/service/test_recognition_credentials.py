"""Each recognition as a credential (issue 28, item 4): a UNTP-style DCC issued by the recognising body's
did:web, signed by the key that signed its seal, naming the certificate's credential by the digest of its
bytes (VC 2.0 ``relatedResource``); the certificate's credential names, in its ``authorisation``, the list
where each is linked. Schema-valid, JSON-LD expanded offline with every term defined, its signature
checked with the key the body's DID document lists."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import jsonschema
from pyld import jsonld

from tests.helpers import PUBLIC_URL, Service
from tests.helpers.credentials import b64url_decode, fetch
from tests.service.test_credentials import STANDARDS, _loader, verify_with_did
from tests.service.test_recognitions import Scene


def _split(jwt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = jwt.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def test_a_recognition_is_a_credential_of_its_body_bound_to_the_certificates(service: Service) -> None:
    scene = Scene(service)
    client, cid = scene.client, scene.certificate["id"]
    terms = {"certificate_id": cid, "number": "SGS-DE-2026-0001", "markets": ["DE", "FR"], "basis": ["EN 12266-1"]}
    sgs = client.post("/api/v1/recognitions", headers=scene.sgs, json=terms)
    uploaded = {"certificate_id": cid, "seal": scene.signed_by(scene.tuv_key, scene.certificate)}
    tuv = client.post("/api/v1/recognitions", headers=scene.tuv, json=uploaded)
    assert sgs.status_code == tuv.status_code == 201, (sgs.text, tuv.text)
    sgs_id, tuv_id = sgs.json()["id"], tuv.json()["id"]
    # The certificate's credential points to the list; the list links SGS's credential (TÜV SÜD keeps its keys).
    _, base, base_jwt = fetch(service, scene.certificate)
    (endorsement,) = base["credentialSubject"]["authorisation"]
    listed_url = f"{PUBLIC_URL}/credentials/{cid}/recognitions"
    assert endorsement["id"] == endorsement["endorsementEvidence"]["linkURL"] == listed_url
    listed = client.get(listed_url.removeprefix(PUBLIC_URL)).json()
    assert listed["certificate"] == scene.certificate["credential_url"]
    by_id = {r["id"]: r for r in listed["recognitions"]}
    assert by_id[sgs_id]["credential"] == f"{listed_url}/{sgs_id}" and by_id[tuv_id]["credential"] is None
    assert by_id[sgs_id]["link"] == sgs.json()["link"] and by_id[tuv_id]["standing"] == "active"
    # SGS's credential: issued by its did:web, signed by the key that signed the seal, the base named by digest.
    path = f"/credentials/{cid}/recognitions/{sgs_id}"
    bare = client.get(path, headers={"Accept": "application/vc+jwt"})
    assert bare.status_code == 200 and bare.headers["content-type"].startswith("application/vc+jwt")
    jwt = bare.text
    header, credential = _split(jwt)
    assert header["kid"] == f"did:web:verify.zhejiang-made.example:issuers:sgs#{sgs.json()['kid']}"
    verify_with_did(service, jwt, header)
    assert credential["issuer"]["id"] == "did:web:verify.zhejiang-made.example:issuers:sgs"
    assert credential["id"] == f"{PUBLIC_URL}{path}"
    (related,) = credential["relatedResource"]
    expected = "sha256-" + base64.b64encode(hashlib.sha256(base_jwt.encode("ascii")).digest()).decode()
    assert related == {"id": scene.certificate["credential_url"], "digestSRI": expected,
                       "mediaType": "application/vc+jwt"}  # fmt: skip
    assert credential["validUntil"].startswith(sgs.json()["valid_until"])
    assert {e["statusPurpose"] for e in credential["credentialStatus"]} == {"revocation", "suspension"}
    assert all("/status/sgs/" in e["statusListCredential"] for e in credential["credentialStatus"])
    assert "SGS-DE-2026-0001" in credential["credentialSubject"]["name"]
    assert "Germany (DE), France (FR)" in credential["credentialSubject"]["description"]
    schema = json.loads((STANDARDS / "untp-dcc-schema-0.6.1.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert [e.message for e in validator.iter_errors(credential)] == []
    assert [e.message for e in validator.iter_errors(base)] == []
    for document in (credential, base):  # every term defined: nothing falls to VC 2.0's issuer-dependent @vocab
        expanded = json.dumps(jsonld.expand(document, {"documentLoader": _loader}))
        assert "issuer-dependent" not in expanded and "example.org" not in expanded
    assert "credentials#relatedResource" in json.dumps(jsonld.expand(credential, {"documentLoader": _loader}))
    # The same bytes every time, with a strong ETag; enveloped by default.
    again = client.get(path, headers={"Accept": "application/vc+jwt"})
    conditional = {"If-None-Match": again.headers["etag"], "Accept": "application/vc+jwt"}
    assert again.text == jwt and client.get(path, headers=conditional).status_code == 304
    assert client.get(path).json()["id"] == f"data:application/vc+jwt,{jwt}"
    # TÜV SÜD signs its recognitions itself: the service signs nothing in its name.
    kept = client.get(f"/credentials/{cid}/recognitions/{tuv_id}")
    assert kept.status_code == 404 and kept.json()["error"] == "credential_not_kept"
    # Another certificate's path, a made-up id, a non-id: 404, never a 500.
    other = scene.other["id"]
    for wrong in (f"/credentials/{other}/recognitions/{sgs_id}", f"/credentials/{cid}/recognitions/{cid}",
                  f"/credentials/{cid}/recognitions/..%2f..%2fetc", "/credentials/nope/recognitions"):  # fmt: skip
        assert client.get(wrong).status_code == 404, wrong
    assert client.get(f"/credentials/{other}/recognitions").json()["recognitions"] == []
