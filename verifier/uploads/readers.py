"""Untrusted files read in bounded worker processes: one file per worker at a time, each under limits.

A PDF or a photo from a stranger can be built to take pdfium or the image decoders minutes or
gigabytes (form XObjects nested seven deep, image and attachment bombs). So no file is read in the
service's own process. Each worker process (``python -m verifier.uploads.readers``) reads one file at a time,
under an address-space limit (``WORKER_MEMORY``) and a CPU-time limit set afresh for every file
(``CPU_SECONDS``, enforced by the kernel); the parent gives each file ``READ_DEADLINE`` seconds of wall
time from the moment its worker starts on it (not from when it began to wait). A worker past a limit
is killed and replaced; only that file is refused (``too_complex``), never another one.

:class:`UploadReaders` is the service's pool: a bounded queue (past it :class:`ReadersBusy`, 503 with
``Retry-After``), at most ``PER_CLIENT`` files of one client in it at once, and the next free worker
given to the client with the fewest files being read. :func:`read_bounded` reads one file the same way
for the command line.

The worker speaks over its standard input and output: a request is one byte of kind (``p`` PDF,
``i`` image), four bytes of length and the file; the answer four bytes of length and a JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import threading
from base64 import b64decode, b64encode
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from verifier.children import Child, answers_channel, limit_cpu, requests
from verifier.errors import FileRefused, Kind, VerifierError
from verifier.paper.reportfile import MAX_REPORT_BYTES
from verifier.seal.cose import MAX_COSE_BYTES, MAX_TEXT_LENGTH
from verifier.tlog.proof import MAX_PROOF_BYTES
from verifier.uploads.pdfread import MAX_IMAGE_BYTES, MAX_PDF_BYTES, MAX_RECOGNITIONS, FileSeal, read_image, read_pdf

FileKind = Literal["pdf", "image"]
READ_DEADLINE = 2.0
CPU_SECONDS = 2
WORKER_MEMORY = 1024 * 1024 * 1024
START_TIMEOUT = 60.0
PER_CLIENT = 2
MAX_ANSWER_BYTES = 96 * 1024  # base64 of 41 seals, 8 QR texts and a log proof, with room
_KINDS = {"pdf": b"p", "image": b"i"}
_READY = b"R"
# How a worker may say a file is refused (the kinds a file can be).
_FILE_KINDS = frozenset({Kind.INVALID.value, Kind.TOO_LARGE.value, Kind.UNSUPPORTED.value})


class ReadersBusy(VerifierError):
    """Every worker is busy and the queue is full (unavailable), or this client has its share in it already."""

    kind = Kind.UNAVAILABLE
    code = "busy"
    retry_after = 2

    def __init__(self, message: str, kind: Kind = Kind.UNAVAILABLE) -> None:
        super().__init__(message, kind=kind, code="busy" if kind is Kind.UNAVAILABLE else "rate_limited")


def _too_complex() -> FileRefused:
    return FileRefused("too_complex", "the file takes too much memory or time to read")


class _Worker:
    """One worker process and the exchange of one file with it."""

    def __init__(self) -> None:
        self.child = Child("verifier.uploads.readers")

    def wait_ready(self) -> None:
        """Wait until the worker has imported what it reads with (not part of any file's deadline)."""
        if not self.child.wait_ready(START_TIMEOUT, _READY):
            raise _too_complex()

    def read(self, kind: FileKind, data: bytes, deadline: float) -> FileSeal:
        """The worker's reading of ``data``; raises :class:`FileRefused`, or ``too_complex`` past a limit."""
        if len(data) > (MAX_PDF_BYTES if kind == "pdf" else MAX_IMAGE_BYTES):  # before it crosses over
            raise FileRefused("too_large", "the file is larger than any certificate document", Kind.TOO_LARGE)
        self.wait_ready()
        frame = _KINDS[kind] + len(data).to_bytes(4, "big") + data
        head = self.child.exchange(frame, 4, deadline)
        length = int.from_bytes(head, "big") if len(head) == 4 else -1
        if not 0 < length <= MAX_ANSWER_BYTES:
            raise _too_complex()
        body = self.child.exchange(b"", length, deadline)
        if len(body) != length:
            raise _too_complex()
        return _answer(body)

    def kill(self) -> None:
        """Stop the worker now."""
        self.child.kill()


def _answer(body: bytes) -> FileSeal:
    """The worker's JSON answer as a :class:`FileSeal`, or its refusal raised; anything else is refused."""
    try:
        answer = json.loads(body)
        if "refused" in answer:
            code, message, kind = answer["refused"]
            if not (isinstance(code, str) and isinstance(message, str) and kind in _FILE_KINDS):
                raise TypeError
            raise FileRefused(code[:40], message[:200], Kind(kind))
        seal = b64decode(answer["seal"], validate=True) if answer["seal"] is not None else None
        texts = answer["qr"]
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise TypeError
        carried = answer.get("recognitions", [])
        if not isinstance(carried, list) or not all(isinstance(c, str) for c in carried):
            raise TypeError
        recognitions = tuple(b64decode(c, validate=True)[: MAX_COSE_BYTES + 1] for c in carried[:MAX_RECOGNITIONS])
        proof = answer.get("log_proof")
        proof = b64decode(proof, validate=True)[: MAX_PROOF_BYTES + 1] if proof is not None else None
        report = answer.get("report")
        if report is not None and not isinstance(report, str):
            raise TypeError
        report = report[: MAX_REPORT_BYTES + 1] if report is not None else None
        return FileSeal(seal, tuple(t[: MAX_TEXT_LENGTH + 1] for t in texts[:8]), recognitions, proof, report)
    except (ValueError, TypeError, KeyError):
        raise _too_complex() from None


def read_bounded(kind: FileKind, data: bytes, deadline: float = READ_DEADLINE) -> FileSeal:
    """Read one file in a worker of its own, under the same limits as the service (the command line's)."""
    worker = _Worker()
    try:
        return worker.read(kind, data, deadline)
    finally:
        worker.kill()


@dataclass
class _Waiting:
    client: str
    worker: _Worker | None = None
    event: threading.Event = field(default_factory=threading.Event)


class UploadReaders:
    """The service's pool of reading workers, with a bounded, per-client fair queue."""

    def __init__(self, workers: int = 2, queue: int = 8, deadline: float = READ_DEADLINE) -> None:
        self.workers = workers
        self.queue = queue
        self.deadline = deadline
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._started = 0
        self._waiting: deque[_Waiting] = deque()
        self._in_system: dict[str, int] = {}
        self._closed = False

    def admit(self, client: str) -> None:
        """Take a place for ``client``'s file, or raise :class:`ReadersBusy` (never blocks)."""
        with self._lock:
            if self._in_system.get(client, 0) >= PER_CLIENT:
                raise ReadersBusy("this client has files being read already; send one at a time", Kind.RATE_LIMITED)
            busy = self._started - len(self._idle)
            if busy >= self.workers and len(self._waiting) >= self.queue:
                raise ReadersBusy("every file reader is busy; try again in a moment")
            self._in_system[client] = self._in_system.get(client, 0) + 1

    def read(self, client: str, kind: FileKind, data: bytes) -> FileSeal:
        """Read a file ``client`` was admitted for (blocking: call it from a thread)."""
        try:
            worker = self._acquire(client)
        except BaseException:
            self._leave(client)
            raise
        healthy = False
        try:
            result = worker.read(kind, data, self.deadline)
            healthy = True
            return result
        except FileRefused as refused:
            healthy = refused.code != "too_complex"
            raise
        except OSError:
            raise _too_complex() from None
        finally:
            self._release(client, worker if healthy else None)
            if not healthy:
                worker.kill()

    def _acquire(self, client: str) -> _Worker:
        with self._lock:
            if self._closed:
                raise ReadersBusy("the service is stopping")
            if self._idle:
                return self._idle.pop()
            if self._started < self.workers:
                self._started += 1
                spawn = True
            else:
                waiting = _Waiting(client)
                self._waiting.append(waiting)
                spawn = False
        if spawn:
            try:
                return _Worker()
            except OSError:
                with self._lock:
                    self._started -= 1
                raise ReadersBusy("no file reader could be started") from None
        waiting.event.wait()
        if waiting.worker is None:
            raise ReadersBusy("the service is stopping")
        return waiting.worker

    def _release(self, client: str, worker: _Worker | None) -> None:
        """Hand the worker (None: it was killed; a fresh one is started) to the fairest waiting file."""
        with self._lock:
            self._in_system[client] -= 1
            if not self._in_system[client]:
                del self._in_system[client]
            if self._closed:
                if worker is not None:
                    worker.kill()
                return
            if not self._waiting:
                if worker is not None:
                    self._idle.append(worker)
                else:
                    self._started -= 1
                return
            chosen = min(self._waiting, key=lambda w: self._in_system.get(w.client, 0))
            self._waiting.remove(chosen)
        try:
            chosen.worker = worker or _Worker()
        except OSError:
            with self._lock:
                self._started -= 1
        chosen.event.set()

    def _leave(self, client: str) -> None:
        with self._lock:
            self._in_system[client] -= 1
            if not self._in_system[client]:
                del self._in_system[client]

    def close(self) -> None:
        """Stop every worker; files still waiting are refused as busy."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            waiting, self._waiting = list(self._waiting), deque()
        for worker in idle:
            worker.kill()
        for entry in waiting:
            entry.event.set()


# -- the worker process --------------------------------------------------------------------------------


def _work(kind: bytes, data: bytes) -> dict[str, Any]:
    try:
        found = read_pdf(data) if kind == b"p" else read_image(data)
    except FileRefused as exc:
        return {"refused": [exc.code, str(exc), exc.kind.value]}
    except MemoryError:
        return {"refused": ["too_complex", "the file takes too much memory or time to read", Kind.INVALID.value]}
    except Exception:  # noqa: BLE001 - whatever a hostile file makes a parser raise, it is a damaged file
        return {"refused": ["damaged", "the file cannot be read", Kind.INVALID.value]}
    seal = found.seal
    return {"seal": None if seal is None else b64encode(seal).decode("ascii"), "qr": list(found.qr_texts),
            "recognitions": [b64encode(r).decode("ascii") for r in found.recognitions],
            "log_proof": None if found.log_proof is None else b64encode(found.log_proof).decode("ascii"),
            "report": found.report}  # fmt: skip


def worker_main() -> None:
    """Serve files on standard input until it closes (``python -m verifier.uploads.readers``)."""
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    os.nice(10)  # the service's own process comes first when a hostile file keeps a worker busy
    answers = answers_channel()
    import pypdfium2  # noqa: F401 - imported before the first file, so that its time is no file's
    import zxingcpp  # noqa: F401

    for kind, data in requests(answers, _READY, prefix=1):
        limit_cpu(CPU_SECONDS)
        body = json.dumps(_work(kind, data)).encode("utf-8")
        answers.write(len(body).to_bytes(4, "big") + body)
        answers.flush()


if __name__ == "__main__":
    worker_main()
