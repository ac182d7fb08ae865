"""The render pool stops its worker processes when idle, and a fresh pool draws the very same bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import DEMO, PUBLIC_URL, SEALED_AT
from tests.helpers.letterhead import ISSUER
from verifier.certificate.model import certificate_json, parse_certificate
from verifier.issuing.recipe import seal_certificate
from verifier.paper.render import Document, Renderer


def test_render_pool_stops_when_idle(issuer_key: Any) -> None:
    """A batch starts the worker processes; they render, then stop after the idle time and start again."""
    import os
    import time

    from verifier.issuing.recipe import PdfMaker
    from verifier.paper.pool import RenderPool

    pool = RenderPool(2, idle_seconds=2.0)
    maker = PdfMaker(PUBLIC_URL, workers=2, pool=pool)
    items = []
    for data in (DEMO["zhejiang-made-kettle"], DEMO["ccc-self-declaration-socket"]):
        certificate = parse_certificate(data)
        items.append((certificate, seal_certificate(certificate, issuer_key, PUBLIC_URL, SEALED_AT)))
    try:
        pdfs = maker(ISSUER, items)
        assert [p[:5] for p in pdfs] == [b"%PDF-", b"%PDF-"]
        assert maker.pool_running
        workers = pool.pids()
        assert len(workers) == 2

        # The workers yield the CPU to the service's requests: the lowest priority (once each has started).
        def niceness(pid: int) -> int:
            return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])

        started = time.monotonic() + 20
        while any(niceness(pid) != 19 for pid in workers) and time.monotonic() < started:
            time.sleep(0.1)
        assert [niceness(pid) for pid in workers] == [19, 19]
        deadline = time.monotonic() + 10
        while maker.pool_running and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not maker.pool_running
        while any(os.path.exists(f"/proc/{pid}") for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(os.path.exists(f"/proc/{pid}") for pid in workers)  # exited and reaped
        assert maker(ISSUER, items) == pdfs  # a fresh pool, the same bytes
        here = [Renderer().pdf(Document(certificate_json(c), s.qr_text, s.cose, ISSUER, s.kid, s.content.issued_at,
                                        PUBLIC_URL)) for c, s in items]  # fmt: skip
        assert pdfs == here  # the workers and this process: the very same bytes
    finally:
        pool.close()
    assert not maker.pool_running
