"""Stamps as an attacker sends them: escapes, amplification, loops, short PNG data (no service needed).

An SVG stamp is rebuilt from what the allow-list keeps (what is stored is never the text sent), and
what it draws is bounded; a PNG must decode whole. The service's side (refusals that lose nothing) is
in test_letterhead.py.
"""

from __future__ import annotations

import io
import struct
import zlib
from xml.etree import ElementTree

import pytest
from PIL import Image

from verifier.demo.certificates import demo_stamp
from verifier.errors import FileRefused
from verifier.paper.stamps import checked_stamp
from verifier.paper.svgstamp import MAX_DRAWN

HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100">'
RECT = '<rect width="9" height="9" {}/>'


def nested_uses(levels: int, fan: int) -> str:
    """A ``<use>`` of ``fan`` uses of ``fan`` uses ... ``levels`` deep: fan**levels circles from a few KB."""
    groups = '<g id="l0"><circle r="1"/></g>' + "".join(
        f'<g id="l{level}">' + f'<use href="#l{level - 1}"/>' * fan + "</g>" for level in range(1, levels + 1)
    )
    return f'{HEAD}<defs>{groups}</defs><use href="#l{levels}"/></svg>'


HOSTILE = {
    # CSS escapes spell url( and other functions: the tokenizer decodes them, so the check sees them.
    "escaped url in style": HEAD + RECT.format(r'style="fill: \75 rl(file:///etc/passwd)"') + "</svg>",
    "escaped url in attribute": HEAD + RECT.format(r'fill="\75 rl(http://127.0.0.1:9/)"') + "</svg>",
    "escaped url in sheet": HEAD + r'<style>rect { fill: u\72 l("https://evil.example/") }</style></svg>',
    "quoted escape": HEAD + RECT.format(r'style="fill: \000075rl(http://x/)"') + "</svg>",
    "image-set": HEAD + RECT.format('fill="image-set(&quot;http://x/a.png&quot; 1x)"') + "</svg>",
    "font face": HEAD + "<style>@font-face { font-family: x; src: url(/etc/passwd) }</style></svg>",
    "import by escape": HEAD + r"<style>@\69 mport 'http://x/s.css';</style></svg>",
    "attribute selector": HEAD + '<style>rect[fill^="a"] { fill: red }</style></svg>',
    "var": HEAD + RECT.format('style="fill: var(--x)"') + "</svg>",
    "unknown property": HEAD + RECT.format('style="behavior: url(#a)"') + "</svg>",
    "unknown attribute": HEAD + RECT.format('filter="url(#f)"') + "</svg>",
    "path data with url": HEAD + '<path d="M0 0 url(x)"/></svg>',
    "href to nothing": HEAD + '<use href="#nowhere"/></svg>',
    "amplification": nested_uses(9, 10),
    "amplification by clip": HEAD + '<clipPath id="c0"><circle r="1"/></clipPath>' + "".join(
        f'<clipPath id="c{i}">' + f'<rect width="1" height="1" clip-path="url(#c{i - 1})"/>' * 10 + "</clipPath>"
        for i in range(1, 8)
    ) + RECT.format('clip-path="url(#c7)"') + "</svg>",
    "loop": HEAD + '<g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g></svg>',
    "brackets in a sheet": HEAD + "<style>rect { fill: " + "rgb(" * 900 + " }</style></svg>",
    "brackets in a style": HEAD + RECT.format('style="fill: ' + "(" * 3000 + '"') + "</svg>",
    "a long sheet": HEAD + "<style>" + "rect { fill: red }\n" * 2000 + "</style></svg>",
    "deep nesting": HEAD + "<g>" * 3000 + '<circle r="1"/>' + "</g>" * 3000 + "</svg>",
    "long chain": HEAD + '<g id="l0"/>' + "".join(f'<g id="l{i}"><use href="#l{i - 1}"/></g>' for i in range(1, 1200))
    + "</svg>",
    "pattern": HEAD + '<pattern id="p" width="1" height="1"><circle r="1"/></pattern></svg>',
}  # fmt: skip


@pytest.mark.parametrize("svg", HOSTILE.values(), ids=HOSTILE)
def test_hostile_svg_stamps_are_refused(svg: str) -> None:
    with pytest.raises(FileRefused) as refused:
        checked_stamp(svg.encode())
    assert refused.value.code == "unsafe_svg", refused.value


