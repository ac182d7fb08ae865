"""Issuance: certificate → number → seal → PDF, self-tested → registry, all or nothing.

It puts the model, the seal, the renderer and the store together: :func:`issue` is the whole recipe,
:func:`seal_certificate` and :class:`PdfMaker` are its steps. Time is an argument: the caller decides
when the certificate is sealed.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from verifier.certificate.model import AnyCertificate, certificate_json
from verifier.credentials.signed import signed_dcc
from verifier.errors import KeyStoreError, SealTooLarge, VerifierError
from verifier.issuing.policy import new_number, refuse_ended
from verifier.paper.annex import Annex
from verifier.paper.letterhead import Letterhead
from verifier.paper.pool import RenderPool, shared_pool
from verifier.paper.qr import qr_version
from verifier.paper.render import Document
from verifier.paper.report import ReportSheet
from verifier.resources import TEMPLATES
from verifier.seal.claims import SealedCertificate, claims_to_cbor, sealed_content
from verifier.seal.cose import MAX_TEXT_LENGTH, encode_text, sign
from verifier.store.audit import Change
from verifier.store.records import CertificateRecord, Conflict, NewCertificate, Principal, issuer_of
from verifier.store.registry import Registry
from verifier.trust.keys import SigningKey, new_signing_key

# Sealed certificates in, their PDFs out (or an error that refuses the whole batch).
Render = Callable[[Letterhead, list[tuple[AnyCertificate, "Sealed"]]], list[bytes]]


@dataclass
class Sealed:
    """A sealed certificate: its signed content, the claims and COSE bytes, and the QR text."""

    content: SealedCertificate
    claims: bytes
    cose: bytes
    qr_text: str
    kid: str = ""

    @cached_property
    def qr_version(self) -> int:
        """The QR version the text needs at error correction M (encodes the symbol: milliseconds)."""
        return qr_version(self.qr_text)


def seal_certificate(
    certificate: AnyCertificate, key: SigningKey, public_url: str, at: datetime, status_index: int | None = None
) -> Sealed:
    """Seal a validated, numbered certificate with ``key`` at ``at`` for the service at ``public_url``.

    ``status_index`` (reserved in the registry) puts the certificate's place in the issuer's status lists
    into the seal, for offline verifiers with downloaded lists.

    Raises :class:`~verifier.errors.SealTooLarge` when the QR code would exceed the allowed version, and
    :class:`~verifier.errors.KeyStoreError` when ``key`` may not sign at ``at``.
    """
    content = sealed_content(certificate, at, status_index)
    if not key.record.signs_at(content.issued_at):
        raise KeyStoreError(f"key {key.record.kid_hex} may not sign at {content.issued_at.isoformat()}")
    claims = claims_to_cbor(content)
    cose = sign(claims, key)
    text = encode_text(cose, public_url)
    if len(text) > MAX_TEXT_LENGTH:
        raise SealTooLarge(
            f"the sealed certificate needs {len(text)} QR characters, more than QR version 25 holds "
            f"({MAX_TEXT_LENGTH}): shorten product names, models or standards"
        )
    return Sealed(content, claims, cose, text, key.kid.hex())


@dataclass(frozen=True)
class ItemFailure:
    """Why one certificate of a batch cannot be issued: its place in the batch, its number, the error."""

    index: int
    number: str
    error: VerifierError

    def as_json(self) -> dict[str, Any]:
        """As a job reports it: index, number, an error code and the message."""
        return {"index": self.index, "number": self.number, "error": error_code(self.error), "message": str(self.error)}


def error_code(error: VerifierError) -> str:
    """The API's code for an item's error: the error's own (what a synchronous request would answer)."""
    return error.code


@dataclass
class Prepared:
    """A batch numbered and sealed: the items sealed, and the failures of those that could not be."""

    issuer_id: str
    items: list[tuple[AnyCertificate, Sealed]]
    failures: list[ItemFailure]
    indexes: list[int]

    def give_back(self, registry: Registry) -> None:
        """The issuance failed: its reserved status indexes go back (nothing sealed with them was given out)."""
        registry.statuslists.release(self.issuer_id, self.indexes)


