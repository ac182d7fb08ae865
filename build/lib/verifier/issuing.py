"""Certificate → sealed QR text → PDF: the recipes that put the model, the seal and the renderer together.

Time is an argument: the caller decides when the certificate is sealed.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from verifier.claims import SealedCertificate, claims_to_cbor, sealed_content
from verifier.errors import KeyStoreError, SealTooLarge
from verifier.keys import SigningKey
from verifier.model import AnyCertificate, certificate_json
from verifier.qr import qr_version
from verifier.render import TEMPLATES, Document, Renderer, RenderError
from verifier.seal import MAX_TEXT_LENGTH, encode_text, sign
from verifier.selftest import self_test
from verifier.verdict import IssuerInfo


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


def seal_certificate(certificate: AnyCertificate, key: SigningKey, public_url: str, at: datetime) -> Sealed:
    """Seal a validated, numbered certificate with ``key`` at ``at`` for the service at ``public_url``.

    Raises :class:`~verifier.errors.SealTooLarge` when the QR code would exceed the allowed version, and
    :class:`~verifier.errors.KeyStoreError` when ``key`` may not sign at ``at``.
    """
    content = sealed_content(certificate, at)
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


POOL_IDLE_SECONDS = 120.0


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

    def __call__(self, issuer: IssuerInfo, items: list[tuple[AnyCertificate, Sealed]]) -> list[bytes]:
        """The PDF of each sealed certificate, in order."""
        url = self.public_url
        jobs = [
            (self.templates, Document(certificate_json(c), s.qr_text, s.cose, issuer, s.kid, s.content.issued_at, url))
            for c, s in items
        ]
        if len(jobs) == 1 or self.workers == 1:
            return [render_checked(job) for job in jobs]
        chunk = max(1, len(jobs) // (4 * self.workers))
        pool = self._acquire()
        try:
            return list(pool.map(render_checked, jobs, chunksize=chunk))
        except BrokenProcessPool:
            self.close()  # a worker died (killed, out of memory): a fresh pool next time
            raise RenderError("the PDF renderer stopped unexpectedly; nothing was issued, retry") from None
        finally:
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
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
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


_renderers: dict[Path, Renderer] = {}


def render_checked(job: tuple[Path, Document]) -> bytes:
    """One certificate's PDF, self-tested; each process keeps a renderer per template folder."""
    templates, document = job
    renderer = _renderers.get(templates)
    if renderer is None:
        renderer = _renderers[templates] = Renderer(templates)
    rendered = renderer.render(document)
    self_test(rendered.data, rendered.qr_box, document.qr_text)
    return rendered.data
