"""A verification report's PDF: one page, ≤ 100 KB, its QR code read from the pixels to the report's page,
the signed report embedded; ``verifier verify`` checks it offline (and refuses it altered), and checks a
batch file of many certificates offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from tests.helpers import CURRENT, PUBLIC_URL, Service
from tests.helpers.cli import run_cli
from verifier.credentials.report import read_report
from verifier.paper.reportfile import attach
from verifier.paper.selftest import decode_image, decode_image_zbar
from verifier.trust.keys import KeyStore

KETTLE = CURRENT["zhejiang-made-kettle"]


def _report(service: Service, items: list[Any]) -> dict[str, Any]:
    answer = service.client.post("/api/v1/verify/batch", json={"items": items, "report": True})
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["report"])


def _certificates(service: Service, count: int) -> list[dict[str, Any]]:
    issuer = service.issuer()
    body = {"certificates": [{**KETTLE, "number": f"P-{i:03}"} for i in range(count)]}
    made = service.client.post("/api/v1/certificates/batch", headers=issuer, json=body)
    assert made.status_code == 201, made.text
    return list(made.json()["certificates"])


def test_the_report_pdf_is_one_page_with_its_link_in_the_pixels(pdf_service: Service, tmp_path: Path) -> None:
    certificates = _certificates(pdf_service, 3)
    items = [c["qr"] for c in certificates] + ["HELLO", certificates[0]["qr"]]
    report = _report(pdf_service, items)
    answer = pdf_service.client.get(report["pdf_url"].removeprefix(PUBLIC_URL))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert f"verification-report-{report['id']}.pdf" in answer.headers["content-disposition"]
    pdf = answer.content
    assert len(pdf) <= 100 * 1024
    document = pdfium.PdfDocument(pdf)
    try:
        assert len(document) == 1
        image = document[0].render(scale=200 / 72, grayscale=True).to_pil()
        link = f"{PUBLIC_URL.upper()}/R/{report['id']}"
        assert decode_image(image) == [link] and decode_image_zbar(image) == [link]
        text = document[0].get_textpage().get_text_range()
        assert report["id"] in text and "P-001" in text and "MALFORMED" in text
        embedded = {a.get_name(): bytes(a.get_data()) for a in map(document.get_attachment, range(2))}
        assert sorted(embedded) == ["report.json", "report.jws"] and document.count_attachments() == 2
        credential = json.loads(embedded["report.json"])  # the credential itself, readable as it is
        assert credential["credentialSubject"]["itemCount"] == 5
        jwt = attach(embedded["report.json"], embedded["report.jws"].decode("ascii"))
    finally:
        document.close()
    keys = [k.public_key for k in KeyStore(pdf_service.settings.keys_dir).keyring("operator").keys]
    assert read_report(jwt, keys).report_id == report["id"]
    again = pdf_service.client.get(f"/R/{report['id']}/pdf")
    assert again.content == pdf  # kept: rendered once
    # the officer's side, offline: the file checks with the operator's key alone
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    env = {"VERIFIER_KEYS_DIR": str(pdf_service.settings.keys_dir), "PATH": "/usr/bin:/bin"}
    ran = run_cli("verify", path, env=env)
    assert ran.returncode == 0, ran.stderr
    assert f"GENUINE REPORT {report['id']}" in ran.stdout and "MALFORMED" in ran.stdout and "P-002" in ran.stdout
    as_json = json.loads(run_cli("verify", path, "--json", env=env).stdout)
    assert as_json["genuine"] is True and as_json["report"]["itemCount"] == 5
    # altered: a byte of the embedded report's payload changed, the file otherwise whole
    header, payload, signature = jwt.split(".")
    middle = len(payload) // 2
    forged = f"{header}.{payload[:middle]}{'A' if payload[middle] != 'A' else 'B'}{payload[middle + 1 :]}.{signature}"
    (tmp_path / "forged.jwt").write_text(forged)
    refused = run_cli("verify", tmp_path / "forged.jwt", env=env)
    assert refused.returncode == 1 and "NOT A GENUINE REPORT" in refused.stdout
    (tmp_path / "report.jwt").write_text(jwt)
    assert run_cli("verify", tmp_path / "report.jwt", env=env).returncode == 0


def test_a_thousand_items_fit_one_page(pdf_service: Service) -> None:
    certificates = _certificates(pdf_service, 10)  # each a PDF rendered: few, each checked many times
    items = [c["qr"] for c in certificates] * 96 + ["HELLO"] * 40  # 1,000
    report = _report(pdf_service, items)
    pdf = pdf_service.client.get(f"/r/{report['id']}/pdf").content
    assert len(pdf) <= 100 * 1024
    document = pdfium.PdfDocument(pdf)
    try:
        assert len(document) == 1
        text = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    assert "1000" in text and "MALFORMED" in text and "971 more items" in text


def test_a_batch_file_checked_offline(service: Service, tmp_path: Path) -> None:
    pdf_service = service  # no PDF is needed here
    certificates = _certificates(pdf_service, 2)
    (tmp_path / "trust.json").write_bytes(pdf_service.client.get("/api/v1/trust-list").content)
    lines = [certificates[0]["qr"], "# a comment", "", certificates[1]["qr"], "HELLO"]
    (tmp_path / "declaration.txt").write_text("\n".join(lines) + "\n")
    env = {"VERIFIER_KEYS_DIR": str(pdf_service.settings.keys_dir), "PATH": "/usr/bin:/bin"}
    ran = run_cli("verify", "--batch", tmp_path / "declaration.txt", "--trust-list", tmp_path / "trust.json", env=env)
    assert ran.returncode == 1, ran.stderr  # one item is not valid
    assert "P-000" in ran.stdout and "P-001" in ran.stdout and "MALFORMED" in ran.stdout
    assert "3 checked offline: malformed 1, valid 2" in ran.stdout
    (tmp_path / "two.json").write_text(json.dumps({"items": [c["qr"] for c in certificates]}))
    ran = run_cli("verify", "--batch", tmp_path / "two.json", "--trust-list", tmp_path / "trust.json", "--json",
                  env=env)  # fmt: skip
    assert ran.returncode == 0 and json.loads(ran.stdout)["verdicts"] == {"valid": 2}
    assert run_cli("verify", "--batch", tmp_path / "two.json", env=env).returncode == 2  # no trust list
    assert run_cli("verify", env=env).returncode == 2
