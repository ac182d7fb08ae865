"""Certificates rendered in worker processes: each render bounded in time, the workers shared fairly by issuers.

Nothing is rendered in the service's own process. WeasyPrint, HarfBuzz, pdfium (the self-test) and
zbar are not thread-safe (forty issuances at once in the server's threads crashed it), and what they
render comes from outside: the certificate's fields, the issuer's letterhead and stamp. So every
certificate, a single issuance's as a job's thousandth, is rendered and self-tested by a worker
process (``python -m verifier.paper.pool``), one at a time:

- **Bounded.** A worker gets :data:`CPU_SECONDS` of CPU for each certificate (the kernel ends it past
  them) and :data:`DEADLINE` seconds of wall time from the moment it takes it. A worker past either
  is killed and replaced; only its certificate fails (``render_failed``), never another one.
- **Fair.** Work waits in one queue per share (the issuer): the next free worker takes the next
  certificate of the share after the one it served last, so an issuer with ten jobs of 1,000 queued
  and an issuer issuing one certificate take turns, rather than the second waiting for the first.
- **Renewed.** A worker is replaced after :data:`RENEW_AFTER` certificates (its successor starts while
  it finishes the last ones): what the libraries keep from each page (~0.2 MB) never piles up.
- **Lazy.** Workers start with the first certificate and stop after ``idle_seconds`` without one;
  workers run at the lowest priority, so the service's requests come first.

The parent sends a pickled (templates, document) pair; a worker answers with one tag byte (``P``: a
PDF; ``E``: a refusal as JSON), a length and the bytes, never with a pickle.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from verifier.children import Child, answers_channel, limit_cpu, requests
from verifier.errors import Kind, SelfTestFailed, VerifierError
from verifier.paper.annex import Annex, AnnexRenderer
from verifier.paper.render import Document, Renderer, RenderError
from verifier.paper.report import ReportRenderer, ReportSheet

log = logging.getLogger("verifier.paper.render")

CPU_SECONDS = 10  # of CPU for one certificate (a typical one takes 0.2 s)
DEADLINE = 60.0  # seconds of wall time for one certificate, once a worker took it (workers yield the CPU)
START_TIMEOUT = 90.0
RENEW_AFTER = 200  # certificates a worker renders before a fresh one takes over
MAX_PDF_BYTES = 16 * 1024 * 1024  # an answer longer than this is no certificate
WORKER_NICENESS = 19  # the lowest: a render worker gets a core the service leaves idle
_READY = b"R"


@dataclass
class _Batch:
    """One caller's certificates: their results as they come, and whether the caller gave up on them."""

    results: list[bytes | VerifierError | None]
    done: int = 0
    cancelled: bool = False
    changed: threading.Condition = field(default_factory=threading.Condition)


@dataclass
class _Task:
    batch: _Batch
    index: int
    templates: Path
    document: Document | Annex | ReportSheet


class _Worker:
    """One render process, and its successor once it has rendered its share."""

    def __init__(self, child: Child | None = None) -> None:
        self.child = child or Child("verifier.paper.pool")
        self.rendered = 0
        self.successor: Child | None = None

    def render(
        self, templates: Path, document: Document | Annex | ReportSheet, deadline: float
    ) -> bytes | VerifierError:
        """The document's PDF, self-tested, or why not; raises :class:`_Lost` when the worker is to be replaced."""
        if not self.child.wait_ready(START_TIMEOUT, _READY):
            raise _Lost("the PDF renderer did not start")
        frame = pickle.dumps((templates, document), protocol=pickle.HIGHEST_PROTOCOL)
        head = self.child.exchange(len(frame).to_bytes(4, "big") + frame, 5, deadline)
        if len(head) != 5 or head[:1] not in (b"P", b"E"):
            raise _Lost(
                f"the certificate took more than {CPU_SECONDS} s of CPU or {deadline:.0f} s to render", Kind.INVALID
            )
        length = int.from_bytes(head[1:], "big")
        if length > MAX_PDF_BYTES:
            raise _Lost("the PDF renderer answered with more than a certificate")
        body = self.child.exchange(b"", length, deadline)
        if len(body) != length:
            raise _Lost("the PDF renderer stopped while answering")
        self.rendered += 1
        return body if head[:1] == b"P" else _refusal(body)

    def renewed(self) -> _Worker:
        """The worker to go on with: its successor once it has rendered :data:`RENEW_AFTER` certificates."""
        if self.rendered >= RENEW_AFTER - 8 and self.successor is None:
            self.successor = Child("verifier.paper.pool")  # it imports while the last ones render
        if self.rendered < RENEW_AFTER or self.successor is None:
            return self
        fresh = _Worker(self.successor)
        self.successor = None
        self.kill()
        return fresh

    def kill(self) -> None:
        self.child.kill()
        if self.successor is not None:
            self.successor.kill()


