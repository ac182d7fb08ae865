"""The incremental update that carries the log's proof refuses what is not one of this service's PDFs."""

from __future__ import annotations

import hashlib

import pytest

from verifier.paper.pdfupdate import UpdateRefused, attach, is_issued_pdf, with_log_proof

PROOF = (b"c2sp.org/tlog-proof@v1\nextra dmVyaWZpZXItbG9nL3YxIGlzc3VlZAo=\nindex 0\n\n"
         b"verify.example/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"
         b"\xe2\x80\x94 verify.example/log AAAAAA==\n")  # fmt: skip


@pytest.mark.parametrize(
    "pdf",
    [b"", b"%PDF-1.7\n", b"%PDF-1.7\nstartxref\n99999999\n%%EOF\n", b"%PDF-1.7\n1 0 obj\n<</Type /XRef>>\nendobj\n"
     b"startxref\n9\n%%EOF\n", b"%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer\n<</Size 1>>\nstartxref\n9\n%%EOF"],
    ids=["empty", "header only", "offset past the end", "xref stream without rows", "classic xref table"],
)  # fmt: skip
def test_a_pdf_not_of_this_service_is_refused_and_compared_as_it_is(pdf: bytes) -> None:
    with pytest.raises(UpdateRefused):
        attach(pdf, "issuance.tlog-proof", b"x", "a proof", "text/plain", __import__("datetime").datetime.now())
    digest = hashlib.sha256(pdf).digest()
    assert is_issued_pdf(pdf, digest, PROOF) and is_issued_pdf(pdf, digest, None)
    assert not is_issued_pdf(pdf + b"%%EOF\n", digest, PROOF)


def test_what_is_not_a_proof_is_not_attached() -> None:
    with pytest.raises(UpdateRefused, match="not a log proof"):
        with_log_proof(b"%PDF-1.7\n", b"hello")
    with pytest.raises(UpdateRefused, match="short lower-case name"):
        attach(b"%PDF-1.7\n", "../etc", b"x", "a proof", "text/plain", __import__("datetime").datetime.now())
