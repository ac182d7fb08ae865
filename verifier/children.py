"""Worker processes the service talks to over pipes, every exchange bounded in time.

The file readers (:mod:`verifier.uploads.readers`) and the certificate renderers (:mod:`verifier.paper.pool`)
both run what input from outside drives (pdfium, the image decoders, WeasyPrint) in a child process
of their own: a child past its time is killed and replaced, and its death costs one item, never the
service. A :class:`Child` is one such process, started as ``python -m <module>``, spoken to over its
standard input and output, which never block the caller past the seconds it allows.
"""

from __future__ import annotations

import contextlib
import os
import resource
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import BinaryIO


class Child:
    """One worker process (``python -m module``) and the bounded exchanges with it."""

    def __init__(self, module: str) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter and one of the project's modules
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self._in = self.process.stdin.fileno()
        self._out = self.process.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self.ready = False

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def wait_ready(self, seconds: float, signal: bytes) -> bool:
        """Wait until the child has said ``signal`` (it imported what it works with); False if it did not."""
        if not self.ready:
            self.ready = self.exchange(b"", len(signal), seconds) == signal
        return self.ready

    def exchange(self, send: bytes, want: int, seconds: float) -> bytes:
        """Write ``send``, then read ``want`` bytes, all within ``seconds``; fewer bytes on EOF or time out."""
        end = time.monotonic() + seconds
        received = bytearray()
        view = memoryview(send)
        with selectors.DefaultSelector() as selector:
            if view:
                selector.register(self._in, selectors.EVENT_WRITE)
            selector.register(self._out, selectors.EVENT_READ)
            while len(received) < want:
                left = end - time.monotonic()
                if left <= 0:
                    break
                for key, _ in selector.select(left):
                    if key.fd == self._in:
                        try:
                            view = view[os.write(self._in, view[: 1 << 16]) :]
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:  # the child died: its EOF follows on the other pipe
                            view = view[:0]
                        if not view:
                            selector.unregister(self._in)
                    else:
                        try:
                            chunk = os.read(self._out, want - len(received))
                        except BlockingIOError:
                            continue
                        if not chunk:
                            return bytes(received)  # the child died (a limit, or a crash)
                        received += chunk
        return bytes(received)

    def kill(self) -> None:
        """Stop the child now, and reap it."""
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()


# -- in the child ---------------------------------------------------------------------------------------


def limit_cpu(seconds: int) -> None:
    """Allow this process ``seconds`` more of CPU time from now (SIGXCPU ends it past them)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def read_exactly(stream: BinaryIO, count: int) -> bytes | None:
    """``count`` bytes from ``stream``, or None when it ends first."""
    data = stream.read(count)
    return data if data is not None and len(data) == count else None


def requests(answers: BinaryIO, ready: bytes, prefix: int = 0) -> Iterator[tuple[bytes, bytes]]:
    """Say ``ready`` to the parent, then yield each request on standard input until it closes.

    A request is ``prefix`` bytes (its kind), four bytes of length and the bytes; yields (kind, bytes).
    """
    answers.write(ready)
    answers.flush()
    stream = sys.stdin.buffer
    while True:
        head = read_exactly(stream, prefix + 4)
        if head is None:
            return
        body = read_exactly(stream, int.from_bytes(head[prefix:], "big"))
        if body is None:
            return
        yield head[:prefix], body


def answers_channel() -> BinaryIO:
    """The parent's end of the answers (standard output), with standard output itself sent to standard error.

    A library that prints must not write into the answers.
    """
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return answers
