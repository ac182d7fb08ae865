"""An issuer's stamp image, checked before it is stored: a PNG, or an SVG that draws and does nothing else.

The stamp is printed on every certificate the issuer's PDFs carry, so it is read with suspicion once,
on upload: the bytes decide the type (never the file name or the declared type), a PNG must decode
whole within a pixel bound, and an SVG may hold only drawing elements of the SVG vocabulary, no
script, no event attribute, no reference outside itself, no DTD (so no entity expansion), no style
sheet that imports. Text in an SVG stamp should be converted to outlines: the PDF's fonts are cut to
the certificate's own text.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from dataclasses import dataclass
from xml.etree import ElementTree

from verifier.errors import FileRefused

MAX_STAMP_BYTES = 64 * 1024
MIN_SIDE, MAX_SIDE = 64, 1600  # pixels of a PNG stamp
MAX_ELEMENTS = 4000  # of an SVG stamp
PNG, SVG = "image/png", "image/svg+xml"

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
# Drawing only: shapes, paths, groups, gradients, clipping, text set in the file, internal reuse.
_DRAWING = frozenset(
    "svg g defs title desc path circle ellipse rect line polyline polygon text tspan textPath use symbol "
    "linearGradient radialGradient stop clipPath mask pattern style".split()
)
_LOCAL_URL = re.compile(r"url\(\s*(['\"]?)#[^)]*\1\s*\)", re.IGNORECASE)
_UNSAFE_VALUE = re.compile(r"javascript:|data:|@import|expression\(|url\(", re.IGNORECASE)


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


def checked_stamp(data: bytes) -> Stamp:
    """``data`` as a :class:`Stamp`; raises :class:`~verifier.pdfread.FileRefused` (4xx) saying why not."""
    if len(data) > MAX_STAMP_BYTES:
        raise FileRefused("too_large", f"a stamp is limited to {MAX_STAMP_BYTES // 1024} KB", 413)
    if not data:
        raise FileRefused("empty", "the stamp file is empty")
    if data.startswith(_PNG_MAGIC):
        return Stamp(PNG, _checked_png(data))
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")) and b"<svg" in data.lower():
        return Stamp(SVG, _checked_svg(data))
    raise FileRefused("unsupported_type", "a stamp must be a PNG or an SVG image", 415)


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
    lowered = text.lower()
    if "<!doctype" in lowered or "<!entity" in lowered:
        raise FileRefused("unsafe_svg", "the SVG stamp has a DTD (<!DOCTYPE or <!ENTITY); remove it")
    if "<?xml-stylesheet" in lowered:
        raise FileRefused("unsafe_svg", "the SVG stamp links a style sheet; put its styles inline")
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 - no DTD (refused above), so no entity to expand
    except ElementTree.ParseError as error:
        raise FileRefused("unreadable_image", f"the SVG stamp is not well-formed XML ({error})") from None
    if root.tag != f"{{{_SVG_NS}}}svg":
        raise FileRefused("unreadable_image", "an SVG stamp's root must be an <svg> element in the SVG namespace")
    if "viewBox" not in root.attrib and not ("width" in root.attrib and "height" in root.attrib):
        raise FileRefused("unreadable_image", "the SVG stamp needs a viewBox (or a width and a height)")
    for count, element in enumerate(root.iter(), start=1):
        if count > MAX_ELEMENTS:
            raise FileRefused("unsafe_svg", f"the SVG stamp has more than {MAX_ELEMENTS} elements")
        _check_element(element)
    return data


def _check_element(element: ElementTree.Element) -> None:
    namespace, _, name = element.tag[1:].partition("}") if element.tag.startswith("{") else ("", "", element.tag)
    if namespace != _SVG_NS or name not in _DRAWING:
        shown = name if namespace == _SVG_NS else element.tag
        raise FileRefused("unsafe_svg", f"the SVG stamp may only draw; <{shown}> is not allowed")
    if name == "style" and _UNSAFE_VALUE.search(_LOCAL_URL.sub("", element.text or "")):
        raise FileRefused("unsafe_svg", "the SVG stamp's <style> refers outside the file")
    for attribute, value in element.attrib.items():
        attr_ns, _, attr_name = attribute[1:].partition("}") if attribute.startswith("{") else ("", "", attribute)
        if attr_ns not in ("", _XLINK_NS, _XML_NS):
            raise FileRefused("unsafe_svg", f"the SVG stamp has an attribute from another vocabulary ({attribute})")
        if attr_name.lower().startswith("on"):
            raise FileRefused("unsafe_svg", f"the SVG stamp has an event attribute ({attr_name}); scripts are refused")
        if attr_name == "href":
            if not value.strip().startswith("#"):
                raise FileRefused("unsafe_svg", "the SVG stamp refers to something outside itself (href)")
        elif _UNSAFE_VALUE.search(_LOCAL_URL.sub("", value)):
            raise FileRefused("unsafe_svg", f"the SVG stamp's {attr_name} refers outside the file")
