"""Uploaded files → the seal they carry: a PDF's embedded ``seal.cose``, or a QR code read from pixels.

These functions parse in the calling process: untrusted files go through :mod:`verifier.uploads.readers`,
which runs them in bounded worker processes. The size cap is checked before any parsing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from verifier.errors import FileRefused, Kind
from verifier.paper.reportfile import MAX_REPORT_BYTES, REPORT_CREDENTIAL, REPORT_SIGNATURE, attach
from verifier.seal.cose import MAX_COSE_BYTES, SEAL_ATTACHMENT
from verifier.seal.recognition import ATTACHMENT_PREFIX, ATTACHMENT_SUFFIX, is_recognition_attachment
from verifier.tlog.proof import MAX_PROOF_BYTES, PROOF_ATTACHMENT

MAX_PDF_BYTES = 4 * 1024 * 1024  # an issued certificate is about 0.3 MB
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000
MAX_PAGE_POINTS = 2000.0  # a page larger than 70 cm on a side is not a certificate
MIN_PAGE_POINTS = 72.0  # nor one smaller than an inch
MAX_ATTACHMENTS = 100
MAX_RECOGNITIONS = 40  # recognition seals read from one file (an annex prints at most as many)
READ_DPI = 150


@dataclass(frozen=True)
class FileSeal:
    """What a file carries: the embedded seal (PDF only) and the QR texts read from its first page.

    A PDF's embedded recognition seals too (``recognition-N.cose``: an annex of recognitions), in order,
    and the transparency log's proof of its issuance (``issuance.tlog-proof``), when one was appended; a
    verification report's signed report (its JWT, joined from ``report.json`` and ``report.jws``).
    """

    seal: bytes | None
    qr_texts: tuple[str, ...]
    recognitions: tuple[bytes, ...] = ()
    log_proof: bytes | None = None
    report: str | None = None  # a verification report's PDF: the signed report it embeds (its JWT)


def read_pdf(data: bytes, pixels_if_no_seal: bool = True) -> FileSeal:
    """The seal in a certificate PDF (in this process: see :mod:`verifier.uploads.readers` for untrusted input).

    Raises :class:`FileRefused` for a file that is too large, not a PDF, encrypted or damaged.
    """
    import pypdfium2 as pdfium

    if len(data) > MAX_PDF_BYTES:
        raise FileRefused("too_large", f"PDF files are limited to {MAX_PDF_BYTES // (1024 * 1024)} MB", Kind.TOO_LARGE)
    if not data.startswith(b"%PDF-"):
        raise FileRefused("not_pdf", "the file is not a PDF", Kind.UNSUPPORTED)
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise FileRefused("encrypted", "the PDF is encrypted; upload the certificate as issued") from None
        raise FileRefused("damaged", "the PDF cannot be read") from None
    try:
        if len(document) < 1:
            raise FileRefused("damaged", "the PDF has no page")
        seal: bytes | None = None
        proof: bytes | None = None
        report: dict[str, bytes] = {}
        recognitions: list[tuple[int, bytes]] = []
        for index in range(min(document.count_attachments(), MAX_ATTACHMENTS)):
            attachment = document.get_attachment(index)
            name = attachment.get_name()
            if name == SEAL_ATTACHMENT and seal is None:
                seal = _content(attachment)
            elif name == PROOF_ATTACHMENT and proof is None:
                proof = _content(attachment, MAX_PROOF_BYTES)
            elif name in (REPORT_CREDENTIAL, REPORT_SIGNATURE) and name not in report:
                report[name] = _content(attachment, MAX_REPORT_BYTES)
            elif is_recognition_attachment(name) and len(recognitions) < MAX_RECOGNITIONS:
                recognitions.append((int(name[len(ATTACHMENT_PREFIX) : -len(ATTACHMENT_SUFFIX)]), _content(attachment)))
        texts: tuple[str, ...] = ()
        signed = None
        if len(report) == 2:
            signed = attach(report[REPORT_CREDENTIAL], report[REPORT_SIGNATURE].decode("ascii", "replace"))
        if seal is None and pixels_if_no_seal and signed is None:
            page = document[0]
            width, height = page.get_size()
            if not (MIN_PAGE_POINTS <= width <= MAX_PAGE_POINTS and MIN_PAGE_POINTS <= height <= MAX_PAGE_POINTS):
                raise FileRefused("damaged", "the first page has no size a certificate could have")
            texts = tuple(_decode(page.render(scale=READ_DPI / 72, grayscale=True).to_pil()))
        return FileSeal(seal, texts, tuple(content for _, content in sorted(recognitions)), proof, signed)
    except pdfium.PdfiumError:
        raise FileRefused("damaged", "the PDF cannot be read") from None
    finally:
        document.close()


def _content(attachment: Any, cap: int = MAX_COSE_BYTES) -> bytes:
    """An embedded file's bytes: one byte more than the cap at most, so that the check says it is too long."""
    import pypdfium2 as pdfium

    try:
        return bytes(attachment.get_data())[: cap + 1]
    except pdfium.PdfiumError:  # an empty or unreadable attachment: a seal of no bytes
        return b""


def read_image(data: bytes) -> FileSeal:
    """The QR texts in a photo or scan (PNG, JPEG); raises :class:`FileRefused` for anything else."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_IMAGE_BYTES:
        raise FileRefused("too_large", f"images are limited to {MAX_IMAGE_BYTES // (1024 * 1024)} MB", Kind.TOO_LARGE)
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG"):
                raise FileRefused("not_image", "only PNG and JPEG images are read", Kind.UNSUPPORTED)
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise FileRefused("too_large", "the image has too many pixels")
            image.load()
            return FileSeal(None, tuple(_decode(image)))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise FileRefused("not_image", "the file is not a readable PNG or JPEG image", Kind.UNSUPPORTED) from None


def _decode(image: object) -> list[str]:
    from verifier.paper.selftest import decode_image

    return decode_image(image)