class _Lost(Exception):
    """The worker died or ran out of time: it is replaced, and its certificate fails.

    ``kind``: a certificate past its time is refused as the certificate's fault (invalid); a worker
    that did not start or died is the renderer's (unavailable: the caller may retry).
    """

    def __init__(self, message: str, kind: Kind = Kind.UNAVAILABLE) -> None:
        self.kind = kind
        super().__init__(message)


def _refusal(body: bytes) -> VerifierError:
    try:
        kind, message = json.loads(body)
        text = str(message)[:500]
    except (ValueError, TypeError):
        return RenderError("the PDF renderer gave an answer that cannot be read", kind=Kind.UNAVAILABLE)
    return SelfTestFailed(text) if kind == "self_test" else RenderError(text)


class RenderPool:
    """Worker processes that render certificates, each within its limits, the next one from the next share."""

    def __init__(self, workers: int, idle_seconds: float, deadline: float = DEADLINE) -> None:
        self.workers = workers
        self.idle_seconds = idle_seconds
        self.deadline = deadline
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._queues: OrderedDict[str, deque[_Task]] = OrderedDict()
        self._slots: list[threading.Thread] = []
        self._serial = 0
        self._idle = 0  # slots waiting for a certificate
        self._processes: dict[str, _Worker] = {}
        self._closed = False

    def render(
        self,
        share: str,
        templates: Path,
        documents: Sequence[Document | Annex | ReportSheet],
        progress: Callable[[int], None] | None = None,
    ) -> list[bytes | VerifierError]:
        """The PDF of each document, or why it has none, in order (blocking: call it from a thread).

        ``progress`` is called in this thread with the count done so far; what it raises cancels what
        is still queued of these documents and is raised here.
        """
        batch = _Batch([None] * len(documents))
        with self._lock:
            if self._closed:
                raise RenderError("the service is stopping; nothing was issued, retry", kind=Kind.UNAVAILABLE)
            queue = self._queues.setdefault(share, deque())
            queue.extend(_Task(batch, i, templates, d) for i, d in enumerate(documents))
            self._start_slots()
            self._work.notify(len(documents))
        reported = 0
        try:
            while reported < len(documents):
                with batch.changed:
                    while batch.done == reported:
                        batch.changed.wait()
                    reported = batch.done
                if progress is not None:
                    progress(reported)
        except BaseException:
            self._cancel(share, batch)
            raise
        unanswered = RenderError("the PDF renderer gave no answer", kind=Kind.UNAVAILABLE)
        return [r if r is not None else unanswered for r in batch.results]

    @property
    def running(self) -> int:
        """How many worker processes are up."""
        with self._lock:
            return len(self._processes)

    def pids(self) -> list[int]:
        """The worker processes' ids."""
        with self._lock:
            return [worker.child.pid for worker in self._processes.values()]

    def close(self) -> None:
        """Stop every worker; certificates still queued fail (the service is stopping)."""
        with self._lock:
            self._closed = True
            queued = [task for queue in self._queues.values() for task in queue]
            self._queues.clear()
            self._work.notify_all()
        for task in queued:
            self._finish(task, RenderError("the service is stopping; nothing was issued, retry", kind=Kind.UNAVAILABLE))
        for thread in list(self._slots):
            thread.join(timeout=15)

    # -- inside ---------------------------------------------------------------------------------------------

    def _start_slots(self) -> None:
        """Start a slot (a thread driving one worker) per certificate queued beyond the idle slots; lock held."""
        queued = sum(len(queue) for queue in self._queues.values())
        while len(self._slots) < self.workers and queued > self._idle:
            self._serial += 1
            thread = threading.Thread(target=self._serve, name=f"verifier-render-{self._serial}", daemon=True)
            self._slots.append(thread)
            thread.start()
            queued -= 1

    def _next(self) -> _Task | None:
        """The next certificate of the share after the last one served; lock held."""
        while self._queues:
            share, queue = next(iter(self._queues.items()))
            self._queues.move_to_end(share)
            while queue:
                task = queue.popleft()
                if not task.batch.cancelled:
                    if not queue:
                        del self._queues[share]
                    return task
            del self._queues[share]
        return None

    def _take(self) -> _Task | None:
        """The next certificate, waiting for one up to the idle time; None: this slot ends (lock held)."""
        idle_until = time.monotonic() + self.idle_seconds
        while not self._closed:
            task = self._next()
            if task is not None:
                return task
            left = idle_until - time.monotonic() if self.idle_seconds > 0 else None
            if left is not None and left <= 0:
                break
            self._idle += 1
            try:
                self._work.wait(left)
            finally:
                self._idle -= 1
        self._slots.remove(threading.current_thread())  # in the same hold as the decision: no task is stranded
        return None

    def _serve(self) -> None:
        """A slot: take the next certificate and render it in this slot's worker, until idle or closed."""
        me = threading.current_thread().name
        worker: _Worker | None = None
        try:
            while True:
                with self._lock:
                    task = self._take()
                    if task is None:
                        return
                renewed: _Worker | None = None
                try:
                    if worker is None:
                        worker = _Worker()
                        with self._lock:
                            self._processes[me] = worker
                    result = worker.render(task.templates, task.document, self.deadline)
                    renewed = worker.renewed()
                except (_Lost, OSError) as lost:
                    log.warning("render worker replaced: %s", lost)
                    kind = lost.kind if isinstance(lost, _Lost) else Kind.UNAVAILABLE
                    result = RenderError(f"{lost}; nothing was issued", kind=kind)
                except Exception as exc:  # a slot must never die with a certificate unanswered
                    log.exception("render failed unexpectedly")
                    failed = f"the PDF renderer failed ({type(exc).__name__}); nothing was issued"
                    result = RenderError(failed, kind=Kind.UNAVAILABLE)
                if renewed is not worker:
                    if worker is not None and renewed is None:
                        worker.kill()  # before the answer: its caller finds the worker replaced
                    worker = renewed
                    with self._lock:
                        if worker is None:
                            self._processes.pop(me, None)
                        else:
                            self._processes[me] = worker
                self._finish(task, result)
        finally:
            with self._lock:
                self._processes.pop(me, None)
            if worker is not None:
                worker.kill()

    def _finish(self, task: _Task, result: bytes | VerifierError) -> None:
        batch = task.batch
        with batch.changed:
            batch.results[task.index] = result
            batch.done += 1
            batch.changed.notify_all()

    def _cancel(self, share: str, batch: _Batch) -> None:
        with self._lock:
            batch.cancelled = True
            queue = self._queues.get(share)
            if queue is not None:
                kept = deque(task for task in queue if task.batch is not batch)
                if kept:
                    self._queues[share] = kept
                else:
                    del self._queues[share]


