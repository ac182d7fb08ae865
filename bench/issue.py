"""Issuance with PDFs, as jobs: certificates per second beside bare WeasyPrint, where the time goes, scans meanwhile.

    .venv/bin/python bench/issue.py [--job 200] [--during 1000] [--bare 20] [--rounds 5]   (or: make bench-issue)
    .venv/bin/python bench/issue.py --breakdown-only      (the per-certificate profile alone; with
        PYTHONPATH=<a checkout of older code> it profiles that code: before/after)

In one run, on this machine:

1. bare: WeasyPrint alone on one core renders a simple bilingual page (the longest certificate's HTML under a
   names-only letterhead, its QR code as inline SVG, in the installed CJK font), plain PDF, reusing one
   FontConfiguration: no PDF/A, no font cut, no self-test, no store. The baseline issues 4 and 17 name.
2. breakdown: each step of one certificate as the service runs it, one core, CPU time, median of
   ``--rounds`` over the four demo certificates: seal, the QR symbol (its mask chosen by the
   penalty rules), HTML and the font cut, layout, PDF/A writing (subsetting, compression, the QR drawn),
   the self-test (the QR read back from pixels by two decoders).
3. service: ``verifier serve`` (one uvicorn worker, the render pool on every core); a job of ``--job``
   certificates through ``POST /api/v1/jobs``, polled to its end: certificates per second from the POST
   to ``succeeded``; the largest resident memory of the server and its render workers, sampled every 50 ms.
4. scans while a job runs: wrk (2 threads, 16 connections, 5 s) on ``GET /c/{code}`` as JSON while a job
   of ``--during`` certificates renders (then cancelled), beside the mean of the same with the service idle
   before the job and after it.

Goals (issue 17): service rate ≥ 1.8 × bare; scans while a job runs ≥ 0.8 × scans idle.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "verifier" / "demo"  # the demo certificates

sys.path.append(str(REPO))  # tests.helpers.server; verifier is the installed one (or PYTHONPATH's)
PUBLIC_URL = "https://verify.zhejiang-made.example"


def _documents() -> list[Any]:
    """The four demo certificates sealed (a fixed key and time) with a full letterhead and stamp."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from verifier import new_signing_key, parse_certificate, seal_certificate
    from verifier.certificate.model import certificate_json
    from verifier.paper.letterhead import Letterhead
    from verifier.paper.render import Document
    from verifier.paper.stamps import checked_stamp

    key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC), Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    issuer = Letterhead(
        "bench", "浙江省产品认证中心", "Zhejiang Product Certification Centre", address="浙江省杭州市西湖区文三路90号",
        address_en="90 Wensan Road, Xihu District, Hangzhou, Zhejiang, China",
        contact="+86 571 8765 4321 · cert@zjcert.example", accreditation="CNAS C123-P",
        signatory="王建国 WANG Jianguo", signatory_title="主任", signatory_title_en="Director",
        stamp=checked_stamp((DEMO / "stamp.svg").read_bytes()),
    )  # fmt: skip
    documents = []
    for path in sorted(DEMO.glob("*.json")):
        certificate = parse_certificate(json.loads(path.read_text()))
        sealed = seal_certificate(certificate, key, PUBLIC_URL, datetime(2026, 1, 1, tzinfo=UTC), 4242)
        documents.append(Document(certificate_json(certificate), sealed.qr_text, sealed.cose, issuer, key.kid.hex(),
                                  sealed.content.issued_at, PUBLIC_URL))  # fmt: skip
    return documents


