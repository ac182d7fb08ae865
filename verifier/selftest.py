"""Pixels → QR text: the self-test before a certificate is released, and reading scans and photos.

The self-test rasterises only the QR code's region of the rendered page, at 150 dpi (a cheap scan),
decodes it with zxing-cpp and requires exactly the sealed text.
"""

from __future__ import annotations

from typing import Any

import pypdfium2 as pdfium
import zxingcpp

from verifier.errors import VerifierError

SELF_TEST_DPI = 150
_MARGIN = 6.0  # points of white around the quiet zone, so the finder patterns are whole
# Only the classic (Model 2) QR code: zxing-cpp 3's ``QRCode`` is the whole family, and a Micro QR
# or rMQR "found" in JPEG noise or in printed text is never a seal (one such ghost read "3890").
QR_FORMAT: Any = zxingcpp.BarcodeFormat.QRCodeModel2


class SelfTestFailed(VerifierError):
    """The QR code of a rendered certificate does not decode to its sealed text."""


def decode_image(image: Any) -> list[str]:
    """The texts of the QR codes zxing-cpp finds in a PIL image."""
    return [found.text for found in zxingcpp.read_barcodes(image, formats=QR_FORMAT)]


def qr_region_texts(pdf: bytes, box: tuple[float, float, float, float], dpi: int = SELF_TEST_DPI) -> list[str]:
    """The QR texts in ``box`` (left, top, width, height in points) of the first page, rasterised at ``dpi``."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        width, height = page.get_size()
        left, top, w, h = box
        crop = (
            max(0.0, left - _MARGIN),
            max(0.0, height - (top + h) - _MARGIN),
            max(0.0, width - (left + w) - _MARGIN),
            max(0.0, top - _MARGIN),
        )
        image = page.render(scale=dpi / 72, crop=crop, grayscale=True).to_pil()
        return decode_image(image)
    finally:
        document.close()


def self_test(pdf: bytes, box: tuple[float, float, float, float], expected: str) -> None:
    """Raise :class:`SelfTestFailed` unless the QR region decodes to exactly ``expected``."""
    found = qr_region_texts(pdf, box)
    if found != [expected]:
        raise SelfTestFailed(
            "the certificate's QR code does not scan back to its seal "
            f"({'nothing decoded' if not found else 'another text decoded'}); it was not issued"
        )
