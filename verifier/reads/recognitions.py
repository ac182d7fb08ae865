"""The recognitions of the certificates scanned, from memory, and each one's verdict for the scan's answer.

Most certificates have none, and a scan must not pay a round trip to learn so: what the registry holds for
a certificate is remembered (none included) with the version of all recognitions (the highest row of the
recognitions and of their events, read by one task every 0.1 s, and at once after a change made here). A
scan of a certificate not remembered, or remembered under an older version, looks it up off the event
loop (:meth:`RecognitionBoard.fetch`).

Each recognition is then checked as every verifier checks it (section 11 of the seal spec: the body's key
from the trust list, this very seal, the remit, the span of validity), after the certificate's own verdict
(a recognition of a certificate that is not valid has lapsed), with its status in the registry (revoked
or suspended by its body). The recognitions the issuer only declared in the certificate's record (today's
international-cooperation certificates) are shown as such: declared by the issuer, not signed by the body.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from verifier.seal.claims import SealedCertificate
from verifier.store.recognitions import RecognitionRecord, Recognitions
from verifier.trust.parties import Recogniser
from verifier.verdict import StatusState, Verdict
from verifier.verification.recognition import RecognitionSeals, check_recognition

log = logging.getLogger("verifier.reads")
POLL_SECONDS = 0.1
MAX_SHOWN = 40  # recognitions in one answer: every standing one first (a body may recognise for each market
# once), then the newest revoked ones, to this bound


class RecognitionBoard:
    """Up to ``size`` certificates' recognitions (their lists, empty ones too), current with the registry."""

    def __init__(self, recognitions: Recognitions, size: int = 10_000) -> None:
        self.recognitions = recognitions
        self.size = size
        self._version: tuple[int, int] | None = None
        self._held: OrderedDict[str, tuple[tuple[int, int] | None, tuple[RecognitionRecord, ...]]] = OrderedDict()
        self._lock = threading.Lock()
        self._failing = False
        self.seals = RecognitionSeals(size)  # recognition seals verified once: scans skip their Ed25519 after

    def cached(self, certificate_id: str) -> tuple[RecognitionRecord, ...] | None:
        """The certificate's recognitions if known here and current (no I/O: the event loop's), else None."""
        found = self._held.get(certificate_id)
        if found is None or found[0] != self._version or self._version is None:
            return None
        return found[1]

    def fetch(self, certificate_id: str) -> tuple[RecognitionRecord, ...]:
        """Read the certificate's recognitions and remember them (blocking: a worker thread's)."""
        version = self._version  # before the database: a change in between costs a lookup, never a stale answer
        records = tuple(self.recognitions.of_certificate(certificate_id))
        self._remember(certificate_id, version, records)
        return records

    def fetch_many(self, certificate_ids: list[str]) -> None:
        """Read the recognitions of the certificates not held here (a batch's, at once) and remember them (blocking)."""
        version = self._version
        wanted = [i for i in dict.fromkeys(certificate_ids) if self.cached(i) is None]
        for start in range(0, len(wanted), 500):
            for certificate_id, records in self.recognitions.of_certificates(wanted[start : start + 500]).items():
                self._remember(certificate_id, version, tuple(records))

    def _remember(
        self, certificate_id: str, version: tuple[int, int] | None, records: tuple[RecognitionRecord, ...]
    ) -> None:
        with self._lock:
            self._held[certificate_id] = (version, records)
            self._held.move_to_end(certificate_id)
            while len(self._held) > self.size:
                self._held.popitem(last=False)

    def refresh(self) -> None:
        """Read the version of all recognitions (blocking); a change forgets what was held."""
        version = self.recognitions.version()
        if version != self._version:
            with self._lock:
                self._version = version

    async def run(self, stop: asyncio.Event, interval: float = POLL_SECONDS) -> None:
        """Refresh every ``interval`` seconds until ``stop`` is set; a database that fails is logged once."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.refresh)
                self._failing = False
            except Exception:  # what is held stays unused (its version unknown): scans look it up
                if not self._failing:
                    log.exception("cannot read the recognitions' version; scans look them up")
                self._failing = True
                self._version = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)


def listed_first(records: tuple[RecognitionRecord, ...]) -> list[RecognitionRecord]:
    """The recognitions an answer lists: every standing one (oldest first), then the newest revoked; MAX_SHOWN."""
    standing = [r for r in records if r.state is not StatusState.REVOKED]
    revoked = [r for r in records if r.state is StatusState.REVOKED]
    return (standing + revoked[::-1])[:MAX_SHOWN]


def shown(
    records: tuple[RecognitionRecord, ...],
    declared: object,
    base_cose: bytes,
    base: SealedCertificate,
    base_verdict: Verdict,
    recognisers: Iterable[Recogniser],
    at: datetime,
    cache: RecognitionSeals | None = None,
) -> list[dict[str, Any]]:
    """Each recognition as the verdict JSON lists it: signed ones checked, then those only declared."""
    bodies = tuple(recognisers)
    out = []
    for record in listed_first(records):
        status = record.state if record.state is not StatusState.ACTIVE else None
        result = check_recognition(record.cose, base_cose, base, base_verdict, bodies, at, status, cache)
        body = result.recogniser
        out.append({
            "id": record.id,
            "verdict": result.verdict.value,
            "reason": result.reason.value,
            "detail": result.detail,
            "recogniser": {"id": body.id, "name": body.name, "name_en": body.name_en, "country": body.country}
            if body else {"id": record.party_id, "name": None, "name_en": None, "country": None},
            "signature_valid": result.signature_valid,
            "signed": True,
            "number": record.number,
            "markets": list(record.markets),
            "basis": list(record.basis),
            "valid_from": record.valid_from.isoformat(),
            "valid_until": record.valid_until.isoformat(),
            "status": {"state": record.state.value, "reason": record.reason,
                       "since": record.since.isoformat().replace("+00:00", "Z") if record.since else None},
            "seal": base64.b64encode(record.cose).decode("ascii"),
        })  # fmt: skip
    out.extend(_declared(declared, {r.number for r in records}))
    return out


def _declared(declared: object, signed_numbers: set[str]) -> list[dict[str, Any]]:
    """What the issuer wrote in the record (body, country, number), not signed by the body: never valid."""
    if not isinstance(declared, list):
        return []
    out: list[dict[str, Any]] = []
    for entry in declared[:20]:
        if not isinstance(entry, dict) or entry.get("certificate_number") in signed_numbers:
            continue
        out.append({
            "id": None, "verdict": "declared", "reason": "not_signed",
            "detail": "declared by the issuer, not signed by the recognising body",
            "recogniser": {"id": None, "name": None, "name_en": str(entry.get("body", ""))[:200],
                           "country": str(entry.get("country", ""))[:2] or None},
            "signature_valid": None, "signed": False, "number": str(entry.get("certificate_number", ""))[:40],
            "markets": [], "basis": [], "valid_from": None, "valid_until": None, "status": None, "seal": None,
        })  # fmt: skip
    return out