def bare_rate(count: int) -> float:
    """Documents per second: WeasyPrint alone on a simple bilingual page, one core (the baseline of issue 17:
    the longest demo certificate under a names-only letterhead, its QR code as inline SVG)."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from verifier import new_signing_key, parse_certificate, seal_certificate
    from verifier.certificate.model import certificate_json
    from verifier.paper.letterhead import Letterhead
    from verifier.paper.qr import qr_svg
    from verifier.paper.render import Document, Renderer

    renderer = Renderer()
    key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    certificate = parse_certificate(json.loads((DEMO / "international-cooperation-valve.json").read_text()))
    sealed = seal_certificate(certificate, key, "http://127.0.0.1:8000", datetime.now(UTC))
    doc = Document(certificate_json(certificate), sealed.qr_text, sealed.cose, Letterhead("b", "基准", "Bench"),
                   key.kid.hex(), sealed.content.issued_at, "http://127.0.0.1:8000")  # fmt: skip
    html = renderer.html(doc)  # set in the installed CJK font (no per-page cut)
    html = html.replace('<div class="code"></div>', qr_svg(doc.qr_text, scale=1).decode())
    fonts = FontConfiguration()
    HTML(string=html).write_pdf(font_config=fonts)
    started = time.perf_counter()
    for _ in range(count):
        HTML(string=html).write_pdf(font_config=fonts)
    return count / (time.perf_counter() - started)


def breakdown(rounds: int) -> list[tuple[str, float]]:
    """(step, median CPU ms) of one certificate issued as the service does it, one core."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from verifier import new_signing_key, parse_certificate, seal_certificate
    from verifier.paper.fonts import cut_for
    from verifier.paper.qr import qr_code
    from verifier.paper.render import Renderer
    from verifier.paper.selftest import self_test

    renderer = Renderer()
    documents = _documents()
    key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    certificates = [parse_certificate(d.record) for d in documents]
    steps: dict[str, list[float]] = {}

    def timed(name: str, work: Any) -> Any:
        started = time.process_time()
        result = work()
        steps.setdefault(name, []).append((time.process_time() - started) * 1000)
        return result

    for warm in (True, False):
        for _ in range(1 if warm else rounds):
            for certificate, doc in zip(certificates, documents, strict=True):
                at = datetime.now(UTC)
                timed("seal (CBOR, Ed25519)", lambda c=certificate, t=at: seal_certificate(c, key, PUBLIC_URL, t, 1))
                qr_code.cache_clear()
                timed("QR symbol (mask by penalty rules)", lambda d=doc: qr_code(d.qr_text))
                html = timed("HTML (Jinja), first pass", lambda d=doc: renderer.html(d))
                cut = cut_for(html)
                fonts = timed("font cut (hb-subset)", cut.__enter__)
                try:
                    page = timed("HTML with the cut font", lambda d=doc, f=fonts: renderer.html(d, f))
                    laid = timed("layout (WeasyPrint)", lambda p=page: HTML(string=p, base_url=str(renderer.templates))
                                 .render(font_config=FontConfiguration()))  # fmt: skip
                    made = timed("PDF/A-3b written (+ QR drawn)", lambda d=doc, r=laid: renderer._finish(d, r))
                finally:
                    cut.__exit__(None, None, None)
                timed("self-test (QR read from pixels)", lambda m=made, d=doc: self_test(m.data, m.qr_box, d.qr_text))
        if warm:
            steps.clear()
    return [(name, statistics.median(values)) for name, values in steps.items()]


def _rss_tree(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = [c for task in Path(f"/proc/{current}/task").iterdir()
                        for c in (task / "children").read_text().split()]  # fmt: skip
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        pending += [int(c) for c in children]
    return total


def _wrk(url: str, seconds: int) -> float:
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "-H", "Accept: application/json", url],
                         check=True, capture_output=True, text=True).stdout  # fmt: skip
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed scans:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def _follow(client: httpx.Client, job_id: str, until: Any = None) -> dict[str, Any]:
    while True:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] in ("succeeded", "failed", "cancelled") or (until and until(job)):
            return job
        time.sleep(0.1)


