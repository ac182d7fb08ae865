"""Pixels → QR text: the self-test before a certificate is released, and reading scans and photos.

The self-test rasterises only the QR code's region of the rendered page, at 150 dpi (a cheap scan),
and requires exactly the sealed text from two independent decoders, zxing-cpp and zbar (the one in
many phone apps and scanners): a code that only one of them reads is not released.
"""

from __future__ import annotations

from typing import Any

import pypdfium2 as pdfium
import zxingcpp

from verifier.errors import SelfTestFailed

SELF_TEST_DPI = 150
_MARGIN = 6.0  # points of white around the quiet zone, so the finder patterns are whole
# Only the classic (Model 2) QR code: zxing-cpp 3's ``QRCode`` is the whole family, and a Micro QR
# or rMQR "found" in JPEG noise or in printed text is never a seal (one such ghost read "3890").
QR_FORMAT: Any = zxingcpp.BarcodeFormat.QRCodeModel2


__all__ = ["SelfTestFailed", "decode_image", "decode_image_zbar", "qr_region_image", "self_test"]


def decode_image(image: Any) -> list[str]:
    """The texts of the QR codes zxing-cpp finds in a PIL image."""
    return [found.text for found in zxingcpp.read_barcodes(image, formats=QR_FORMAT)]


def decode_image_zbar(image: Any) -> list[str]:
    """The texts of the QR codes zbar finds in a PIL image (Latin-1 bytes read back as zbar gives them)."""
    from pyzbar import pyzbar

    return [found.data.decode("utf-8", "replace") for found in pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])]


def qr_region_image(
    pdf: bytes, box: tuple[float, float, float, float], dpi: int = SELF_TEST_DPI, page_index: int = 0
) -> Any:
    """The QR code's region ``box`` (left, top, width, height in points) of a page (the first), at ``dpi``, grey."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[page_index]
        width, height = page.get_size()
        left, top, w, h = box
        crop = (
            max(0.0, left - _MARGIN),
            max(0.0, height - (top + h) - _MARGIN),
            max(0.0, width - (left + w) - _MARGIN),
            max(0.0, top - _MARGIN),
        )
        return page.render(scale=dpi / 72, crop=crop, grayscale=True).to_pil()
    finally:
        document.close()


def self_test(
    pdf: bytes, box: tuple[float, float, float, float], expected: str, page_index: int = 0, what: str = "certificate"
) -> None:
    """Raise :class:`SelfTestFailed` unless both decoders read exactly ``expected`` in the QR region."""
    image = qr_region_image(pdf, box, page_index=page_index)
    for decoder, found in (("zxing-cpp", decode_image(image)), ("zbar", decode_image_zbar(image))):
        if found != [expected]:
            raise SelfTestFailed(
                f"the {what}'s QR code does not scan back to its seal with {decoder} "
                f"({'nothing decoded' if not found else 'another text decoded'}); "
                + ("it was not issued" if what == "certificate" else "the annex was not made")
            )
