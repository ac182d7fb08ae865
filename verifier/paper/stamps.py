"""An issuer's stamp image, checked before it is stored: a PNG that decodes whole, or an SVG rebuilt to draw only.

The stamp is printed on every certificate the issuer's PDFs carry, so it is read with suspicion on
upload and again at every render: the bytes decide the type (never the file name or the declared
type); a PNG must decode whole (every row of its image data present) within a pixel bound; an SVG is
rebuilt from an allow-listed model (:mod:`verifier.paper.svgstamp`): what is stored is the rebuilt file, never
the text uploaded. Text in an SVG stamp should be converted to outlines: the PDF's fonts are cut to the
certificate's own text.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zlib
from dataclasses import dataclass

from verifier.errors import FileRefused, Kind
from verifier.paper.svgstamp import rebuilt_svg

MAX_STAMP_BYTES = 64 * 1024
MIN_SIDE, MAX_SIDE = 64, 1600  # pixels of a PNG stamp
PNG, SVG = "image/png", "image/svg+xml"

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Stamp:
    """A checked stamp: its media type and bytes."""

    media_type: str
    data: bytes

    @property
    def sha256(self) -> bytes:
        """The bytes' SHA-256 (what the operator's listing shows of it)."""
        return hashlib.sha256(self.data).digest()

    def data_uri(self) -> str:
        """The stamp as a data: URI, for the certificate's HTML."""
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"


def checked_stamp(data: bytes, stored: bool = False) -> Stamp:
    """``data`` as a :class:`Stamp`; raises :class:`~verifier.uploads.pdfread.FileRefused` (4xx) saying why not.

    ``stored``: the stamp as it was kept (an SVG rebuilt, which may be a little longer than what was sent).
    """
    if len(data) > MAX_STAMP_BYTES * (2 if stored else 1):
        raise FileRefused("too_large", f"a stamp is limited to {MAX_STAMP_BYTES // 1024} KB", Kind.TOO_LARGE)
    if not data:
        raise FileRefused("empty", "the stamp file is empty")
    if data.startswith(_PNG_MAGIC):
        return Stamp(PNG, _checked_png(data))
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")) and b"<svg" in data.lower():
        return Stamp(SVG, _checked_svg(data))
    raise FileRefused("unsupported_type", "a stamp must be a PNG or an SVG image", Kind.UNSUPPORTED)


def _checked_png(data: bytes) -> bytes:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            width, height = image.size  # from the header: nothing decoded yet
            if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
                raise FileRefused(
                    "bad_size", f"a PNG stamp must be {MIN_SIDE} to {MAX_SIDE} pixels a side, not {width}×{height}"
                )
            image.load()  # the whole image decodes, within the bound just checked
        # Every chunk whole, its CRC right, up to IEND: load() alone forgives a truncated file once
        # WeasyPrint is imported (it sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process).
        with Image.open(io.BytesIO(data), formats=["PNG"]) as again:
            again.verify()
        _refuse_short(data)
    except FileRefused:
        raise
    except Exception:  # noqa: BLE001 - any decoder complaint means the same to the operator
        raise FileRefused("unreadable_image", "the PNG stamp is damaged or truncated") from None
    return data


def _checked_svg(data: bytes) -> bytes:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileRefused("unreadable_image", "an SVG stamp must be UTF-8 text") from None
    rebuilt = rebuilt_svg(text)
    if len(rebuilt) > 2 * MAX_STAMP_BYTES:  # what is kept is bounded as what is sent
        message = f"the SVG stamp, rebuilt, is larger than {2 * MAX_STAMP_BYTES // 1024} KB"
        raise FileRefused("too_large", message, Kind.TOO_LARGE)
    # What is kept must read back as itself: it is checked again at every render.
    try:
        again = rebuilt_svg(rebuilt.decode("utf-8"))
    except FileRefused:
        again = None
    if again != rebuilt:
        raise FileRefused("unsafe_svg", "the SVG stamp does not read back as it was rebuilt: simplify its styles")
    return rebuilt


_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type → samples a pixel
# Adam7's passes: (first column, first row, column step, row step).
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _refuse_short(data: bytes) -> None:
    """Refuse a PNG whose image data inflates to fewer (or more) bytes than its header's pixels need.

    Pillow fills a short image in silently once WeasyPrint is imported (LOAD_TRUNCATED_IMAGES, for the
    whole process), so the data is measured here, independently: every row, of every interlace pass.
    """
    chunks, place = [], 8
    while place + 8 <= len(data):
        length = int.from_bytes(data[place : place + 4], "big")
        chunks.append((data[place + 4 : place + 8], data[place + 8 : place + 8 + length]))
        place += 12 + length
    header = chunks[0][1]
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, colour, interlaced = header[8], header[9], header[12]
    bits = depth * _CHANNELS[colour]
    passes = _ADAM7 if interlaced else ((0, 0, 1, 1),)
    need = 0
    for column, row, column_step, row_step in passes:
        columns = (width - column + column_step - 1) // column_step
        rows = (height - row + row_step - 1) // row_step
        if columns > 0 and rows > 0:
            need += rows * (1 + (columns * bits + 7) // 8)
    inflater = zlib.decompressobj()
    inflated = 0
    for kind, body in chunks:
        if kind == b"IDAT":
            inflated += len(inflater.decompress(body, need + 1 - inflated))
            if inflated > need or inflater.unconsumed_tail:
                raise FileRefused("unreadable_image", "the PNG stamp holds more image data than its size")
    if inflated != need or not inflater.eof:
        raise FileRefused("unreadable_image", "the PNG stamp's image data is short: it does not decode whole")
