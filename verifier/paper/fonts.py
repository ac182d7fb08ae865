"""The Chinese font cut to the characters of one page, so a certificate PDF weighs ~70 KB instead of ~265 KB.

WeasyPrint keeps a font's own glyph numbering when it embeds a subset, so the size of an embedded
Noto Sans CJK subset follows the highest glyph id drawn (tens of thousands), not the hundred glyphs
a certificate uses. HarfBuzz's subsetter (uharfbuzz) renumbers: the page's characters plus printable
ASCII (Pango draws spaces and digits beside Chinese with the Chinese font), every layout table kept
(BASE included: without it lines move), in ~10-20 ms. The page looks the same to the pixel.

Each cut is a font family of its own, named after its characters, so the same page always gives the
same bytes; the renderer lays each page out with a fresh FontConfiguration, so cuts never pile up.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

FAMILY = "Noto Sans CJK SC"  # what the templates ask for
PRINTABLE_ASCII = frozenset(range(0x20, 0x7F))
WEIGHTS = {"normal": "", "bold": ":bold"}


class FontMissing(RuntimeError):
    """The CJK font the certificates are set in is not installed."""


@dataclass(frozen=True)
class FontCut:
    """The font faces of one page: a family name, and CSS ``@font-face`` rules naming the cut fonts' files.

    The files live while :func:`cut_for`'s context lasts. (Files, not ``data:`` URIs: WeasyPrint's CSS
    tokenizer took ~0.1 s per page over the base64 of two cut fonts.)
    """

    family: str
    css: str
    folder: Path


@cache
def _faces() -> dict[str, Any]:
    """The installed faces of the family by weight (fontconfig says where: a collection and an index)."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise FontMissing("fc-match is missing: install fontconfig and fonts-noto-cjk")
    import uharfbuzz as hb

    faces = {}
    for weight, style in WEIGHTS.items():
        found = subprocess.run(  # noqa: S603 - a fixed program and pattern
            [fc_match, "-f", "%{family}\t%{file}\t%{index}", f"{FAMILY}{style}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        family, path, index = found.split("\t")
        if FAMILY not in family.split(","):
            raise FontMissing(f"{FAMILY} is not installed (fontconfig offers {family}): install fonts-noto-cjk")
        faces[weight] = hb.Face(hb.Blob.from_file_path(path), int(index))
    return faces


@contextmanager
def cut_for(text: str) -> Iterator[FontCut]:
    """The family's faces cut to the characters of ``text`` (and printable ASCII), as CSS to prepend.

    The cut fonts are files in a private temporary folder until the context ends.
    """
    points = sorted({ord(ch) for ch in text if ord(ch) > 0x7E} | PRINTABLE_ASCII)
    family = f"{FAMILY} {hashlib.sha256(repr(points).encode('ascii')).hexdigest()[:16]}"
    import uharfbuzz as hb  # in render workers only: HarfBuzz is not for the service's threads

    with TemporaryDirectory(prefix="verifier-font-") as folder:
        rules = []
        for weight, face in _faces().items():
            wanted = hb.SubsetInput()
            wanted.sets(hb.SubsetInputSets.UNICODE).update(points)
            path = Path(folder) / f"{weight}.otf"
            path.write_bytes(hb.subset(face, wanted).blob.data)
            rules.append(
                f'@font-face {{ font-family: "{family}"; font-weight: {weight}; src: url("{path.as_uri()}"); }}'
            )
        yield FontCut(family, "\n".join(rules) + "\n", Path(folder))
