"""Certificate PDFs: one A4 page, fonts embedded, both languages, the same bytes twice, the QR readable."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp

from tests.helpers import DEMO, PUBLIC_URL, SEALED_AT
from tests.helpers.letterhead import ISSUER
from verifier.certificate.codes import PORTS
from verifier.certificate.days import SCHEME_TZ
from verifier.certificate.model import certificate_json, parse_certificate
from verifier.certificate.names import TITLES
from verifier.issuing.recipe import seal_certificate
from verifier.paper import wording
from verifier.paper.letterhead import Letterhead
from verifier.paper.qrpdf import drawer
from verifier.paper.render import ATTESTATIONS, Document, Renderer, RenderError
from verifier.paper.selftest import QR_FORMAT, decode_image_zbar
from verifier.seal.cose import SEAL_ATTACHMENT

SITE = {
    "address": "浙江省宁波市北仑区小港街道红联渡口路8号",
    "address_en": "8 Honglian Dukou Road, Xiaogang, Beilun, Ningbo",
}
MM_PER_POINT = 25.4 / 72
ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture(scope="module")
def documents(renderer: Renderer) -> dict[str, tuple[Document, bytes]]:
    from verifier.trust.keys import new_signing_key

    key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    made = {}
    for name, data in sorted(DEMO.items()):
        if name == "international-cooperation-valve":
            data = {**data, "site": SITE}  # a manufacturing site apart from the holder's address
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


@pytest.mark.parametrize("name", sorted(DEMO))
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
    holder = DEMO[name]["holder"]
    assert holder["name"] in text
    assert holder["name_en"] in text.replace("\n", " ")
    assert DEMO[name]["number"] in text


def _squashed(text: str) -> str:
    """Text without whitespace: a line may wrap anywhere in a Chinese address or a long English title."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("name", sorted(DEMO))
def test_the_paper_says_everything_an_officer_checks(name: str, documents: dict[str, Any], tmp_path: Path) -> None:
    """pdftotext finds every field: the letterhead, the scheme and what it attests, the holder (and site), the
    products, standards, the scheme's own part, the markets by name, the validity and the date of issue in
    both languages, the signatory; "digital seal", never an algorithm's name."""
    doc, pdf = documents[name]
    c = doc.record
    text = _squashed(_poppler("pdftotext", pdf, tmp_path))
    expected = [ISSUER.name, ISSUER.name_en, ISSUER.address, ISSUER.address_en, ISSUER.contact, ISSUER.accreditation,
                ISSUER.signatory, ISSUER.signatory_title, ISSUER.signatory_title_en, *TITLES[c["scheme"]],
                *ATTESTATIONS[c["scheme"]], c["number"], *c["holder"].values(), "数字印章", "Digital seal",
                " ".join(doc.kid[i : i + 4] for i in range(0, 16, 4))]  # fmt: skip
    for product in c["products"]:
        expected += [product["name"], product["name_en"], product["hs_code"], *product["models"]]
    for standard in c["standards"]:
        expected += [standard["code"], standard["title"], standard["title_en"]]
    for market in c["markets"]:
        expected += [f"{wording.country(market, 'zh')}{wording.country(market, 'en')}{market}"]
    for language in ("zh", "en"):
        start, until = (date.fromisoformat(c[k]) for k in ("valid_from", "valid_until"))
        expected += [wording.calendar_date(start, language), wording.calendar_date(until, language)]
        expected += [wording.calendar_date(doc.issued_at.astimezone(SCHEME_TZ).date(), language)]
    if "site" in c:
        expected += [SITE["address"], SITE["address_en"]]
    if "exemption" in c:
        e = c["exemption"]
        expected += ["科研测试", "Research and development", "24件pieces", "CNY18,600.00", "人民币", "Chinese Yuan",
                     "宁波", "Ningbo", e["port_of_entry"], "compare"]  # fmt: skip
    for recognition in c.get("recognitions", []):
        country = recognition["country"]
        expected += [recognition["body"], recognition["certificate_number"],
                     wording.country(country, "zh") + wording.country(country, "en")]  # fmt: skip
    missing = [item for item in expected if _squashed(item) not in text]
    assert not missing, missing
    assert "Ed25519" not in text and "Key" not in text
    assert PORTS["CNNGB"] == ("宁波", "Ningbo")


def test_a_letterhead_with_names_only_still_renders(documents: dict[str, Any], renderer: Renderer,
                                                    tmp_path: Path) -> None:  # fmt: skip
    """An issuer whose letterhead the operator has not set yet: its names, an empty stamp area to stamp by hand."""
    doc, _ = documents["zhejiang-made-kettle"]
    bare = Document(doc.record, doc.qr_text, doc.cose, Letterhead(ISSUER.id, ISSUER.name, ISSUER.name_en), doc.kid,
                    doc.issued_at, doc.public_url)  # fmt: skip
    text = _squashed(_poppler("pdftotext", renderer.pdf(bare), tmp_path))
    assert ISSUER.name in text and "印章Stamp" in text and ISSUER.accreditation not in text