# -- the worker process --------------------------------------------------------------------------------


def worker_main() -> None:
    """Render the documents read from standard input until it closes (``python -m verifier.paper.pool``)."""
    os.nice(WORKER_NICENESS)
    answers = answers_channel()
    from verifier.paper.render import warm_up

    warm_up()
    for _, frame in requests(answers, _READY):
        job = pickle.loads(frame)  # noqa: S301 - from the parent process, over its own pipe
        limit_cpu(CPU_SECONDS)
        tag, body = b"P", b""
        try:
            body = render_checked(job)
        except SelfTestFailed as exc:
            tag, body = b"E", json.dumps(["self_test", str(exc)]).encode()
        except RenderError as exc:
            tag, body = b"E", json.dumps(["render", str(exc)]).encode()
        except MemoryError:
            tag, body = b"E", json.dumps(["render", "the certificate takes too much memory to render"]).encode()
        answers.write(tag + len(body).to_bytes(4, "big") + body)
        answers.flush()


_renderers: dict[Path, Renderer] = {}
_annexers: dict[Path, AnnexRenderer] = {}
_reporters: dict[Path, ReportRenderer] = {}


def render_checked(job: tuple[Path, Document | Annex | ReportSheet]) -> bytes:
    """One certificate's PDF (or annex of recognitions, or report), self-tested: every QR code read from its pixels.

    In a worker: each keeps a renderer per template folder.
    """
    from verifier.paper.selftest import self_test  # pdfium and the decoders: in render workers only

    templates, document = job
    if isinstance(document, ReportSheet):
        reporter = _reporters.get(templates)
        if reporter is None:
            reporter = _reporters[templates] = ReportRenderer(templates)
        report = reporter.render(document)
        self_test(report.data, report.qr_box, document.link, what="report")
        return report.data
    if isinstance(document, Annex):
        annexer = _annexers.get(templates)
        if annexer is None:
            annexer = _annexers[templates] = AnnexRenderer(templates)
        annex = annexer.render(document)
        for page, box, text in annex.codes:
            self_test(annex.data, box, text, page, what="recognition")
        return annex.data
    renderer = _renderers.get(templates)
    if renderer is None:
        renderer = _renderers[templates] = Renderer(templates)
    rendered = renderer.render(document)
    self_test(rendered.data, rendered.qr_box, document.qr_text)
    return rendered.data


_shared: dict[tuple[int, float], RenderPool] = {}
_shared_lock = threading.Lock()


def shared_pool(workers: int, idle_seconds: float) -> RenderPool:
    """The process's pool of ``workers`` workers: services (and tests) in one process share their workers."""
    with _shared_lock:
        pool = _shared.get((workers, idle_seconds))
        if pool is None or pool._closed:
            pool = _shared[(workers, idle_seconds)] = RenderPool(workers, idle_seconds)
        return pool


if __name__ == "__main__":
    worker_main()
