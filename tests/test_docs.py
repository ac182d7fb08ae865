"""The curl examples of docs/verdict.md, run against a live server: each answers what the doc says."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import httpx

from tests.conftest import REFERENCE
from tests.server import Server

DOC = Path(__file__).resolve().parents[1] / "docs" / "verdict.md"
FIELDS = {"verdict", "reason", "detail", "checked_at", "signature", "validity", "certificate", "status", "registered"}


def test_curl_examples(tmp_path: Path) -> None:
    assert shutil.which("curl"), "curl is needed"
    admin = secrets.token_urlsafe(32)
    server = Server(tmp_path, {"VERIFIER_DATA_DIR": str(tmp_path / "data"), "VERIFIER_KEYS_DIR": str(tmp_path / "keys"),
                               "VERIFIER_ADMIN_TOKEN": admin})  # fmt: skip
    server.start()
    try:
        made = httpx.post(f"{server.url}/api/v1/issuers", json={"id": "zjcert", "name": "浙江", "name_en": "ZJ"},
                          headers={"Authorization": f"Bearer {admin}"})  # fmt: skip
        issuer = {"Authorization": f"Bearer {made.json()['token']}"}
        certificate = httpx.post(f"{server.url}/api/v1/certificates", json=REFERENCE["zhejiang-made-kettle"],
                                 headers=issuer, timeout=60).json()  # fmt: skip
        pdf = httpx.get(f"{server.url}/api/v1/certificates/{certificate['id']}/pdf", headers=issuer).content
        (tmp_path / "certificate.pdf").write_bytes(pdf)
        env = {**os.environ, "BASE": server.url, "QR": certificate["qr"], "CODE": certificate["qr"].rsplit("/", 1)[1]}
        examples = re.findall(r"```sh\n(.*?)```", DOC.read_text("utf-8"), flags=re.S)
        assert len(examples) == 4
        for example in examples:
            out = subprocess.run(["bash", "-c", example], cwd=tmp_path, env=env, capture_output=True, text=True,
                                 timeout=60, check=True)  # fmt: skip
            if "trust-list.json" in example:
                assert json.loads((tmp_path / "trust-list.json").read_text())["signature"]["alg"] == "EdDSA"
                continue
            answer = json.loads(out.stdout)
            assert set(answer) >= FIELDS, example
            assert answer["verdict"] == "valid", (example, answer)
            if "/verify/pdf" in example:
                assert answer["document"] == {"identical": True, "sha256": certificate["pdf_sha256"],
                                              "source": "embedded"}  # fmt: skip
    finally:
        server.stop()


def test_every_reason_is_documented() -> None:
    from verifier.verdict import Reason, Verdict

    text = DOC.read_text("utf-8")
    for reason in Reason:
        assert f"`{reason.value}`" in text, reason
    for verdict in Verdict:
        assert f"`{verdict.value}`" in text, verdict
