"""Issuance: certificate → number → seal → PDF, self-tested → registry, all or nothing.

It puts the model, the seal, the renderer and the store together: :func:`issue` is the whole recipe,
:func:`seal_certificate` and :class:`PdfMaker` are its steps. Time is an argument: the caller decides
when the certificate is sealed.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from verifier.claims import SealedCertificate, claims_to_cbor, sealed_content
from verifier.errors import KeyStoreError, SealTooLarge, VerifierError
from verifier.keys import SigningKey
from verifier.letterhead import Letterhead
from verifier.model import AnyCertificate, certificate_json
from verifier.policy import new_number, refuse_ended
from verifier.qr import qr_version
from verifier.render import TEMPLATES, Document, Renderer, RenderError
from verifier.seal import MAX_TEXT_LENGTH, encode_text, sign
from verifier.selftest import SelfTestFailed, self_test
from verifier.store.audit import Change
from verifier.store.records import CertificateRecord, Conflict, NewCertificate, Principal, issuer_of
from verifier.store.registry import Registry

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
    """The API's code for an item's error (the same as a synchronous request would answer)."""
    if isinstance(error, SealTooLarge):
        return "certificate_too_large"
    if isinstance(error, SelfTestFailed):
        return "self_test_failed"
    return "render_failed" if isinstance(error, RenderError) else "refused"


@dataclass
class Prepared:
    """A batch numbered and sealed: the items sealed, and the failures of those that could not be."""

    issuer_id: str
    items: list[tuple[AnyCertificate, Sealed]]
    failures: list[ItemFailure]


def prepare(
    registry: Registry, actor: Principal, batch: Sequence[AnyCertificate], public_url: str, at: datetime
) -> Prepared:
    """Number and seal a batch (each certificate with a reserved status index); the first step of :func:`issue`.

    Raises :class:`~verifier.store.records.Conflict` naming the numbers that exist already or repeat
    within the batch, :class:`~verifier.store.records.Forbidden` for a caller that is not an issuer.
    A certificate too large for its QR code is a failure of its own (``failures``), not an exception.
    """
    issuer_id = issuer_of(actor)
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
    for place, (certificate, index) in enumerate(zip(numbered, indexes, strict=True)):
        try:
            items.append((certificate, seal_certificate(certificate, key, public_url, at, index)))
        except SealTooLarge as exc:
            failures.append(ItemFailure(place, str(certificate.number), exc))
    return Prepared(issuer_id, items, failures)


def store(
    registry: Registry,
    actor: Principal,
    items: Sequence[tuple[AnyCertificate, Sealed]],
    pdfs: Sequence[bytes | None],
    at: datetime,
    then: Callable[[Change, list[CertificateRecord]], None] | None = None,
) -> list[CertificateRecord]:
    """Register sealed (and rendered) certificates, all or none; ``then`` commits with them (a job's end)."""
    stored = [_to_store(c, s, pdf) for (c, s), pdf in zip(items, pdfs, strict=True)]
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
    pdfs: Sequence[bytes | None] = (
        render(registry.issuers.letterhead(prepared.issuer_id), items) if render else [None] * len(items)
    )
    return store(registry, actor, items, pdfs, at)


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
# pdfium (the self-test's rasteriser), zbar, WeasyPrint and HarfBuzz are not thread-safe: forty issuances
# at once in the server's threads crashed it. In this process one certificate renders at a time; the
# pool's worker processes are single-threaded.
IN_PROCESS = threading.Lock()


class PdfMaker:
    """Sealed certificates → their PDFs, each rendered and self-tested (its QR scanned back from pixels).

    One certificate renders in the calling thread; a batch renders in a pool of processes, one per
    core (WeasyPrint holds the GIL). Raises :class:`~verifier.selftest.SelfTestFailed` when a QR code
    does not scan back to its seal, and :class:`~verifier.render.RenderError` when a certificate does
    not fit its page or the renderer died: the batch is then refused whole. The pool stops after
    ``idle_seconds`` without a batch and starts again with the next.
    """

    def __init__(
        self,
        public_url: str,
        workers: int | None = None,
        templates: Path = TEMPLATES,
        idle_seconds: float = POOL_IDLE_SECONDS,
    ) -> None:
        self.public_url = public_url
        self.templates = templates
        self.workers = workers or os.cpu_count() or 1
        self.idle_seconds = idle_seconds
        self._pool: ProcessPoolExecutor | None = None
        self._busy = 0
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

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
    ) -> list[bytes | VerifierError]:
        """The PDF of each sealed certificate, or why it cannot have one, in order.

        ``progress`` is called with the count done so far as results arrive (from this thread); what it
        raises stops the work. A renderer that died raises :class:`~verifier.render.RenderError`.
        """
        url = self.public_url
        jobs = [
            (self.templates, Document(certificate_json(c), s.qr_text, s.cose, issuer, s.kid, s.content.issued_at, url))
            for c, s in items
        ]
        made: list[bytes | VerifierError] = []
        if len(jobs) == 1 or self.workers == 1:
            for job in jobs:
                with IN_PROCESS:  # never two renders at once in this process's threads
                    made.append(render_or_refusal(job))
                if progress is not None:
                    progress(len(made))
            return made
        # Small chunks: every worker is fed until the end, and progress moves in small steps.
        chunk = max(1, min(4, len(jobs) // (4 * self.workers)))
        pool = self._acquire()
        # A generator: closing it (stopped early) cancels what is still queued.
        results = cast(Generator[bytes | VerifierError], pool.map(render_or_refusal, jobs, chunksize=chunk))
        try:
            for pdf in results:
                made.append(pdf)
                if progress is not None:
                    progress(len(made))
            return made
        except BrokenProcessPool:
            self.close()  # a worker died (killed, out of memory): a fresh pool next time
            raise RenderError("the PDF renderer stopped unexpectedly; nothing was issued, retry") from None
        finally:
            results.close()
            self._release()

    @property
    def pool_running(self) -> bool:
        """Whether the worker processes are up (they start with a batch and stop when idle)."""
        return self._pool is not None

    def _acquire(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_start
                )
            self._busy += 1
            return self._pool

    def _release(self) -> None:
        with self._lock:
            self._busy -= 1
            if self._busy == 0 and self._pool is not None and self.idle_seconds > 0:
                self._timer = threading.Timer(self.idle_seconds, self._stop_if_idle)
                self._timer.daemon = True
                self._timer.start()

    def _stop_if_idle(self) -> None:
        """Each worker holds WeasyPrint, the fonts and their subsetter (~165 MB): give it back when idle."""
        with self._lock:
            if self._busy or self._pool is None:
                return
            pool, self._pool, self._timer = self._pool, None, None
        pool.shutdown()

    def close(self) -> None:
        """Stop the worker processes."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(cancel_futures=True)


WORKER_NICENESS = 19  # the lowest: a render worker gets a core the service leaves idle


def _worker_start() -> None:
    """Set up a render worker: it yields the CPU and ends with the service.

    At a lower priority, the service's requests come first (scans stay fast while a batch renders); it
    watches its parent and exits when the service is gone, even killed (SIGKILL stops no pool).
    """
    os.nice(WORKER_NICENESS)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


_renderers: dict[Path, Renderer] = {}


def render_or_refusal(job: tuple[Path, Document]) -> bytes | VerifierError:
    """:func:`render_checked`, with a certificate that cannot be rendered answered by its error."""
    try:
        return render_checked(job)
    except (RenderError, SelfTestFailed) as exc:
        return exc


def render_checked(job: tuple[Path, Document]) -> bytes:
    """One certificate's PDF, self-tested; each process keeps a renderer per template folder."""
    templates, document = job
    renderer = _renderers.get(templates)
    if renderer is None:
        renderer = _renderers[templates] = Renderer(templates)
    rendered = renderer.render(document)
    self_test(rendered.data, rendered.qr_box, document.qr_text)
    return rendered.data
