"""Certificates issued with their PDF per second: a batch of 200 through the API, beside bare WeasyPrint.

    .venv/bin/python bench/issue.py [--batch 200] [--bare 20]      (or: make bench-issue)

The bare figure renders the same HTML (a reference certificate's) with WeasyPrint on one core, reusing
one FontConfiguration: plain PDF, no PDF/A, no self-test. The service figure is a batch through
``POST /api/v1/certificates/batch`` on a running ``verifier serve`` (one uvicorn worker, the render pool
on every core), sealing, rendering PDF/A-3b, self-testing each QR from pixels and storing. Peak memory
is the largest sum of the server's and its render workers' resident sizes, sampled every 50 ms.
Goal (issue 4): service rate ≥ 1.5 × the bare single-core rate.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "verifier" / "demo"  # the reference certificates
sys.path.insert(0, str(REPO / "tests"))


def bare_rate(count: int) -> float:
    """Documents per second: WeasyPrint alone on the same HTML, one core."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from verifier import new_signing_key, parse_certificate, seal_certificate
    from verifier.letterhead import Letterhead
    from verifier.model import certificate_json
    from verifier.render import Document, Renderer

    renderer = Renderer()
    key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    certificate = parse_certificate(json.loads((REFERENCE / "international-cooperation-valve.json").read_text()))
    sealed = seal_certificate(certificate, key, "http://127.0.0.1:8000", datetime.now(UTC))
    doc = Document(certificate_json(certificate), sealed.qr_text, sealed.cose, Letterhead("b", "基准", "Bench"),
                   key.kid.hex(), sealed.content.issued_at, "http://127.0.0.1:8000")  # fmt: skip
    html = renderer.html(doc)  # set in the installed CJK font, as before the per-page cut
    fonts = FontConfiguration()
    HTML(string=html).write_pdf(font_config=fonts)
    started = time.perf_counter()
    for _ in range(count):
        HTML(string=html).write_pdf(font_config=fonts)
    return count / (time.perf_counter() - started)


def per_certificate(rounds: int) -> list[tuple[str, float, int]]:
    """(name, median ms, PDF bytes) of each reference certificate rendered as the service does it: the page
    drawn, its CJK font cut, PDF/A-3b written, the QR read back by both decoders; one core."""
    import statistics

    from verifier import new_signing_key, parse_certificate, seal_certificate
    from verifier.letterhead import Letterhead
    from verifier.model import certificate_json
    from verifier.render import Document, Renderer
    from verifier.selftest import self_test
    from verifier.stamps import checked_stamp

    renderer = Renderer()
    key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    issuer = Letterhead(
        "bench", "浙江省产品认证中心", "Zhejiang Product Certification Centre", address="浙江省杭州市西湖区文三路90号",
        address_en="90 Wensan Road, Xihu District, Hangzhou, Zhejiang, China",
        contact="+86 571 8765 4321 · cert@zjcert.example", accreditation="CNAS C123-P",
        signatory="王建国 WANG Jianguo", signatory_title="主任", signatory_title_en="Director",
        stamp=checked_stamp((REFERENCE / "stamp.svg").read_bytes()),
    )  # fmt: skip
    figures = []
    for path in sorted(REFERENCE.glob("*.json")):
        certificate = parse_certificate(json.loads(path.read_text()))
        sealed = seal_certificate(certificate, key, "https://verify.zhejiang-made.example", datetime.now(UTC))
        doc = Document(certificate_json(certificate), sealed.qr_text, sealed.cose, issuer, key.kid.hex(),
                       sealed.content.issued_at, "https://verify.zhejiang-made.example")  # fmt: skip
        renderer.render(doc)  # warm: templates, fonts
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            rendered = renderer.render(doc)
            self_test(rendered.data, rendered.qr_box, sealed.qr_text)
            times.append(time.perf_counter() - started)
        figures.append((path.stem, statistics.median(times) * 1000, len(rendered.data)))
    return figures


def _rss_tree(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            # Children of every thread: the render pool is started from a request's worker thread.
            children = [c for task in Path(f"/proc/{current}/task").iterdir()
                        for c in (task / "children").read_text().split()]  # fmt: skip
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        pending += [int(c) for c in children]
    return total


def service_rate(batch: int) -> tuple[float, int, int]:
    """(certificates per second, peak memory in bytes, memory at rest) for one batch through the API."""
    from server import Server

    home = Path(tempfile.mkdtemp(prefix="verifier-bench-issue-"))
    admin = secrets.token_urlsafe(32)
    env = {"VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
           "VERIFIER_ADMIN_TOKEN": admin}  # fmt: skip
    server = Server(home, env)
    server.start()
    try:
        assert server.process is not None
        made = httpx.post(f"{server.url}/api/v1/issuers", json={"id": "bench", "name": "基准", "name_en": "Bench"},
                          headers={"Authorization": f"Bearer {admin}"})  # fmt: skip
        headers = {"Authorization": f"Bearer {made.json()['token']}"}
        templates = [json.loads(p.read_text()) for p in sorted(REFERENCE.glob("*.json"))]
        # Warm the render pool (its processes start on the first batch) with a small batch first.
        warm = [dict(templates[i % 4], number=f"W-{i}") for i in range(4)]
        httpx.post(f"{server.url}/api/v1/certificates/batch", json={"certificates": warm}, headers=headers, timeout=300)
        at_rest = _rss_tree(server.process.pid)
        certificates = [dict(templates[i % len(templates)], number=f"B-{i:05d}") for i in range(batch)]
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _rss_tree(server.process.pid))  # type: ignore[union-attr]
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        answer = httpx.post(f"{server.url}/api/v1/certificates/batch", json={"certificates": certificates},
                            headers=headers, timeout=600)  # fmt: skip
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        assert answer.status_code == 201, answer.text[:500]
        assert all(c["pdf_sha256"] for c in answer.json()["certificates"])
        return batch / elapsed, peak[0], at_rest
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--bare", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="renders of each reference certificate")
    args = parser.parse_args()
    bare = bare_rate(args.bare)
    print(f"bare WeasyPrint, one core:            {bare:6.2f} documents/s  ({1000 / bare:5.0f} ms each)", flush=True)
    for name, ms, size in per_certificate(args.rounds):
        print(
            f"  {name:<34} {ms:5.0f} ms rendered and self-tested ({ms * bare / 1000:.2f} × bare), {size / 1024:5.1f} KB"
        )
    rate, peak, at_rest = service_rate(args.batch)
    print(f"service, batch of {args.batch} through the API: {rate:6.2f} certificates/s ({1000 / rate:5.0f} ms each)")
    print(f"ratio {rate / bare:.2f} (goal ≥ 1.5); cores {os.cpu_count()}")
    print(
        f"service memory: {at_rest / 2**20:.0f} MiB at rest (warm pool), peak {peak / 2**20:.0f} MiB during the batch"
    )


if __name__ == "__main__":
    main()
