"""The monitor's reading of an issuer's records, and what it flags among the log's entries about the issuer."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from verifier.ledger.monitor import Known, KnownRefused, sightings
from verifier.seal.cose import encode_text
from verifier.store.log import issued, key_event, status

AT = datetime(2026, 12, 7, tzinfo=UTC)
OURS, THEIRS = b"\xd2\x84our seal", b"\xd2\x84a seal made with a stolen key"


def test_an_export_holds_links_digests_and_keys() -> None:
    link = encode_text(OURS, "https://verify.example").upper()
    digest = hashlib.sha256(b"other").digest()
    known = Known.read(["# comment", "", link, digest.hex(), " " + __import__("base64").b64encode(digest).decode(),
                        "key 0011223344556677"])  # fmt: skip
    assert known.seals == {hashlib.sha256(OURS).digest(), digest} and known.keys == {"0011223344556677"}


@pytest.mark.parametrize(
    "line", ["hello", "key 12", "https://verify.example/c/!!", "00" * 31, "QUJD", "key " + "g" * 16]
)
def test_a_line_that_is_no_record_is_refused_by_its_number(line: str) -> None:
    with pytest.raises(KnownRefused, match="line 2:"):
        Known.read(["# ours", line])


def test_what_the_records_lack_is_flagged() -> None:
    kid = bytes.fromhex("0011223344556677")
    known = Known({hashlib.sha256(OURS).digest()}, {kid.hex()})
    seen, look = sightings("zjcert", known)
    events = [
        key_event(AT, "zjcert", "added", kid, b"\x01" * 32),
        issued(AT, "zjcert", kid, OURS, "credential"),
        issued(AT, "zjcert", kid, THEIRS, None),  # sealed with its key, never recorded: a theft
        issued(AT, "other", kid, OURS, None),  # its key, under another issuer's name
        issued(AT, "other", bytes(8), THEIRS, None),  # nothing of zjcert's: not listed
        status(AT, "zjcert", hashlib.sha256(THEIRS).digest(), "revoked", "fraud"),
        key_event(AT, "zjcert", "added", bytes(8), b"\x02" * 32),  # a key it never asked for
    ]
    for index, event in enumerate(events):
        look(index, event)
    assert [(s.index, s.matched) for s in seen] == [
        (0, True),
        (1, True),
        (2, False),
        (3, False),
        (5, False),
        (6, False),
    ]
    assert seen[2].line().endswith("FLAGGED: not in your records") and "issued" in seen[2].line()