def test_the_stamp_is_drawn_in_its_area(documents: dict[str, Any], renderer: Renderer) -> None:
    """The demo stamp is red: its pixels are there with it and not without it."""
    doc, pdf = documents["zhejiang-made-kettle"]
    bare = Document(doc.record, doc.qr_text, doc.cose, Letterhead(ISSUER.id, ISSUER.name, ISSUER.name_en), doc.kid,
                    doc.issued_at, doc.public_url)  # fmt: skip

    def red(data: bytes) -> int:
        pixels = pdfium.PdfDocument(data)[0].render(scale=50 / 72).to_pil().convert("RGB").tobytes()
        return sum(1 for i in range(0, len(pixels), 3) if pixels[i] > 150 and pixels[i + 1] < 90 and pixels[i + 2] < 90)

    assert red(pdf) > 300
    assert red(renderer.pdf(bare)) == 0


def test_content_that_reaches_the_seal_is_refused(documents: dict[str, Any], renderer: Renderer) -> None:
    """Ten products cannot sit above the seal: refused, never printed overlapping; thirty models each would
    take a second page: refused too."""
    doc, _ = documents["zhejiang-made-kettle"]
    product = doc.record["products"][0]
    for models, why in ((2, "above its seal"), (30, r"\(it takes 2\)")):
        crowded = [{**product, "models": [f"HD-{i:04d}-{j:02d}" for j in range(models)]} for i in range(10)]
        big = Document({**doc.record, "products": crowded}, doc.qr_text, doc.cose, ISSUER, doc.kid, doc.issued_at,
                       doc.public_url)  # fmt: skip
        with pytest.raises(RenderError, match=f"does not fit on one page.*{why}"):
            renderer.pdf(big)


@pytest.mark.parametrize("name", sorted(DEMO))
def test_the_pdf_is_light(name: str, documents: dict[str, Any]) -> None:
    """The CJK font is cut to the page's characters (verifier/paper/fonts.py): 64–73 KB with a full letterhead and an
    SVG stamp, where it weighed ~265 KB with neither."""
    _, pdf = documents[name]
    assert len(pdf) <= 120 * 1024, len(pdf)


def test_the_cut_font_draws_the_page_as_the_whole_font_does(documents: dict[str, Any], renderer: Renderer) -> None:
    """Pixel for pixel at 150 dpi, the page set in the cut font is the page set in the installed one."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    doc, pdf = documents["ccc-exemption-samples"]
    qr = drawer(doc.qr_text, renderer.render(doc).qr_box)  # the symbol, drawn as the renderer draws it
    whole = HTML(string=renderer.html(doc), base_url=str(renderer.templates)).write_pdf(
        font_config=FontConfiguration(), finisher=qr
    )
    assert len(whole) > 3 * len(pdf)
    pages = [pdfium.PdfDocument(data)[0].render(scale=150 / 72).to_pil().convert("L") for data in (whole, pdf)]
    assert pages[0].tobytes() == pages[1].tobytes()


@pytest.mark.parametrize("name", sorted(DEMO))
def test_same_document_same_bytes(name: str, documents: dict[str, Any], renderer: Renderer) -> None:
    doc, pdf = documents[name]
    assert renderer.pdf(doc) == pdf


@pytest.mark.parametrize("name", sorted(DEMO))
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


@pytest.mark.parametrize("name", sorted(DEMO))
def test_qr_decodes_from_a_150_dpi_raster_with_modules_of_055_mm(name: str, documents: dict[str, Any]) -> None:
    """Both decoders read the whole page; the symbol is at least 46 mm with its quiet zone, a module ≥ 0.55 mm."""
    doc, pdf = documents[name]
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=150 / 72).to_pil()
    ARTEFACTS.mkdir(exist_ok=True)
    image.save(ARTEFACTS / f"certificate-{name}.png")  # to look at (not committed)
    found = zxingcpp.read_barcodes(image, formats=QR_FORMAT)
    assert [b.text for b in found] == [doc.qr_text]
    assert decode_image_zbar(image) == [doc.qr_text]
    corners = found[0].position
    symbol_px = max(corners.top_right.x, corners.bottom_right.x) - min(corners.top_left.x, corners.bottom_left.x)
    modules = 17 + 4 * _version(doc.qr_text)
    module_mm = symbol_px / 150 * 25.4 / modules
    assert module_mm >= 0.55, module_mm
    assert module_mm * (modules + 8) >= 45.5, module_mm * (modules + 8)


def _version(text: str) -> int:
    from verifier.paper.qr import qr_version

    return qr_version(text)


def test_streams_deflated_once_give_the_very_bytes_pydyf_writes(documents: dict[str, Any], renderer: Renderer) -> None:
    """verifier.paper.pdfstreams: the same PDF, byte for byte, with pydyf's streams deflated once or twice per write;
    and half the deflating."""
    import zlib

    import pydyf

    from verifier.paper import pdfstreams

    calls = [0]

    class Counted:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.inner = zlib.compressobj(*args, **kwargs)
            calls[0] += 1

        def compress(self, data: bytes) -> bytes:
            return self.inner.compress(data)

        def flush(self) -> bytes:
            return self.inner.flush()

    counted = type("Zlib", (), {"compressobj": Counted})
    doc, memo = documents["zhejiang-made-kettle"]
    shipped_zlib, ours_zlib = pydyf.zlib, pdfstreams.zlib
    pydyf.zlib = pdfstreams.zlib = counted  # type: ignore[assignment]
    try:
        pdfstreams.uninstall()
        shipped = renderer.pdf(doc)
        twice, calls[0] = calls[0], 0
        pdfstreams.install()
        again = renderer.pdf(doc)
    finally:
        pdfstreams.install()
        pydyf.zlib, pdfstreams.zlib = shipped_zlib, ours_zlib
    assert shipped == again == memo
    assert calls[0] * 2 <= twice + 2, (calls[0], twice)
