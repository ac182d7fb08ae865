"""Certificate PDFs: one A4 page, fonts embedded, both languages, the same bytes twice, the QR readable."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp

from tests.conftest import PUBLIC_URL, REFERENCE, SEALED_AT
from verifier.issuing import seal_certificate
from verifier.model import certificate_json, parse_certificate
from verifier.render import SEAL_ATTACHMENT, Document, Renderer
from verifier.selftest import QR_FORMAT
from verifier.verdict import IssuerInfo

ISSUER = IssuerInfo("zjcert", "浙江省产品认证中心", "Zhejiang Product Certification Centre")
MM_PER_POINT = 25.4 / 72


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture(scope="module")
def documents(renderer: Renderer) -> dict[str, tuple[Document, bytes]]:
    from verifier.keys import new_signing_key

    key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    made = {}
    for name, data in sorted(REFERENCE.items()):
        certificate = parse_certificate(data)
        sealed = seal_certificate(certificate, key, PUBLIC_URL, SEALED_AT)
        doc = Document(certificate_json(certificate), sealed.qr_text, sealed.cose, ISSUER, key.kid.hex(),
                       sealed.content.issued_at, PUBLIC_URL)  # fmt: skip
        made[name] = (doc, renderer.pdf(doc))
    return made


def _poppler(tool: str, pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    assert shutil.which(tool), f"{tool} is missing: make test installs poppler-utils"
    return subprocess.run([tool, str(path), "-"] if tool == "pdftotext" else [tool, str(path)],
                          check=True, capture_output=True, text=True).stdout  # fmt: skip


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_one_a4_page_with_every_font_embedded(name: str, documents: dict[str, Any], tmp_path: Path) -> None:
    _, pdf = documents[name]
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1
    width, height = document[0].get_size()
    assert (round(width * MM_PER_POINT), round(height * MM_PER_POINT)) == (210, 297)
    fonts = _poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    assert fonts
    assert all(line.split()[-5:-3] == ["yes", "yes"] for line in fonts), fonts  # embedded, subset
    assert any("CJK" in line for line in fonts)
    text = _poppler("pdftotext", pdf, tmp_path)
    holder = REFERENCE[name]["holder"]
    assert holder["name"] in text
    assert holder["name_en"] in text.replace("\n", " ")
    assert REFERENCE[name]["number"] in text


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_the_pdf_is_light(name: str, documents: dict[str, Any]) -> None:
    """The CJK font is cut to the page's characters (verifier/fonts.py): ~55 KB, where it weighed ~265 KB."""
    _, pdf = documents[name]
    assert len(pdf) <= 120 * 1024, len(pdf)


def test_the_cut_font_draws_the_page_as_the_whole_font_does(documents: dict[str, Any], renderer: Renderer) -> None:
    """Pixel for pixel at 150 dpi, the page set in the cut font is the page set in the installed one."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    doc, pdf = documents["ccc-exemption-samples"]
    whole = HTML(string=renderer.html(doc), base_url=str(renderer.templates)).write_pdf(font_config=FontConfiguration())
    assert len(whole) > 3 * len(pdf)
    pages = [pdfium.PdfDocument(data)[0].render(scale=150 / 72).to_pil().convert("L") for data in (whole, pdf)]
    assert pages[0].tobytes() == pages[1].tobytes()


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_same_document_same_bytes(name: str, documents: dict[str, Any], renderer: Renderer) -> None:
    doc, pdf = documents[name]
    assert renderer.pdf(doc) == pdf


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_seal_travels_in_the_file(name: str, documents: dict[str, Any]) -> None:
    doc, pdf = documents[name]
    document = pdfium.PdfDocument(pdf)
    attachments = {document.get_attachment(i).get_name(): document.get_attachment(i).get_data()
                   for i in range(document.count_attachments())}  # fmt: skip
    assert bytes(attachments[SEAL_ATTACHMENT]) == doc.cose
    xmp = [s for s in _streams(pdf) if b"<x:xmpmeta" in s]
    assert len(xmp) == 1
    assert f"<seal:qr>{doc.qr_text}</seal:qr>".encode() in xmp[0]
    assert b"pdfaid:part" in xmp[0]


def _streams(pdf: bytes) -> list[bytes]:
    """Every stream's content, inflated where it is compressed."""
    found = []
    for match in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", match.end())
        raw = pdf[match.end() : end]
        try:
            found.append(zlib.decompress(raw))
        except zlib.error:
            found.append(raw)
    return found


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_qr_decodes_from_a_150_dpi_raster_and_is_40_mm(name: str, documents: dict[str, Any]) -> None:
    doc, pdf = documents[name]
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=150 / 72).to_pil()
    found = zxingcpp.read_barcodes(image, formats=QR_FORMAT)
    assert [b.text for b in found] == [doc.qr_text]
    corners = found[0].position
    symbol_px = max(corners.top_right.x, corners.bottom_right.x) - min(corners.top_left.x, corners.bottom_left.x)
    modules = 17 + 4 * _version(doc.qr_text)
    with_quiet_zone_mm = symbol_px / 150 * 25.4 * (modules + 8) / modules
    assert with_quiet_zone_mm >= 40, with_quiet_zone_mm


def _version(text: str) -> int:
    from verifier.qr import qr_version

    return qr_version(text)


def test_render_pool_stops_when_idle(issuer_key: Any) -> None:
    """A batch starts the worker processes; they render, then stop after the idle time and start again."""
    import os
    import time

    from verifier.issuing import PdfMaker

    maker = PdfMaker(PUBLIC_URL, workers=2, idle_seconds=0.5)
    items = []
    for data in (REFERENCE["zhejiang-made-kettle"], REFERENCE["ccc-self-declaration-socket"]):
        certificate = parse_certificate(data)
        items.append((certificate, seal_certificate(certificate, issuer_key, PUBLIC_URL, SEALED_AT)))
    try:
        pdfs = maker(ISSUER, items)
        assert [p[:5] for p in pdfs] == [b"%PDF-", b"%PDF-"]
        assert maker.pool_running
        workers = [p.pid for p in maker._pool._processes.values()]  # type: ignore[union-attr]
        assert len(workers) == 2
        deadline = time.monotonic() + 10
        while maker.pool_running and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not maker.pool_running
        while any(os.path.exists(f"/proc/{pid}") for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(os.path.exists(f"/proc/{pid}") for pid in workers)  # exited and reaped
        assert maker(ISSUER, items) == pdfs  # a fresh pool, the same bytes
    finally:
        maker.close()
    assert not maker.pool_running
