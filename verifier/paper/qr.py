"""QR text → QR code images (SVG and PNG), error correction M, with the four-module quiet zone.

The text from :func:`verifier.seal.cose.encode_text` is upper case, so the whole symbol is encoded in the
alphanumeric mode. The mask is chosen by the standard's penalty rules: the same text gives the same symbol.
"""

from __future__ import annotations

import io
from functools import lru_cache

import segno

from verifier.errors import SealTooLarge
from verifier.paper import qrmask

ERROR_CORRECTION = "M"
QUIET_ZONE = 4
MAX_VERSION = 25


@lru_cache(maxsize=32)
def qr_code(text: str) -> segno.QRCode:
    """The QR symbol for ``text`` at error correction M (never boosted, so the version is predictable).

    Raises :class:`SealTooLarge` when it needs a version above :data:`MAX_VERSION`. The last few symbols
    are kept: issuing one certificate asks for its symbol several times (its version, the page drawn
    twice, the QR drawn in the PDF). Callers only read it.
    """
    qrmask.install()  # the mask chosen by the penalty rules as segno does, in milliseconds (idempotent)
    try:
        code = segno.make_qr(text, error=ERROR_CORRECTION, boost_error=False)
    except segno.DataOverflowError:
        raise SealTooLarge("the text does not fit any QR version") from None
    if int(code.version) > MAX_VERSION:
        raise SealTooLarge(f"the text needs QR version {code.version}; at most {MAX_VERSION} is allowed")
    return code


def qr_version(text: str) -> int:
    """The QR version ``text`` needs at error correction M."""
    return int(qr_code(text).version)


def qr_png(text: str, scale: int = 8) -> bytes:
    """A PNG of the symbol, ``scale`` pixels a module, black on white, with the quiet zone."""
    out = io.BytesIO()
    qr_code(text).save(out, kind="png", scale=scale, border=QUIET_ZONE)
    return out.getvalue()


def qr_svg(text: str, scale: int = 4) -> bytes:
    """An SVG of the symbol (one path, no XML declaration, sized in modules × ``scale``) with the quiet zone."""
    out = io.BytesIO()
    qr_code(text).save(
        out, kind="svg", scale=scale, border=QUIET_ZONE, xmldecl=False, svgns=True, svgclass=None, lineclass=None
    )
    return out.getvalue()
