"""Hostile PDFs, written byte by byte as an attacker would: for the upload tests and by hand.

    .venv/bin/python tests/helpers/hostile_pdfs.py OUT_DIR      writes each as OUT_DIR/<name>.pdf

Each is a small file (well under the upload cap) built to make a PDF reader slow, greedy or confused:
form XObjects nested 5 to 7 deep (each drawing the one below ten times), an empty and an oversized
``seal.cose`` attachment, 150 oversized recognition seals, an attachment that inflates to a gigabyte,
an image that inflates to 1.6 GB, a page tree that contains itself, a page count of two billion, NaN-like
and zero MediaBoxes, a file cut in half and bytes that only start like a PDF.
"""

from __future__ import annotations

import functools
import random
import sys
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx

PAGE = b"/Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"


def pdf(objects: list[bytes], root: int = 1, header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") -> bytes:
    """A PDF of ``objects`` (numbered from 1) with a correct cross-reference table."""
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def one_page(page_extra: bytes = b"", extra: list[bytes] | None = None, contents: bytes = b"") -> bytes:
    """Catalog, pages, one page (object 3) with ``contents`` (object 4), then ``extra`` objects from 5."""
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< " + PAGE + b" /Contents 4 0 R " + page_extra + b" >>",
            stream(b"", contents),
            *(extra or []),
        ]
    )


def with_seal(seal_stream: bytes) -> bytes:
    """A one-page PDF whose ``seal.cose`` attachment is ``seal_stream`` (a whole stream object)."""
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(seal.cose) 5 0 R] >> >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< " + PAGE + b" /Contents 4 0 R >>",
            stream(b"", b""),
            b"<< /Type /Filespec /F (seal.cose) /UF (seal.cose) /EF << /F 6 0 R >> >>",
            seal_stream,
        ]
    )


def recognition_flood(count: int = 150, size: int = 20_000) -> bytes:
    """A ``seal.cose`` and ``count`` attachments named as recognition seals (``recognition-N.cose``), each oversized."""
    names, objects = (
        [b"(seal.cose) 5 0 R"],
        [
            b"<< /Type /Filespec /F (seal.cose) /UF (seal.cose) /EF << /F 6 0 R >> >>",
            stream(b"/Type /EmbeddedFile", b"\xd2\x84" + bytes(range(256))),
        ],
    )
    for n in range(1, count + 1):
        name = b"(recognition-%d.cose)" % n
        names.append(name + b" %d 0 R" % (5 + len(objects)))
        spec = b"<< /Type /Filespec /F " + name + b" /UF " + name + b" /EF << /F %d 0 R >> >>" % (6 + len(objects))
        objects.append(spec)
        objects.append(stream(b"/Type /EmbeddedFile", b"\xd2" * size))
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [" + b" ".join(names) + b"] >> >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< " + PAGE + b" /Contents 4 0 R >>",
            stream(b"", b""),
            *objects,
        ]
    )


def nested_forms(depth: int, fan_out: int = 10) -> bytes:
    """Form k draws form k-1 ``fan_out`` times: ``fan_out ** depth`` rectangles on one page."""
    forms = []
    first = 5
    for level in range(depth):
        number = first + level
        if level == 0:
            body = b"0 0 1 1 re f"
            resources = b""
        else:
            body = b" ".join([b"/F Do"] * fan_out)
            resources = b"/Resources << /XObject << /F %d 0 R >> >>" % (number - 1)
        forms.append(stream(b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] " + resources, body))
    top = first + depth - 1
    return one_page(b"/Resources << /XObject << /F %d 0 R >> >>" % top, forms, b" ".join([b"/F Do"] * fan_out))


def image_bomb(side: int = 40_000) -> bytes:
    """A grey image of ``side`` × ``side`` pixels (1.6 GB raw) from a megabyte and a half of zlib."""
    packed = zlib.compressobj(9)
    chunk = b"\x00" * (1 << 20)
    data = bytearray()
    left = side * side
    while left:
        part = chunk[: min(left, len(chunk))]
        data += packed.compress(part)
        left -= len(part)
    data += packed.flush()
    image = stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter /FlateDecode" % (side, side),
        bytes(data),
    )
    return one_page(b"/Resources << /XObject << /I 5 0 R >> >>", [image], b"595 0 0 842 0 0 cm /I Do")


