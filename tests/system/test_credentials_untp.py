"""Each certificate as a UNTP Digital Conformity Credential (VC 2.0, VC-JOSE) and the did:web documents that
verify it: schema-valid against the bundled DCC 0.6.1 schema, JSON-LD expanded offline against the bundled
contexts, its JWT checked with `cryptography` over the JWS signing input with the key from the DID document."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.helpers import CURRENT, DEMO, PUBLIC_URL, REPO, Service
from tests.helpers.credentials import b64url_decode, fetch


def test_the_untp_suites_tier_1_and_2_checks_pass(pdf_service: Service, tmp_path: Path) -> None:
    """tests/untp/tiers.mjs: the UNTP conformance suite's tier 1 (jsonld.js expansion in safe mode, the W3C VC
    2.0 schema) and tier 2 (the DCC 0.6.1 schema) on every demo certificate's credential and a status list; and the
    same checks fail where they should (a type the DCC context lacks; a required field missing)."""
    files = []
    issuer = pdf_service.issuer()
    for name in sorted(DEMO):
        made = pdf_service.client.post("/api/v1/certificates", json=CURRENT[name], headers=issuer).json()
        _, credential, _ = fetch(pdf_service, made)
        (tmp_path / f"{name}.json").write_text(json.dumps(credential))
        files.append(f"{name}.json")
    entry = credential["credentialStatus"][0]
    listed = pdf_service.client.get(entry["statusListCredential"].removeprefix(PUBLIC_URL),
                                    headers={"Accept": "application/vc+jwt"}).text  # fmt: skip
    (tmp_path / "status-list.json").write_text(b64url_decode(listed.split(".")[1]).decode())
    typed = json.loads(json.dumps(credential))
    typed["credentialSubject"]["assessment"][0]["assessedProduct"][0]["type"] = ["ProductVerification"]
    (tmp_path / "typed.json").write_text(json.dumps(typed))
    del credential["credentialSubject"]["assessment"][0]["conformance"]
    del credential["credentialSubject"]["issuedToParty"]["name"]
    (tmp_path / "incomplete.json").write_text(json.dumps(credential))

    def tiers(*names: str) -> tuple[int, list[dict[str, Any]]]:
        done = subprocess.run(["node", str(REPO / "tests" / "untp" / "tiers.mjs"), *names], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.stderr == "", done.stderr
        return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]

    code, results = tiers(*files, "status-list.json")
    assert code == 0 and all(r["passed"] for r in results), results
    assert [r["untp_type"] for r in results] == ["DigitalConformityCredential"] * 4 + [None]
    code, results = tiers("typed.json", "incomplete.json")
    assert code == 1
    assert list(results[0]["failures"]) == ["tier1_jsonld"] and "relative" in results[0]["failures"]["tier1_jsonld"][0]
    assert list(results[1]["failures"]) == ["tier2_schema"], results[1]