def prepare(
    registry: Registry,
    actor: Principal,
    batch: Sequence[AnyCertificate],
    public_url: str,
    at: datetime,
    imported: bool = False,
) -> Prepared:
    """Number and seal a batch (each certificate with a reserved status index); the first step of :func:`issue`.

    Raises :class:`~verifier.store.records.Conflict` naming the numbers that exist already or repeat
    within the batch, :class:`~verifier.store.records.Forbidden` for a caller that is not an issuer.
    A certificate too large for its QR code is a failure of its own (``failures``), not an exception.
    """
    issuer_id = issuer_of(actor)
    if not imported:  # an existing certificate brought in may have ended: it verifies as expired
        refuse_ended(batch, at)
    numbered = [
        c if c.number is not None else c.model_copy(update={"number": new_number(c.scheme, issuer_id, at)})
        for c in batch
    ]
    numbers = [str(c.number) for c in numbered]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        raise Conflict(f"numbers repeat within the batch: {', '.join(repeated)}")
    registry.certificates.refuse_taken(issuer_id, numbers)  # before the work; the store checks again
    key = registry.issuers.signing_key(issuer_id)
    indexes = registry.statuslists.reserve(issuer_id, len(numbered))
    items: list[tuple[AnyCertificate, Sealed]] = []
    failures: list[ItemFailure] = []
    try:
        for place, (certificate, index) in enumerate(zip(numbered, indexes, strict=True)):
            try:
                items.append((certificate, seal_certificate(certificate, key, public_url, at, index)))
            except SealTooLarge as exc:
                failures.append(ItemFailure(place, str(certificate.number), exc))
    except BaseException:
        registry.statuslists.release(issuer_id, indexes)
        raise
    prepared = Prepared(issuer_id, items, failures, indexes)
    if failures:
        prepared.give_back(registry)
    return prepared


def store(
    registry: Registry,
    actor: Principal,
    items: Sequence[tuple[AnyCertificate, Sealed]],
    pdfs: Sequence[bytes | None],
    at: datetime,
    then: Callable[[Change, list[CertificateRecord]], None] | None = None,
    *,
    public_url: str,
) -> list[CertificateRecord]:
    """Register sealed (and rendered) certificates, all or none; ``then`` commits with them (a job's end).

    Each gets its credential (its DCC) signed here by the key that sealed it, for the service at
    ``public_url``, and stored with it: served as stored from then on.
    """
    issuer_id = issuer_of(actor)
    issuer = registry.issuers.get(issuer_id)
    keys: dict[str, SigningKey] = {}
    stored = []
    for (certificate, sealed), pdf in zip(items, pdfs, strict=True):
        if sealed.kid not in keys:
            keys[sealed.kid] = registry.issuers.sealing_key(issuer_id, bytes.fromhex(sealed.kid))
        new = _to_store(certificate, sealed, pdf)
        digest = hashlib.sha256(pdf).hexdigest() if pdf else None
        credential = signed_dcc(public_url, issuer, keys[sealed.kid], new.id, new.record, new.issued_at, digest,
                                new.status_index)  # fmt: skip
        stored.append(replace(new, credential=credential))
    return registry.certificates.add(actor, stored, at, then)


def issue(
    registry: Registry,
    actor: Principal,
    batch: Sequence[AnyCertificate],
    public_url: str,
    at: datetime,
    render: Render | None = None,
) -> list[CertificateRecord]:
    """Number, seal, render and register validated certificates, all or none, with their audit entries.

    Certificates without a number get a fresh one. ``render`` turns the sealed certificates into their
    PDFs, each self-tested (and may refuse them, raising); it runs before the store's write
    transaction, which it would otherwise hold for seconds. Raises
    :class:`~verifier.store.records.Conflict` naming the numbers that exist already or repeat within
    the batch, :class:`~verifier.store.records.Forbidden` for a caller that is not an issuer, and the
    first item's error (:class:`~verifier.errors.SealTooLarge`, ...) when one cannot be issued.
    """
    prepared = prepare(registry, actor, batch, public_url, at)
    if prepared.failures:
        raise prepared.failures[0].error
    items = prepared.items
    try:
        pdfs: Sequence[bytes | None] = (
            render(registry.issuers.letterhead(prepared.issuer_id), items) if render else [None] * len(items)
        )
        return store(registry, actor, items, pdfs, at, public_url=public_url)
    except BaseException:
        prepared.give_back(registry)
        raise


