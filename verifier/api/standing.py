"""What an online verdict adds to a check of a certificate the registry issued: its recognitions, its log standing.

Both only for a seal the registry issued that verified. The recognitions each get their own verdict
(seal spec section 11); the log's word is its issuance's proof, or why there is none (docs/spec/log.md).
Each is read from memory when it can be, and from the database otherwise (in a worker thread).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from starlette.concurrency import run_in_threadpool

from verifier.api.deps import Services
from verifier.reads.recognitions import shown as recognitions_shown
from verifier.reads.seals import NeedLookup
from verifier.store.recognitions import RecognitionRecord
from verifier.verdict import Reason, RegistryEntry
from verifier.verification.check import verify
from verifier.verification.result import VerificationResult


def with_recognitions(
    svc: Services, result: VerificationResult, cose: bytes, held: tuple[RecognitionRecord, ...] | None = None
) -> VerificationResult:
    """The result with the certificate's recognitions, each with its verdict (``held``: read now if None).

    Only for a certificate the registry issued whose seal verified: the recognitions name its very bytes.
    """
    entry, content = result.registered, result.certificate
    if entry is None or content is None or result.signature.valid is not True:
        return result
    if held is None:
        held = svc.recognised.cached(entry.certificate_id)
    if held is None:
        held = svc.recognised.fetch(entry.certificate_id)
    if not held and not entry.record.get("recognitions"):
        return result
    listed = recognitions_shown(held, entry.record.get("recognitions"), cose, content, result.verdict,
                                svc.trust.get().recognisers, result.checked_at, svc.recognised.seals)  # fmt: skip
    return replace(result, recognitions=tuple(listed))


def with_log(svc: Services, result: VerificationResult, cose: bytes) -> VerificationResult:
    """The result with the log's word on the issuance of a certificate the registry issued (blocking, on a miss).

    Only for a seal the registry issued that verified; the standing is remembered while it holds
    (:meth:`~verifier.ledger.log.Ledger.known_standing`), so a scan of a known certificate asks nothing.
    """
    if result.registered is None or result.signature.valid is not True or result.signature.kid is None:
        return result
    standing = svc.ledger.known_standing(cose)
    if standing is None:
        standing = svc.ledger.standing(cose, bytes.fromhex(result.signature.kid), result.checked_at)
    return replace(result, log=standing)


async def with_log_async(svc: Services, result: VerificationResult, cose: bytes) -> VerificationResult:
    """:func:`with_log` from the event loop: from memory when it can, in a worker thread otherwise."""
    if result.registered is None or result.signature.valid is not True or result.signature.kid is None:
        return result  # nothing to ask: no hop to a thread for a forged or unknown seal
    standing = svc.ledger.known_standing(cose)
    if standing is not None:
        return replace(result, log=standing)
    return await run_in_threadpool(with_log, svc, result, cose)


def scan_blocking(svc: Services, text: str, at: datetime) -> tuple[VerificationResult, bytes | None]:
    """A QR text's verdict as a scan of it reaches it, from a worker thread; and the seal the registry was asked of.

    Its recognitions and log standing are the caller's to add (:func:`with_recognitions`, :func:`with_log`).
    """
    asked: list[bytes] = []

    def lookup(cose: bytes) -> RegistryEntry | None:
        asked.append(cose)
        try:
            return svc.known.lookup(cose)
        except NeedLookup:
            return svc.known.fetch(svc.registry.seals, cose)

    result = verify(text, svc.trust.get(), at, lookup, svc.seals)
    if result.reason is Reason.UNKNOWN_KEY:  # a key another replica added since the list was cached
        svc.trust.refresh(1.0)
        result = verify(text, svc.trust.get(), at, lookup, svc.seals)
    return result, asked[-1] if asked else None
