"""The console's pages with 20,000 certificates stored (issue 30): p50 and p95 of each page, beside a baseline.

    .venv/bin/python bench/console.py [--count 20000] [--requests 200]     (or: make bench-console)

``verifier serve`` (one worker, SQLite, no PDFs) is given ``--count`` certificates through the batch API
(1,000 at a time, their holders, HS codes and markets varied), a tenth of them suspended and a tenth revoked.
A clerk invited by ``verifier user invite`` signs in; then each page is asked ``--requests`` times in turn
over one keep-alive connection: the list's first page, a page deep in it (by its cursor), searches by
number, holder, credit code, HS code with market, status and validity, a certificate's page, and a pasted
list of 100 numbers checked. Baseline: the service's own ``/healthz`` on the same connection. Goal: every
page's p95 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers import DEMO  # noqa: E402
from tests.helpers.cli import run_cli  # noqa: E402
from tests.helpers.server import serving  # noqa: E402
from verifier.certificate.codes import credit_code_check_character  # noqa: E402

HOLDERS = [("浙江恒达电器有限公司", "Zhejiang Hengda Electric Appliance Co., Ltd."),
           ("宁波恒泰阀门制造有限公司", "Ningbo Hengtai Valve Manufacturing Co., Ltd."),
           ("杭州光明照明科技有限公司", "Hangzhou Guangming Lighting Technology Co., Ltd."),
           ("温州东方鞋业有限公司", "Wenzhou Dongfang Footwear Co., Ltd.")]  # fmt: skip
HS = ["8516.79", "8481.80", "9405.11", "6403.99", "8509.40"]
MARKETS = [["DE", "FR"], ["US", "GB", "JP"], ["AE", "SA"], ["RU", "KZ"], ["ES", "IT", "PT"]]
FORM = re.compile(r'name="form" value="([^"]*)"')


def certificate(n: int) -> dict[str, Any]:
    base = dict(DEMO["zhejiang-made-kettle"])
    name, name_en = HOLDERS[n % len(HOLDERS)]
    base["number"] = f"ZJM-2026-{n:05d}"
    first17 = f"91330100MA{n:07d}"
    base["holder"] = dict(base["holder"], name=name, name_en=name_en,
                          credit_code=first17 + credit_code_check_character(first17))  # fmt: skip
    base["products"] = [dict(base["products"][0], hs_code=HS[n % len(HS)])]
    base["markets"] = MARKETS[n % len(MARKETS)]
    return base


def fill(url: str, issuer: dict[str, str], count: int) -> list[str]:
    ids: list[str] = []
    started = time.monotonic()
    with httpx.Client(base_url=url, timeout=300) as client:
        for start in range(0, count, 1000):
            batch = [certificate(n) for n in range(start, min(count, start + 1000))]
            made = client.post("/api/v1/certificates/batch", json={"certificates": batch}, headers=issuer)
            made.raise_for_status()
            ids += [c["id"] for c in made.json()["certificates"]]
            print(f"  stored {len(ids):,} ({time.monotonic() - started:.0f} s)", flush=True)
        for n, certificate_id in enumerate(ids):
            if n % 10 == 1:
                client.post(f"/api/v1/certificates/{certificate_id}/suspend", json={"reason": "investigation"},
                            headers=issuer).raise_for_status()  # fmt: skip
            elif n % 10 == 2:
                client.post(f"/api/v1/certificates/{certificate_id}/revoke", json={"reason": "fraud"},
                            headers=issuer).raise_for_status()  # fmt: skip
    return ids


def timed(client: httpx.Client, ask: Any, requests: int) -> tuple[float, float]:
    took = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = ask()
        took.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text[:300]
    took.sort()
    return statistics.median(took), took[int(len(took) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    server, admin = serving(Path(tempfile.mkdtemp(prefix="bench-console-")), {"VERIFIER_RENDER_PDFS": "0"})
    try:
        names = {"id": "zjcert", "name": "浙江省产品认证中心", "name_en": "Zhejiang Product Certification Centre"}
        made = httpx.post(f"{server.url}/api/v1/issuers", headers={"Authorization": f"Bearer {admin}"}, json=names)
        ids = fill(server.url, {"Authorization": f"Bearer {made.json()['token']}"}, args.count)
        ran = run_cli("user", "invite", "zjcert", "clerk@zjcert.cn", "--name", "Clerk", "--role", "clerk",
                      env=server.env)  # fmt: skip
        invitation = ran.stdout.rsplit("#", 1)[1].strip()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            page = client.get("/console/welcome")
            client.post("/console/welcome", data={"invitation": invitation, "password": "p" * 16, "again": "p" * 16,
                                                  "form": FORM.findall(page.text)[0]})  # fmt: skip
            page = client.get("/console/sign-in")
            client.post("/console/sign-in", data={"email": "clerk@zjcert.cn", "password": "p" * 16,
                                                  "form": FORM.findall(page.text)[0]})  # fmt: skip
            first = client.get("/console/certificates")
            deep = "/console/certificates?cursor=" + str(args.count // 2)
            token = FORM.findall(first.text)[0]
            pasted = "\n".join(f"ZJM-2026-{n:05d}" for n in range(0, args.count, max(1, args.count // 100)))
            pages = {
                "healthz (baseline)": lambda: client.get("/healthz"),
                "list, first page": lambda: client.get("/console/certificates"),
                "list, a page deep in it": lambda: client.get(deep),
                "search by number": lambda: client.get("/console/certificates?q=ZJM-2026-1234"),
                "search by holder": lambda: client.get("/console/certificates?q=恒泰"),
                "search by credit code": lambda: client.get("/console/certificates?q=91330100MA00012"),
                "HS code and market": lambda: client.get("/console/certificates?hs=8516&market=DE"),
                "suspended, in force": lambda: client.get("/console/certificates?status=suspended&validity=in_force"),
                "a certificate": lambda: client.get(f"/console/certificates/{ids[len(ids) // 3]}"),
                "pasted list of 100, checked": lambda: client.post("/console/status", data={
                    "numbers": pasted, "action": "suspend", "reason": "investigation", "form": token}),
            }  # fmt: skip
            print(f"\nconsole pages with {args.count:,} certificates stored, {args.requests} requests each:")
            print(f"  {'page':<32} {'p50 ms':>8} {'p95 ms':>8}")
            worst = 0.0
            for name, ask in pages.items():
                p50, p95 = timed(client, ask, args.requests)
                if not name.startswith("healthz"):
                    worst = max(worst, p95)
                print(f"  {name:<32} {p50:>8.1f} {p95:>8.1f}", flush=True)
            print(f"\nworst p95: {worst:.1f} ms (goal ≤ 200 ms): {'met' if worst <= 200 else 'NOT met'}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