def attachment_bomb(size: int = 1 << 30) -> bytes:
    """A ``seal.cose`` that inflates to ``size`` bytes."""
    packed = zlib.compressobj(9)
    chunk = b"\x00" * (1 << 20)
    data = b"".join(packed.compress(chunk) for _ in range(size // len(chunk))) + packed.flush()
    return with_seal(stream(b"/Type /EmbeddedFile /Filter /FlateDecode", data))


def page_tree_loop() -> bytes:
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< " + PAGE + b" >>",
        ]
    )


def huge_page_count() -> bytes:
    """Two billion pages claimed, a tree of a thousand kids that are all the same page."""
    kids = b" ".join([b"3 0 R"] * 1000)
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count 2000000000 >>",
            b"<< " + PAGE + b" >>",
        ]
    )


def media_box(box: bytes) -> bytes:
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox " + box + b" >>",
        ]
    )


def garbage() -> bytes:
    return b"%PDF-1.7\n" + random.Random(7).randbytes(20_000)


BUILDERS: dict[str, Callable[[], bytes]] = {
    "nested-forms-5": lambda: nested_forms(5),
    "nested-forms-6": lambda: nested_forms(6),
    "nested-forms-7": lambda: nested_forms(7),
    "seal-empty": lambda: with_seal(stream(b"/Type /EmbeddedFile", b"")),
    "seal-oversized": lambda: with_seal(stream(b"/Type /EmbeddedFile", b"\xd2" * 200_000)),
    "seal-garbage": lambda: with_seal(stream(b"/Type /EmbeddedFile", b"\xd2\x84" + bytes(range(256)))),
    "recognition-flood": recognition_flood,
    "attachment-bomb": attachment_bomb,
    "image-bomb": image_bomb,
    "page-tree-loop": page_tree_loop,
    "huge-page-count": huge_page_count,
    "mediabox-nan": lambda: media_box(b"[0 0 " + b"9" * 400 + b" " + b"9" * 400 + b"]"),
    "mediabox-zero": lambda: media_box(b"[0 0 0 0]"),
    "mediabox-negative": lambda: media_box(b"[0 0 -595 -842]"),
    "no-pages": lambda: pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]),
    "truncated": lambda: nested_forms(2)[:300],
    "garbage": garbage,
    "not-a-pdf": lambda: b"GIF89a" + b"\x00" * 100,
}


@functools.cache
def _made(name: str) -> bytes:
    return BUILDERS[name]()


class _Corpus(Mapping[str, bytes]):
    """Every hostile PDF by name, each made the first time it is asked for (a bomb takes seconds to make)."""

    def __getitem__(self, name: str) -> bytes:
        return _made(name)

    def __iter__(self) -> Iterator[str]:
        return iter(BUILDERS)

    def __len__(self) -> int:
        return len(BUILDERS)


HOSTILE: Mapping[str, bytes] = _Corpus()


def corpus() -> dict[str, bytes]:
    """Every hostile PDF by name, made."""
    return dict(HOSTILE)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-pdfs")
    out.mkdir(parents=True, exist_ok=True)
    for name, data in corpus().items():
        (out / f"{name}.pdf").write_bytes(data)
        print(f"{out / name}.pdf  {len(data):>9,} bytes")


# What each file is answered: an HTTP status and, for a 200, the verdict's reason.
EXPECTED = {
    "nested-forms-5": (200, "no_code_found"),
    "nested-forms-6": (422, "too_complex"),
    "nested-forms-7": (422, "too_complex"),
    "seal-empty": (200, "bad_cbor"),
    "seal-oversized": (200, "too_large"),
    "seal-garbage": (200, "bad_cbor"),
    "recognition-flood": (200, "bad_cbor"),
    "attachment-bomb": (422, "too_complex"),
    "image-bomb": (200, "no_code_found"),
    "page-tree-loop": (200, "no_code_found"),
    "huge-page-count": (200, "no_code_found"),
    "mediabox-nan": (200, "no_code_found"),
    "mediabox-zero": (200, "no_code_found"),
    "mediabox-negative": (200, "no_code_found"),
    "no-pages": (422, "damaged"),
    "truncated": (422, "damaged"),
    "garbage": (422, "damaged"),
    "not-a-pdf": (415, "not_pdf"),
}


def upload(client: httpx.Client | object, data: bytes, path: str = "/api/v1/verify/pdf") -> httpx.Response:
    return client.post(path, files={"file": ("x.pdf", data, "application/pdf")})  # type: ignore[attr-defined, no-any-return]
