"""PDFs at issuance: rendered, self-tested, stored with their SHA-256 and answered byte for byte."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from tests.helpers import CURRENT, DEMO, Service, make_settings
from verifier.paper.selftest import decode_image
from verifier.resources import TEMPLATES
from verifier.seal.cose import SEAL_ATTACHMENT
from verifier.server.app import create_app
from verifier.store.database import normalize_url
from verifier.store.tables import certificates

KETTLE = DEMO["zhejiang-made-kettle"]


def test_issue_stores_the_pdf_and_answers_it_byte_for_byte(pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    made = pdf_service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).json()
    answer = pdf_service.client.get(f"/api/v1/certificates/{made['id']}/pdf", headers=issuer)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(answer.content).hexdigest() == made["pdf_sha256"]
    document = pdfium.PdfDocument(answer.content)
    seal = document.get_attachment(0)
    assert seal.get_name() == SEAL_ATTACHMENT
    assert decode_image(document[0].render(scale=150 / 72).to_pil()) == [made["qr"]]
    listed = pdf_service.client.get(f"/api/v1/certificates/{made['id']}", headers=issuer).json()
    assert listed["pdf_sha256"] == made["pdf_sha256"]
    other = pdf_service.issuer("other")
    assert pdf_service.client.get(f"/api/v1/certificates/{made['id']}/pdf", headers=other).status_code == 404


def test_a_batch_renders_every_pdf(pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    batch = [dict(data, number=f"B-{i}") for i, data in enumerate(sorted(CURRENT.values(), key=str) * 2)]
    made = pdf_service.client.post("/api/v1/certificates/batch", json={"certificates": batch}, headers=issuer)
    assert made.status_code == 201, made.text
    for certificate in made.json()["certificates"]:
        pdf = pdf_service.client.get(f"/api/v1/certificates/{certificate['id']}/pdf", headers=issuer).content
        assert hashlib.sha256(pdf).hexdigest() == certificate["pdf_sha256"]


def test_a_qr_that_does_not_scan_refuses_the_issuance(tmp_path: Path, service_database: str) -> None:
    """Templates that print the QR code 4 mm wide: at 150 dpi it cannot be read, so nothing is issued."""
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    css = templates / "certificate.css"
    css.write_text(css.read_text() + "\n.seal .qr .code { width: 4mm !important; height: 4mm !important; }\n")
    settings = make_settings(tmp_path, service_database, render_pdfs=True)
    settings = type(settings)(**{**settings.__dict__, "templates_dir": templates})
    with TestClient(create_app(settings)) as client:
        admin = {"Authorization": f"Bearer {settings.admin_token}"}
        token = client.post("/api/v1/issuers", json={"id": "zjcert", "name": "浙", "name_en": "Z"}, headers=admin)
        issuer = {"Authorization": f"Bearer {token.json()['token']}"}
        answer = client.post("/api/v1/certificates", json=KETTLE, headers=issuer)
        assert answer.status_code == 422
        assert answer.json()["error"] == "self_test_failed"
    engine = create_engine(normalize_url(settings.database))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(certificates)).scalar_one() == 0
    engine.dispose()


@pytest.mark.parametrize("name", sorted(DEMO))
def test_every_reference_certificate_issues_with_its_pdf(name: str, pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    made = pdf_service.client.post("/api/v1/certificates", json=CURRENT[name], headers=issuer)
    assert made.status_code == 201, made.text
    assert made.json()["pdf_sha256"]