def preview(
    registry: Registry, actor: Principal, certificate: AnyCertificate, public_url: str, at: datetime, pdfs: PdfMaker
) -> bytes:
    """A look at a certificate's PDF before it is issued; nothing is registered, reserved or logged.

    It is sealed by a key made for this look alone (its QR code answers ``unknown_issuer`` to any scan) and
    marked across the page as a preview, not a certificate.
    """
    issuer_id = issuer_of(actor)
    if certificate.number is None:
        certificate = certificate.model_copy(update={"number": new_number(certificate.scheme, issuer_id, at)})
    sealed = seal_certificate(certificate, new_signing_key(at - timedelta(minutes=1)), public_url, at, 0)
    (made,) = pdfs.each(registry.issuers.letterhead(issuer_id), [(certificate, sealed)], preview=True)
    if isinstance(made, VerifierError):
        raise made
    return made


def _to_store(certificate: AnyCertificate, sealed: Sealed, pdf: bytes | None) -> NewCertificate:
    return NewCertificate(
        id=str(uuid.uuid4()),
        number=str(certificate.number),
        scheme=certificate.scheme,
        credit_code=certificate.holder.credit_code,
        valid_from=certificate.valid_from,
        valid_until=certificate.valid_until,
        record=certificate_json(certificate),
        kid=bytes.fromhex(sealed.kid),
        issued_at=sealed.content.issued_at,
        cose=sealed.cose,
        qr_text=sealed.qr_text,
        pdf=pdf,
        status_index=sealed.content.status_index,
    )


POOL_IDLE_SECONDS = 120.0
REPORT_SHARE = "~reports"  # the pool's share for verification reports (no issuer id begins with ~)


class PdfMaker:
    """Sealed certificates → their PDFs, each rendered and self-tested (its QR scanned back from pixels).

    Every certificate renders in a worker process of the render pool (:mod:`verifier.paper.pool`):
    never in the service's own threads (the libraries are not thread-safe, and the input is not
    trusted), each within its time limits, the workers shared fairly between issuers. Raises
    :class:`~verifier.paper.selftest.SelfTestFailed` when a QR code does not scan back to its seal, and
    :class:`~verifier.paper.render.RenderError` when a certificate does not fit its page or took too long:
    the batch is then refused whole. The workers stop after ``idle_seconds`` without a certificate.
    """

    def __init__(
        self,
        public_url: str,
        workers: int | None = None,
        templates: Path = TEMPLATES,
        idle_seconds: float = POOL_IDLE_SECONDS,
        pool: RenderPool | None = None,
    ) -> None:
        self.public_url = public_url
        self.templates = templates
        self.workers = workers or os.cpu_count() or 1
        self.pool = pool or shared_pool(self.workers, idle_seconds)

    def __call__(self, issuer: Letterhead, items: list[tuple[AnyCertificate, Sealed]]) -> list[bytes]:
        """The PDF of each sealed certificate, in order; raises the first item's error."""
        made = self.each(issuer, items)
        for pdf in made:
            if isinstance(pdf, VerifierError):
                raise pdf
        return cast(list[bytes], made)

    def each(
        self,
        issuer: Letterhead,
        items: Sequence[tuple[AnyCertificate, Sealed]],
        progress: Callable[[int], None] | None = None,
        preview: bool = False,
    ) -> list[bytes | VerifierError]:
        """The PDF of each sealed certificate, or why it cannot have one, in order.

        ``progress`` is called with the count done so far as results arrive (from this thread); what it
        raises stops the work. The issuer is the share the pool is fair between.
        """
        url = self.public_url
        documents = [
            Document(certificate_json(c), s.qr_text, s.cose, issuer, s.kid, s.content.issued_at, url, preview)
            for c, s in items
        ]
        return self.pool.render(issuer.id, self.templates, documents, progress)

    def annex(self, annex: Annex) -> bytes:
        """The annex of recognitions as a PDF, every QR code read back from its pixels (blocking: from a thread)."""
        (made,) = self.pool.render(annex.issuer.id, self.templates, [annex])
        if isinstance(made, VerifierError):
            raise made
        return made

    def report(self, sheet: ReportSheet) -> bytes:
        """A verification report as a one-page PDF, its QR code read back from its pixels (blocking: from a thread).

        The operator's work, shared fairly with the issuers' in the pool.
        """
        (made,) = self.pool.render(REPORT_SHARE, self.templates, [sheet])
        if isinstance(made, VerifierError):
            raise made
        return made

    @property
    def pool_running(self) -> bool:
        """Whether worker processes are up (they start with a certificate and stop when idle)."""
        return self.pool.running > 0

    def close(self) -> None:
        """Nothing to give back: the pool is the process's, and stops its workers when idle."""
