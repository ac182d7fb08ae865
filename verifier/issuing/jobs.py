"""Batches issued as jobs: a runner takes waiting jobs from the registry and issues each, all or none.

Every replica runs one :class:`JobRunner`; they share the queue through the database (a job is held
by one runner's lease, :mod:`verifier.store.jobs`), taken fairly between issuers. A runner holds
several issuers' jobs at once (one each), and the render pool takes turns between them. A job is
issued as a synchronous batch is — numbered, sealed, rendered on every core
(:class:`~verifier.issuing.recipe.PdfMaker`), stored — with its
progress recorded as the PDFs come back, and its certificates written in the transaction that marks
it succeeded. A job with items that cannot be issued fails whole, naming each; a cancelled one ends
at the next certificate rendered; a service that stops gives its job back to the queue.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from verifier.certificate.model import parse_certificate
from verifier.errors import VerifierError
from verifier.issuing.recipe import ItemFailure, PdfMaker, Prepared, prepare, store
from verifier.store.audit import Change
from verifier.store.imports import registered
from verifier.store.jobs import ClaimedJob, JobLost
from verifier.store.records import CertificateRecord
from verifier.store.registry import Registry

log = logging.getLogger("verifier.issuing.jobs")

LEASE_SECONDS = 30.0  # a runner that stops renewing (killed) loses its job after this long
POLL_SECONDS = 1.0  # how often an idle runner looks for work another replica queued
PROGRESS_SECONDS = 0.5  # progress written at most this often (and the lease renewed with it)


class Stopping(Exception):
    """The service is stopping: the job goes back to the queue."""


MAX_RUNNING = 8  # jobs one runner holds at once, each of another issuer


class JobRunner:
    """Takes queued jobs and runs each in a thread of its own: several issuers' jobs at once, one per issuer.

    The render pool takes turns between the issuers whose jobs run, so one issuer's ten jobs of 1,000
    delay another's first certificate by a certificate or two, not by ten jobs.
    """

    def __init__(
        self,
        registry: Registry,
        pdfs: PdfMaker | None,
        public_url: str,
        clock: Callable[[], datetime],
        lease_seconds: float = LEASE_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        max_running: int = MAX_RUNNING,
    ) -> None:
        self.registry = registry
        self.pdfs = pdfs
        self.public_url = public_url
        self.clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self.max_running = max_running
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running: dict[str, tuple[str, threading.Thread]] = {}  # job id → (issuer, its thread)
        self._lock = threading.Lock()
        self.on_issued: Callable[[ClaimedJob, list[CertificateRecord]], None] | None = None

    def start(self) -> None:
        """Start the runner's thread (it takes jobs at once, those a stopped runner left too)."""
        self._thread = threading.Thread(target=self._loop, name="verifier-jobs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A job was queued here: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current certificates; jobs under way go back to the queue."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            threads = [thread for _, thread in self._running.values()]
        for thread in threads:
            thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                busy = {issuer for issuer, _ in self._running.values()}
            job = None
            if len(busy) < self.max_running:
                try:
                    job = self.registry.jobs.claim(self.owner, self.clock(), self.lease, busy)
                except Exception:
                    log.exception("could not look for jobs")
            if job is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            thread = threading.Thread(target=self._hold, args=(job,), name=f"verifier-job-{job.id[:8]}", daemon=True)
            with self._lock:
                self._running[job.id] = (job.actor.issuer_id or "", thread)
            thread.start()

    def _hold(self, job: ClaimedJob) -> None:
        """Run one job in its thread, and make room for the next."""
        try:
            self.run(job)
        except Exception:  # the database went away mid-job: its lease runs out, it is taken again
            log.exception("could not end job %s; it is taken again when its lease runs out", job.id)
        finally:
            with self._lock:
                self._running.pop(job.id, None)
            self._wake.set()

    def run(self, job: ClaimedJob) -> None:
        """Issue one held job, and end it: succeeded, failed, cancelled, or back to the queue."""
        fields = {"job": job.id, "issuer": job.actor.issuer_id, "total": len(job.request), "attempt": job.attempt}
        log.info("job started", extra={"fields": fields})
        started = time.monotonic()
        try:
            failures = self._issue(job)
        except Stopping:
            self.registry.jobs.release(job.id, self.owner)
            log.info("job given back to the queue: the service stops", extra={"fields": fields})
            return
        except JobLost:
            if self.registry.jobs.cancel_requested(job.id):
                self.registry.jobs.end(job.id, self.owner, "cancelled", self.clock(), None)
                log.info("job cancelled; nothing was issued", extra={"fields": fields})
            else:
                log.warning("job lost its lease to another runner; it left it", extra={"fields": fields})
            return
        except VerifierError as exc:  # a number taken meanwhile, the issuer's key, the renderer died: the whole job
            failures = [_whole(exc.code, str(exc))]
        except Exception as exc:  # a job must end rather than wait for its lease forever
            log.exception("job failed unexpectedly", extra={"fields": fields})
            failures = [_whole("unexpected", f"the job failed unexpectedly ({type(exc).__name__}); nothing was issued")]
        if failures:
            self.registry.jobs.end(job.id, self.owner, "failed", self.clock(), failures)
            log.info("job failed; nothing was issued", extra={"fields": {**fields, "failures": len(failures)}})
        else:
            elapsed = time.monotonic() - started
            log.info("job succeeded", extra={"fields": {**fields, "seconds": round(elapsed, 2)}})

    def _issue(self, job: ClaimedJob) -> list[dict[str, Any]]:
        """Issue the job's certificates, all or none; the failures of the items that cannot be (none: done)."""
        at = self.clock()
        if self.registry.tokens.withdrawn(job.actor.token_id):
            return [_whole("token_withdrawn", _WITHDRAWN)]
        # An import's items carry the certificate and the import's word on it (its row, original status).
        imported = [item["imported"] for item in job.request] if _is_import(job.request) else None
        batch = [parse_certificate(item["certificate"] if imported else item) for item in job.request]  # validated
        prepared = prepare(self.registry, job.actor, batch, self.public_url, at, imported=imported is not None)
        if prepared.failures:
            return [failure.as_json() for failure in prepared.failures]
        try:
            failures = self._render_and_store(job, prepared, at, imported)
        except BaseException:
            prepared.give_back(self.registry)
            raise
        if failures:
            prepared.give_back(self.registry)
        return failures

    def _render_and_store(
        self, job: ClaimedJob, prepared: Prepared, at: datetime, imported: list[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        items = prepared.items
        last = [time.monotonic()]

        def progress(done: int) -> None:
            if self._stop.is_set():
                raise Stopping
            if done == len(items) or time.monotonic() - last[0] >= PROGRESS_SECONDS:
                last[0] = time.monotonic()
                self.registry.jobs.progress(job.id, self.owner, done, self.clock(), self.lease)

        if self.pdfs is None:
            pdfs: list[bytes | None] = [None] * len(items)
        else:
            letterhead = self.registry.issuers.letterhead(prepared.issuer_id)
            made = self.pdfs.each(letterhead, items, progress)
            refused = [
                ItemFailure(place, str(certificate.number), pdf).as_json()
                for place, ((certificate, _), pdf) in enumerate(zip(items, made, strict=True))
                if isinstance(pdf, VerifierError)
            ]
            if refused:
                return refused
            pdfs = [pdf if isinstance(pdf, bytes) else None for pdf in made]

        def finish(change: Change, records: list[CertificateRecord]) -> None:
            self.registry.jobs.complete(change, job.id, self.owner, [r.id for r in records])
            if imported is not None:  # their origin and original status, with them
                registered(change, job.actor.token_id, prepared.issuer_id, records, imported, at)

        if self.registry.tokens.withdrawn(job.actor.token_id):  # withdrawn while its PDFs were made
            return [_whole("token_withdrawn", _WITHDRAWN)]
        records = store(self.registry, job.actor, items, pdfs, at, then=finish, public_url=self.public_url)
        if self.on_issued is not None:
            self.on_issued(job, records)
        return []


_WITHDRAWN = "the token that queued this job was withdrawn before it was issued; nothing was issued"


def _is_import(request: list[dict[str, Any]]) -> bool:
    """Whether a job's items are an import's (each the certificate and the import's word on it)."""
    return bool(request) and set(request[0]) == {"certificate", "imported"}


def _whole(error: str, message: str) -> dict[str, Any]:
    """A failure of the whole job rather than of one item."""
    return {"index": None, "number": None, "error": error, "message": message}