def test_a_stamp_is_stored_as_rebuilt_never_as_sent() -> None:
    """Comments, unknown whitespace and the spelling of styles do not survive; what draws does, and rebuilding
    the rebuilt stamp changes nothing."""
    sent = (HEAD + "<!-- a comment --><style>.r { fill : #C00 ; stroke:rgb( 1 , 2 , 3 ) }</style>"
            '<rect class="r" width="9" height="9" style="fill-opacity:.5;clip-path:url(\'#c\')"/>'
            '<clipPath id="c"><circle r="5"/></clipPath>'
            '<text x="1" y="9">印章 <tspan>Stamp</tspan> tail</text></svg>')  # fmt: skip
    stored = checked_stamp(sent.encode()).data
    assert b"comment" not in stored and stored != sent.encode()
    root = ElementTree.fromstring(stored)
    svg = "{http://www.w3.org/2000/svg}"
    assert [e.tag.removeprefix(svg) for e in root.iter()] == ["svg", "style", "rect", "clipPath", "circle", "text",
                                                              "tspan"]  # fmt: skip
    assert root.find(f"{svg}rect").get("style") == 'fill-opacity: .5; clip-path: url("#c")'  # type: ignore[union-attr]
    assert "".join(root.find(f"{svg}text").itertext()) == "印章 Stamp tail"  # type: ignore[union-attr]
    assert checked_stamp(stored).data == stored
    assert checked_stamp(demo_stamp()).data == checked_stamp(checked_stamp(demo_stamp()).data).data


def test_what_a_stamp_draws_is_bounded_not_its_references() -> None:
    """Reuse is fine while what is drawn stays under the bound; a little more nesting is refused."""
    checked_stamp(nested_uses(3, 9).encode())  # 729 circles and their groups
    with pytest.raises(FileRefused, match=str(MAX_DRAWN)):
        checked_stamp(nested_uses(5, 10).encode())  # 100,000


def _png(width: int, height: int, rows: int, interlace: int = 0) -> bytes:
    """An RGB PNG whose image data holds ``rows`` of its ``height`` rows (non-interlaced), CRCs all right."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, interlace)
    data = b"".join(b"\x00" + b"\xc8\x10\x2e" * width for _ in range(rows))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b"")


def test_a_png_must_decode_whole() -> None:
    """Pillow fills a short image in once WeasyPrint is imported; the stamp check measures the data itself."""
    import weasyprint  # noqa: F401 - what sets LOAD_TRUNCATED_IMAGES for the process

    checked_stamp(_png(200, 200, 200))
    for short in (_png(200, 200, 100), _png(200, 200, 199), _png(200, 200, 201)):
        with pytest.raises(FileRefused) as refused:
            checked_stamp(short)
        assert refused.value.code == "unreadable_image"
    for mode in ("RGBA", "L", "P", "1", "LA"):  # every colour type and depth Pillow writes, interlaced or not
        for interlace in (False, True):
            out = io.BytesIO()
            Image.new(mode, (97, 131)).save(out, format="PNG", interlace=interlace)
            assert checked_stamp(out.getvalue()).media_type == "image/png"


def test_mutated_stamps_are_refused_cleanly_or_kept_as_they_read_back() -> None:
    """Thousands of small mutations of a stamp that uses every feature: each is refused with a FileRefused (no
    other exception: that would be a 500), or kept as a file that the render's check reads back as itself."""
    import random

    extra = ('<style>.a { fill: #c00; stroke: rgb(1, 2, 3) } g > .b, #c { opacity: .5 }</style><defs><clipPath id="c">'
             '<circle r="5"/></clipPath><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient>'
             '</defs><rect class="a" width="9" height="9" fill="url(#g)" clip-path="url(&quot;#c&quot;)" '
             "style=\"stroke-width: 2px; font-family: 'Noto Sans', serif\"/><use href=\"#c\"/>"
             '<text xml:space="preserve" x="1" y="2">  a &amp; b <tspan dx="1">c</tspan> d </text>')  # fmt: skip
    base = demo_stamp().decode().replace("</svg>", extra + "</svg>")
    pieces = ['"', "'", "&amp;", "&lt;", "\\", "(", ")", "url(#c)", "#", ";", ":", "/*x*/", " ", "\n", "é", "字",
              "!important", "rgb(1,2,3)", '\\"', "\\'", "\u00a0", "\u2028", "\r", "&#13;", "<", ">", "{", "}",
              "\\75 rl(", "@import ", "<!--", "-->", "&#0;", "]]>", "e+999"]  # fmt: skip
    rng = random.Random(25)
    kept = 0
    for _ in range(3000):
        text = list(base)
        for _ in range(rng.randint(1, 4)):
            place = rng.randrange(len(text))
            if rng.random() < 0.7:
                text.insert(place, rng.choice(pieces))
            else:
                del text[place : place + rng.randint(1, 3)]
        try:
            stored = checked_stamp("".join(text).encode()).data
        except FileRefused:
            continue
        kept += 1
        assert checked_stamp(stored, stored=True).data == stored
    assert kept > 100  # the mutations do not all break the stamp
