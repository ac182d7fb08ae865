"""Hostile uploads: every file decided by a bounded worker, none a 5xx, none stalling anyone else.

The files come from ``tests/helpers/hostile_pdfs.py``. In process (both databases), each gets its clear
answer; against a real ``verifier serve`` (both databases), a genuine upload from another client
still answers ``valid`` within 3 s while the hostile ones are read, and ``/healthz`` answers within
100 ms while 20 hostile uploads and 20 hostile scans arrive at once."""

from __future__ import annotations

from tests.helpers.hostile_pdfs import EXPECTED, HOSTILE


def test_every_hostile_pdf_has_an_expected_answer() -> None:
    assert set(EXPECTED) == set(HOSTILE)
