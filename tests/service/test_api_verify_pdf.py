"""POST /api/v1/verify/pdf: each verdict, byte identity, and every kind of bad file."""

from __future__ import annotations

import io
import zlib
from datetime import UTC, datetime
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image

from tests.helpers import DEMO, PUBLIC_URL, Service
from verifier.certificate.model import parse_certificate
from verifier.seal.claims import claims_to_cbor, sealed_content
from verifier.seal.cose import encode_text, sign
from verifier.trust.keys import KeyStore, new_signing_key
from verifier.trust.trustlist import TrustList
from verifier.uploads.pdfread import MAX_PDF_BYTES

KETTLE = DEMO["zhejiang-made-kettle"]


def issued(service: Service, headers: dict[str, str]) -> tuple[dict[str, Any], bytes]:
    made = service.client.post("/api/v1/certificates", json=KETTLE, headers=headers).json()
    pdf = service.client.get(f"/api/v1/certificates/{made['id']}/pdf", headers=headers).content
    return made, pdf


def check(service: Service, data: bytes, name: str = "c.pdf") -> Any:
    return service.client.post("/api/v1/verify/pdf", files={"file": (name, data, "application/pdf")})


def test_verdicts_and_identity(pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    made, pdf = issued(pdf_service, issuer)
    answer = check(pdf_service, pdf).json()
    assert (answer["verdict"], answer["document"]["identical"], answer["document"]["source"]) == (
        "valid", True, "embedded",
    )  # fmt: skip
    changed = bytearray(pdf)
    changed[len(pdf) // 2] ^= 0x01
    answer = check(pdf_service, bytes(changed)).json()
    assert answer["document"]["identical"] is False
    pdf_service.client.post(
        f"/api/v1/certificates/{made['id']}/suspend", json={"reason": "investigation"}, headers=issuer
    )
    assert check(pdf_service, pdf).json()["verdict"] == "suspended"
    pdf_service.client.post(f"/api/v1/certificates/{made['id']}/revoke", json={"reason": "fraud"}, headers=issuer)
    answer = check(pdf_service, pdf).json()
    assert answer["verdict"] == "revoked"
    assert answer["document"]["identical"] is True


def test_a_pdf_without_embedded_seal_is_read_from_pixels(pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    _, pdf = issued(pdf_service, issuer)
    image = pdfium.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil()
    scanned = io.BytesIO()
    image.convert("RGB").save(scanned, format="PDF", resolution=150)  # a "scanned" PDF: pixels only
    answer = check(pdf_service, scanned.getvalue()).json()
    assert (answer["verdict"], answer["document"]["source"], answer["document"]["identical"]) == (
        "valid", "pixels", False,
    )  # fmt: skip


def _blank_pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(out, format="PDF")
    return out.getvalue()


def test_a_pdf_with_no_code_is_malformed(pdf_service: Service) -> None:
    answer = check(pdf_service, _blank_pdf()).json()
    assert (answer["verdict"], answer["reason"], answer["document"]["source"]) == ("malformed", "no_code_found", "none")


def _bomb() -> bytes:
    """A PDF whose one image inflates from a few kilobytes to 1.2 GB of pixels."""
    width = height = 20_000
    raw = zlib.compressobj(9)
    row = b"\x00" * (width * 3)
    chunks = [raw.compress(row) for _ in range(height)]
    data = b"".join(chunks) + raw.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /I 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 "
        b"/Filter /FlateDecode /Length %d >>\nstream\n" % (width, height, len(data)) + data + b"\nendstream",
        b"<< /Length 33 >>\nstream\nq 595 0 0 842 0 0 cm /I Do Q\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


BAD_FILES = {
    "not a PDF": (b"hello, this is text", 415, "not_pdf"),
    "an image": (None, 415, "not_pdf"),
    "a damaged PDF": (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", 422, "damaged"),
    "oversized": (b"%PDF-1.7\n" + b"0" * (MAX_PDF_BYTES + 10), 413, "too_large"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES), ids=str)
def test_bad_files(name: str, pdf_service: Service) -> None:
    data, status, code = BAD_FILES[name]
    if data is None:
        out = io.BytesIO()
        Image.new("RGB", (10, 10)).save(out, format="PNG")
        data = out.getvalue()
    answer = check(pdf_service, data)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] in (code, "too_large")


def test_an_encrypted_pdf_is_refused(pdf_service: Service) -> None:
    encrypted = _encrypted_pdf()
    answer = check(pdf_service, encrypted)
    assert answer.status_code == 422
    assert answer.json()["error"] == "encrypted"


def _encrypted_pdf() -> bytes:
    """A minimal PDF with a standard security handler (RC4, revision 2) and a user password."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\n"
        b"4 0 obj<</Filter/Standard/V 1/R 2/O<" + b"00" * 32 + b">/U<" + b"11" * 32 + b">/P -4>>endobj\n"
        b"trailer<</Size 5/Root 1 0 R/Encrypt 4 0 R"
        b"/ID[<00112233445566778899aabbccddeeff><00112233445566778899aabbccddeeff>]>>\n"
        b"%%EOF\n"
    )


def test_a_decompression_bomb_is_stopped(pdf_service: Service) -> None:
    """1.2 GB of pixels in a 1 MB file: read under the worker's memory and time caps, or refused by them."""
    answer = check(pdf_service, _bomb())
    if answer.status_code == 200:
        assert answer.json()["verdict"] == "malformed"
    else:
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"] == "too_complex"
    again = check(pdf_service, _blank_pdf())  # the service reads the next file as usual
    assert again.status_code == 200


def _pdf_of(service: Service, cose: bytes, qr: str) -> bytes:
    """A certificate PDF carrying the given seal, rendered outside the service (as a forger would)."""
    from verifier.paper.letterhead import Letterhead
    from verifier.paper.render import Document, Renderer

    doc = Document(KETTLE, qr, cose, Letterhead("zjcert", "浙", "Z"), "00", datetime.now(UTC), PUBLIC_URL)
    return Renderer().pdf(doc)


def test_every_seal_verdict_from_a_pdf(pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    _, pdf = issued(pdf_service, issuer)
    pdf_service.clock.now = datetime(2030, 1, 1, tzinfo=UTC)
    assert check(pdf_service, pdf).json()["verdict"] == "expired"
    pdf_service.clock.now = datetime(2020, 1, 1, tzinfo=UTC)
    assert check(pdf_service, pdf).json()["verdict"] in ("not_yet_valid", "unknown_issuer")  # before the key, too
    pdf_service.clock.now = datetime.now(UTC)
    content = sealed_content(parse_certificate(dict(KETTLE, number="ZJM-2024-7777")), pdf_service.clock.now)
    stranger = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    forged = sign(claims_to_cbor(content), stranger)
    answer = check(pdf_service, _pdf_of(pdf_service, forged, encode_text(forged, PUBLIC_URL))).json()
    assert answer["verdict"] == "unknown_issuer"
    keys = KeyStore(pdf_service.settings.keys_dir)
    operator = keys.keyring("operator").active.public_key
    trust = TrustList.from_document(pdf_service.client.get("/api/v1/trust-list").content, [operator])
    record = trust.issuers[0].keys[-1]
    key = KeyStore(pdf_service.settings.keys_dir).private_key("zjcert", record)
    stolen = sign(claims_to_cbor(content), key)
    answer = check(pdf_service, _pdf_of(pdf_service, stolen, encode_text(stolen, PUBLIC_URL))).json()
    assert answer["verdict"] == "unregistered"
    altered = stolen[:-1] + bytes([stolen[-1] ^ 1])
    answer = check(pdf_service, _pdf_of(pdf_service, altered, encode_text(stolen, PUBLIC_URL))).json()
    assert answer["verdict"] == "invalid"
    assert answer["document"]["source"] == "embedded"
