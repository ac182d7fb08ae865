"""The QR code drawn straight into the PDF page as one path of rectangles, not through WeasyPrint's SVG code.

The template leaves an empty box of the symbol's size; once the page is laid out, :func:`drawer` adds a
content stream that fills every run of dark modules in that box, black, as one path (one fill: no
seams between modules). Parsing and painting the symbol as SVG cost WeasyPrint tens of milliseconds a
certificate; these operators take about one. The quiet zone is the box's white margin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pydyf

from verifier.paper.qr import QUIET_ZONE, qr_code


def operators(text: str, box: tuple[float, float, float, float], page_height: float) -> bytes:
    """PDF operators that fill ``text``'s dark modules in ``box``, black, as one path.

    ``box`` is (left, top, width, height) in points from the page's top-left corner, quiet zone
    included, on a page ``page_height`` points high.
    """
    matrix = qr_code(text).matrix
    left, top, width, _ = box
    module = width / (len(matrix) + 2 * QUIET_ZONE)
    parts = [b"q 0 0 0 rg"]
    for row, line in enumerate(matrix):
        y = page_height - top - (row + 1 + QUIET_ZONE) * module
        column = 0
        while column < len(line):
            if not line[column]:
                column += 1
                continue
            start = column
            while column < len(line) and line[column]:
                column += 1
            x = left + (start + QUIET_ZONE) * module
            parts.append(b"%.3f %.3f %.3f %.3f re" % (x, y, (column - start) * module, module))
    parts.append(b"f Q")
    return b"\n".join(parts)


def drawer(text: str, box: tuple[float, float, float, float]) -> Callable[[Any, pydyf.PDF], None]:
    """A WeasyPrint ``finisher``: the symbol drawn on the document's one page before its other content.

    Drawn first, in the page's own coordinates (nothing of the page's painting changes them); the page
    paints no background over the box.
    """
    return codes_drawer([(0, text, box)])


def codes_drawer(
    codes: Sequence[tuple[int, str, tuple[float, float, float, float]]],
) -> Callable[[Any, pydyf.PDF], None]:
    """A WeasyPrint ``finisher`` drawing each (page index, text, box) symbol, as :func:`drawer` draws one."""

    def finish(_: Any, pdf: pydyf.PDF) -> None:
        kids = pdf.pages["Kids"]
        pages = [pdf.objects[number] for number in kids[0::3]]  # Kids holds "number 0 R" as three items
        for index in sorted({page for page, _, _ in codes}):
            page = pages[index]
            _, _, _, page_height = page["MediaBox"]
            drawn = [operators(text, box, float(page_height)) for at, text, box in codes if at == index]
            stream = pydyf.Stream(drawn, compress=True)
            pdf.add_object(stream)
            page["Contents"] = pydyf.Array([stream.reference, page["Contents"]])

    return finish
