"""A file attached to an issued PDF as an incremental update: the issued bytes stay a prefix, byte for byte.

The transparency log's proof of an issuance (docs/spec/log.md, section 7) cannot be in the PDF issued:
the log's entry names the credential, which names the PDF's SHA-256. It is appended afterwards as a PDF
incremental update (ISO 32000 7.5.6) that adds one embedded file (``/AFRelationship /Supplement``, as
PDF/A-3 asks) and rewrites only the catalog and the embedded files' name tree. The update is made from
the attachment alone (no clock, no random identifier), so :func:`issued_revision` can tell an issued
PDF with the proof appended from one with anything else appended: it makes the update again and
compares (:func:`is_issued`).

Only this service's own PDFs are updated (WeasyPrint's layout: a cross-reference stream, the catalog
and the name tree in object streams or at plain offsets); a PDF of another shape is refused.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from datetime import datetime

from verifier.errors import VerifierError
from verifier.tlog.leaves import LeafRefused, read_leaf
from verifier.tlog.merkle import ProofRefused
from verifier.tlog.proof import PROOF_ATTACHMENT, parse_proof

PROOF_DESCRIPTION = "The issuance's proof of inclusion in the transparency log (C2SP tlog-proof, docs/spec/log.md)"
MAX_ATTACHED = 64 * 1024  # what an update here may carry (a proof is ~1 KB)
MAX_INFLATED = 4 * 1024 * 1024  # an object or cross-reference stream of a certificate is a few KB
_XREF_AT = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_OBJECT = re.compile(rb"(\d+) 0 obj\s*(<<.*?>>)\s*(?:stream\r?\n|endobj)", re.S)
_NAME_PAIR = re.compile(rb"\(((?:[^()\\]|\\.)*)\)\s*(\d+) 0 R")


class UpdateRefused(VerifierError):
    """A PDF this module does not update (not one of this service's), or an attachment too large."""

    code = "pdf_update_refused"


def attach(pdf: bytes, name: str, data: bytes, description: str, mime: str, modified: datetime) -> bytes:
    """``pdf`` with ``data`` attached as ``name`` in an incremental update appended to it."""
    if len(data) > MAX_ATTACHED or not re.fullmatch(r"[a-z0-9.-]{1,64}", name):
        raise UpdateRefused("an attachment here is a short lower-case name and at most 64 KB")
    xref_at, trailer, entries = _xref(pdf)
    size = _int(trailer, b"Size")
    root = _ref(trailer, b"Root")
    catalog = _object(pdf, root, entries)
    names_ref = re.search(rb"/EmbeddedFiles\s+(\d+) 0 R", catalog)
    if names_ref is None:
        raise UpdateRefused("the PDF has no embedded files' name tree")
    tree_number = int(names_ref[1])
    tree = _object(pdf, tree_number, entries)
    pairs = [(m[1], int(m[2])) for m in _NAME_PAIR.finditer(tree)]
    if not re.fullmatch(rb"<<\s*/Names\s*\[[^\]]*\]\s*>>", tree) or any(p[0] == name.encode() for p in pairs):
        raise UpdateRefused("the PDF's name tree is not a flat list, or already has this attachment")
    stream_number, spec_number, xref_number = size, size + 1, size + 2
    listed = sorted([*pairs, (name.encode(), spec_number)])
    af = re.search(rb"/AF\s*\[([^\]]*)\]", catalog)
    if af is None:
        raise UpdateRefused("the PDF's catalog has no associated files (not PDF/A-3)")
    new_catalog = catalog[: af.start()] + b"/AF [" + af[1].strip() + b" %d 0 R]" % spec_number + catalog[af.end() :]
    moment = modified.strftime("D:%Y%m%d%H%M%SZ").encode()
    objects = {
        stream_number: b"<</Type /EmbeddedFile/Subtype /%s/Params <</Size %d/ModDate (%s)/CheckSum <%s>>>"
        b"/Length %d>>\nstream\n%s\nendstream"
        % (_name(mime), len(data), moment, hashlib.md5(data).hexdigest().encode(), len(data), data),  # noqa: S324 (PDF's CheckSum is MD5)
        spec_number: b"<</Type /Filespec/F (%s)/UF (%s)/EF <</F %d 0 R>>/Desc (%s)/AFRelationship /Supplement>>"
        % (name.encode(), name.encode(), stream_number, _text(description)),
        tree_number: b"<</Names [%s]>>" % b" ".join(b"(%s) %d 0 R" % pair for pair in listed),
        root: new_catalog,
    }
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    offsets[xref_number] = len(out)
    numbers = sorted(offsets)
    rows = b"".join(b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in numbers)
    index = b" ".join(b"%d 1" % n for n in numbers)
    first_id = re.search(rb"/ID\s*\[\s*(<[0-9a-fA-F]*>|\([^)]*\))", trailer)
    ids = (first_id[1] if first_id else b"<>") + b" <%s>" % hashlib.sha256(data).hexdigest()[:32].encode()
    info = re.search(rb"/Info\s+\d+ 0 R", trailer)
    out += (b"%d 0 obj\n<</Type /XRef/Size %d/Root %d 0 R%s/ID [%s]/Prev %d/Index [%s]/W [1 4 2]/Length %d>>\nstream\n"
            % (xref_number, xref_number + 1, root, b"" if info is None else b"/" + info[0][1:], ids, xref_at, index,
               len(rows)))  # fmt: skip
    out += rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)