def service(job_size: int, during: int, seconds: int) -> dict[str, float]:
    """The job's rate and memory, and the scan rates idle and while a job runs."""
    from tests.helpers.server import Server

    home = Path(tempfile.mkdtemp(prefix="verifier-bench-issue-"))
    admin = secrets.token_urlsafe(32)
    env = {"VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
           "VERIFIER_ADMIN_TOKEN": admin}  # fmt: skip
    server = Server(home, env)
    server.start()
    figures: dict[str, float] = {}
    try:
        assert server.process is not None
        made = httpx.post(f"{server.url}/api/v1/issuers", json={"id": "bench", "name": "基准", "name_en": "Bench"},
                          headers={"Authorization": f"Bearer {admin}"})  # fmt: skip
        token = made.json()["token"]
        from datetime import date

        from verifier.demo.certificates import dated

        # In force today (an ended validity is refused at issuance), as the demo dates them.
        templates = [dated(json.loads(p.read_text()), date.today()) for p in sorted(DEMO.glob("*.json"))]
        client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        # Warm the render pool (its processes start with the first job) with a small job.
        warm = [dict(templates[i % 4], number=f"W-{i}") for i in range(4)]
        warmed = _follow(client, client.post("/api/v1/jobs", json={"certificates": warm}).json()["id"])
        figures["at_rest"] = _rss_tree(server.process.pid)
        code = warmed["certificates"][1]["verify_url"]
        idle = [_wrk(code, seconds)]

        batch = [dict(templates[i % len(templates)], number=f"B-{i:05d}") for i in range(job_size)]
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _rss_tree(server.process.pid))  # type: ignore[union-attr]
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        job = _follow(client, client.post("/api/v1/jobs", json={"certificates": batch}).json()["id"])
        figures["rate"] = job_size / (time.perf_counter() - started)
        done.set()
        sampler.join()
        assert job["state"] == "succeeded", job
        figures["peak"] = peak[0]

        big = [dict(templates[i % len(templates)], number=f"D-{i:05d}") for i in range(during)]
        running = client.post("/api/v1/jobs", json={"certificates": big}).json()
        _follow(client, running["id"], until=lambda j: j["done"] >= 8)
        figures["scans_during"] = _wrk(code, seconds)
        progressed = client.get(f"/api/v1/jobs/{running['id']}").json()
        figures["during_done"] = progressed["done"]
        client.post(f"/api/v1/jobs/{running['id']}/cancel")
        _follow(client, running["id"])
        idle.append(_wrk(code, seconds))  # idle again: the mean of before and after
        figures["scans_idle"] = statistics.mean(idle)
        client.close()
        return figures
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--job", type=int, default=200, help="certificates in the measured job")
    parser.add_argument("--during", type=int, default=1000, help="certificates in the job scans run beside")
    parser.add_argument("--bare", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the four demo certificates")
    parser.add_argument("--seconds", type=int, default=5, help="each wrk run")
    parser.add_argument("--breakdown-only", action="store_true")
    args = parser.parse_args()
    import verifier

    print(f"code: {Path(verifier.__file__).parent}")
    print(f"per certificate, one core, CPU ms (median of {args.rounds} × 4 demo certificates):")
    steps = breakdown(args.rounds)
    for name, ms in steps:
        print(f"  {name:<36} {ms:6.1f}")
    print(f"  {'total':<36} {sum(ms for _, ms in steps):6.1f}")
    if args.breakdown_only:
        return
    bare = bare_rate(args.bare)
    print(f"bare WeasyPrint, one core, simple bilingual page: {bare:6.2f} documents/s ({1000 / bare:4.0f} ms each)")
    figures = service(args.job, args.during, args.seconds)
    rate = figures["rate"]
    print(f"service, a job of {args.job} through the API: {rate:6.2f} certificates/s ({1000 / rate:4.0f} ms each)")
    print(f"ratio {rate / bare:.2f} (goal ≥ 1.8); cores {os.cpu_count()}")
    print(f"memory, server + render workers: {figures['at_rest'] / 2**20:.0f} MiB at rest (warm pool), "
          f"peak {figures['peak'] / 2**20:.0f} MiB during the job")  # fmt: skip
    ratio = figures["scans_during"] / figures["scans_idle"]
    print(f"scans (GET /c/{{code}} JSON, wrk 16 connections): {figures['scans_idle']:.0f} req/s idle, "
          f"{figures['scans_during']:.0f} req/s while a {args.during}-certificate job renders "
          f"({figures['during_done']:.0f} done by then): {ratio:.2f} (goal ≥ 0.8)")  # fmt: skip


if __name__ == "__main__":
    main()