def is_issued(pdf: bytes, digest: bytes, name: str, attached: bytes | None, description: str, mime: str,
              modified: datetime) -> bool:  # fmt: skip
    """Whether ``pdf`` is the PDF issued with SHA-256 ``digest``, or it with exactly :func:`attach`'s update.

    The revision before the update is compared by its digest first: a file from anyone is only parsed
    once its first revision is known to be the issued PDF. Anything else appended (a page drawn over, a
    field filled in) is not the issued document.
    """
    if hashlib.sha256(pdf).digest() == digest:
        return True
    end = pdf.find(b"%%EOF")
    if attached is None or end < 0:
        return False
    first = pdf[: end + 5] + (b"\n" if pdf[end + 5 : end + 6] == b"\n" else b"")
    if hashlib.sha256(first).digest() != digest:
        return False
    try:
        return attach(first, name, attached, description, mime, modified) == pdf
    except UpdateRefused:
        return False


def with_log_proof(pdf: bytes, proof: bytes) -> bytes:
    """The issued PDF with its issuance's tlog-proof appended (dated as the issuance, so made alike every time)."""
    return attach(pdf, PROOF_ATTACHMENT, proof, PROOF_DESCRIPTION, "text/plain", _issued_at(proof))


def is_issued_pdf(pdf: bytes, digest: bytes, proof: bytes | None) -> bool:
    """Whether ``pdf`` is the issued PDF (SHA-256 ``digest``), itself or with :func:`with_log_proof`'s update."""
    try:
        moment = _issued_at(proof) if proof is not None else None
    except UpdateRefused:
        moment = None
    if moment is None:
        return hashlib.sha256(pdf).digest() == digest
    return is_issued(pdf, digest, PROOF_ATTACHMENT, proof, PROOF_DESCRIPTION, "text/plain", moment)


def _issued_at(proof: bytes) -> datetime:
    try:
        return read_leaf(parse_proof(proof).leaf).at
    except (ProofRefused, LeafRefused) as exc:
        raise UpdateRefused(f"not a log proof: {exc}") from None


def _xref(pdf: bytes) -> tuple[int, bytes, dict[int, tuple[int, int]]]:
    """The last cross-reference stream: its offset, its dictionary, and object -> (stream number or 0, offset/index)."""
    found = _XREF_AT.search(pdf[-64:])
    if found is None:
        raise UpdateRefused("no cross-reference at the end of the PDF")
    at = int(found[1])
    head = _OBJECT.match(pdf, at)
    if head is None or b"/XRef" not in head[2]:
        raise UpdateRefused("the PDF's cross-reference is not a stream (not one of this service's PDFs)")
    trailer = head[2]
    found_widths = re.search(rb"/W\s*\[\s*([0-4])\s+([0-8])\s+([0-4])\s*\]", trailer)
    if found_widths is None:
        raise UpdateRefused("the PDF's cross-reference stream has no field widths")
    widths = [int(w) for w in found_widths.groups()]
    rows = _stream(pdf, head)
    index = re.search(rb"/Index\s*\[([\d\s]+)\]", trailer)
    spans = [int(n) for n in index[1].split()] if index else [0, _int(trailer, b"Size")]
    if len(spans) % 2 or sum(spans[1::2]) * sum(widths) > len(rows):
        raise UpdateRefused("the PDF's cross-reference stream is shorter than its index says")
    entries: dict[int, tuple[int, int]] = {}
    width, at_row = sum(widths), 0
    for start, count in zip(spans[::2], spans[1::2], strict=True):
        for number in range(start, start + count):
            row = rows[at_row * width : (at_row + 1) * width]
            at_row += 1
            fields, position = [], 0
            for w in widths:
                fields.append(int.from_bytes(row[position : position + w], "big") if w else 1)
                position += w
            if fields[0] == 1:
                entries[number] = (0, fields[1])
            elif fields[0] == 2:
                entries[number] = (fields[1], fields[2])
    return at, trailer, entries


def _stream(pdf: bytes, head: re.Match[bytes]) -> bytes:
    """A stream's data, inflated to at most :data:`MAX_INFLATED` bytes."""
    length = _int(head[2], b"Length")
    data = pdf[head.end() : head.end() + length]
    if b"/FlateDecode" not in head[2]:
        return data
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_INFLATED)
    except zlib.error:
        raise UpdateRefused("a stream of the PDF does not inflate") from None
    if inflater.unconsumed_tail:
        raise UpdateRefused("a stream of the PDF inflates past what this service writes")
    return out


def _object(pdf: bytes, number: int, entries: dict[int, tuple[int, int]]) -> bytes:
    """Object ``number``'s dictionary, at its offset or in its object stream."""
    where = entries.get(number)
    if where is None:
        raise UpdateRefused(f"the PDF has no object {number}")
    container, place = where
    if container == 0:
        found = _OBJECT.match(pdf, place)
        if found is None or int(found[1]) != number:
            raise UpdateRefused(f"object {number} is not where the PDF says")
        return found[2]
    stream_at = entries.get(container)
    head = _OBJECT.match(pdf, stream_at[1]) if stream_at and stream_at[0] == 0 else None
    if head is None or b"/ObjStm" not in head[2]:
        raise UpdateRefused(f"object {number}'s object stream is not where the PDF says")
    data, first = _stream(pdf, head), _int(head[2], b"First")
    table = [int(n) for n in data[:first].split()]
    offsets = dict(zip(table[::2], table[1::2], strict=True))
    if number not in offsets:
        raise UpdateRefused(f"object {number} is not in its object stream")
    later = sorted(o for o in offsets.values() if o > offsets[number])
    end = first + later[0] if later else len(data)
    return data[first + offsets[number] : end].strip()


def _int(dictionary: bytes, key: bytes) -> int:
    found = re.search(rb"/" + key + rb"\s+(\d+)(?!\s+0 R)", dictionary)
    if found is None:
        raise UpdateRefused(f"the PDF's dictionary has no {key.decode()}")
    return int(found[1])


def _ref(dictionary: bytes, key: bytes) -> int:
    found = re.search(rb"/" + key + rb"\s+(\d+) 0 R", dictionary)
    if found is None:
        raise UpdateRefused(f"the PDF's trailer has no {key.decode()}")
    return int(found[1])


def _name(mime: str) -> bytes:
    return mime.encode("ascii").replace(b"/", b"#2f")


def _text(text: str) -> bytes:
    return text.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
