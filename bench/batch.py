"""The customs desk's batch (issue 31): 1,000 mixed items in one call on one worker, and the report's PDF.

    .venv/bin/python bench/batch.py [--rounds 5]      (or: make bench-batch)

``verifier serve`` (one worker, SQLite) is given 2,000 certificates (no PDFs), a tenth suspended and a
twentieth revoked. A batch of 1,000 mixed items is built: 600 QR texts of distinct certificates (valid,
suspended, revoked), 150 credentials (JWTs), 150 numbers with their credit codes, 40 forged texts (a
signature byte changed), 30 malformed texts and 30 repeats. It is posted ``--rounds`` times: the first the
service's first batch (nothing seen, nothing warmed), the rest with every seal seen before; then a batch of
the same mix of the other 1,000 (seals never seen, the process warm); beside it, the same 1,000 items
checked one request each over one keep-alive connection (the single checks' rate). Every batch verdict is
compared with its single check. Then the same batch with a report, and, with the service restarted rendering
PDFs, the report's one-page PDF: its size and the time to render it. Goals: < 1 s for 1,000 items; the PDF
≤ 100 KB.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.console import certificate  # noqa: E402
from tests.helpers.server import Server, serving  # noqa: E402

COUNT = 1000
IGNORED = ("checked_at", "position", "input", "input_sha256", "duplicate_of")


def fill(client: httpx.Client, issuer: dict[str, str]) -> list[dict[str, Any]]:
    issued: list[dict[str, Any]] = []
    for start in (0, COUNT):  # two sets: the second's seals are still unseen when the process has warmed up
        made = client.post("/api/v1/certificates/batch", headers=issuer,
                           json={"certificates": [certificate(n) for n in range(start, start + COUNT)]})  # fmt: skip
        made.raise_for_status()
        issued += made.json()["certificates"]
    for n, c in enumerate(issued):
        action = "suspend" if n % 10 == 1 else "revoke" if n % 20 == 2 else None
        if action:
            reason = "investigation" if action == "suspend" else "fraud"
            client.post(f"/api/v1/certificates/{c['id']}/{action}", json={"reason": reason},
                        headers=issuer).raise_for_status()  # fmt: skip
    return issued


def mixed(client: httpx.Client, issued: list[dict[str, Any]], first: int = 0) -> list[Any]:
    items: list[Any] = [c["qr"] for c in issued[:600]]
    for c in issued[600:750]:
        envelope = client.get(urlsplit(c["credential_url"]).path).json()
        items.append({"credential": envelope["id"].removeprefix("data:application/vc+jwt,")})
    for n, c in enumerate(issued[750:900], first + 750):
        items.append({"number": c["number"], "credit_code": certificate(n)["holder"]["credit_code"]})
    for c in issued[900:940]:
        qr = c["qr"]
        items.append(qr[:-10] + ("A" if qr[-10] != "A" else "B") + qr[-9:])
    items += [f"NOT A CODE {n}" for n in range(30)]
    items += items[:30]
    assert len(items) == COUNT
    return items


def single(client: httpx.Client, item: Any) -> dict[str, Any]:
    body = {"qr": item} if isinstance(item, str) else item
    if "number" in body:
        return {}
    answer = client.post("/api/v1/verify", json=body)
    answer.raise_for_status()
    return dict(answer.json())


def comparable(verdict: dict[str, Any]) -> dict[str, Any]:
    found = {k: v for k, v in verdict.items() if k not in IGNORED}
    found["status"] = {k: v for k, v in found["status"].items() if k != "as_of"}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    server, admin = serving(home, {"VERIFIER_RENDER_PDFS": "0", "VERIFIER_BATCH_RATE_LIMIT": "0",
                                   "VERIFIER_RATE_LIMIT": "0", "VERIFIER_REPORT_RATE_LIMIT": "0"})  # fmt: skip
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            names = {"id": "zjcert", "name": "浙江省产品认证中心", "name_en": "Zhejiang Product Certification Centre"}
            made = client.post("/api/v1/issuers", headers={"Authorization": f"Bearer {admin}"}, json=names)
            issued = fill(client, {"Authorization": f"Bearer {made.json()['token']}"})
            time.sleep(3)  # the log's checkpoint covers the status changes: single checks then prove against it too
            items = mixed(client, issued[:COUNT])
            unseen = mixed(client, issued[COUNT:], COUNT)
            took = []
            for round_ in range(args.rounds):
                started = time.perf_counter()
                answer = client.post("/api/v1/verify/batch", json={"items": items})
                took.append(time.perf_counter() - started)
                answer.raise_for_status()
                if round_ == 0:
                    results = answer.json()["results"]
                    print(f"verdicts: {answer.json()['verdicts']}  ({len(answer.content) / 1e6:.1f} MB answered)")
            started = time.perf_counter()
            client.post("/api/v1/verify/batch", json={"items": unseen}).raise_for_status()
            fresh = time.perf_counter() - started
            started = time.perf_counter()
            singles = [single(client, item) for item in items]
            one_by_one = time.perf_counter() - started
            differ = [n for n, (b, s) in enumerate(zip(results, singles, strict=True), 1)
                      if s and comparable(b) != comparable(s)]  # fmt: skip
            print(
                f"\n1,000 mixed items in one batch, one worker: the service's first batch {took[0] * 1000:.0f} ms; "
                f"1,000 more never seen {fresh * 1000:.0f} ms; seen before: median "
                f"{statistics.median(took[1:]) * 1000:.0f} ms, best {min(took[1:]) * 1000:.0f} ms "
                f"(goal < 1,000 ms): {'met' if max([*took[1:], fresh]) < 1 else 'NOT met'}"
            )
            print(
                f"the same items one request each (numbers left out): {one_by_one * 1000:.0f} ms in all; "
                f"batch / singles: {statistics.median(took[1:]) / one_by_one:.2f}"
            )
            if differ:
                first_b, first_s = comparable(results[differ[0] - 1]), comparable(singles[differ[0] - 1])
                print(
                    "first difference:",
                    {k: (first_b[k], first_s.get(k)) for k in first_b if first_b[k] != first_s.get(k)},
                )
            print(
                f"verdicts equal to their single checks: {sum(1 for s in singles if s) - len(differ)} of "
                f"{sum(1 for s in singles if s)} compared" + (f"; DIFFER at {differ[:10]}" if differ else "")
            )
            started = time.perf_counter()
            reported = client.post("/api/v1/verify/batch", json={"items": items, "report": True})
            reported.raise_for_status()
            print(f"with a signed report kept: {(time.perf_counter() - started) * 1000:.0f} ms")
            report = reported.json()["report"]
        server.stop()
        server = Server(home, {**server.env, "VERIFIER_RENDER_PDFS": "1"})
        server.start(60)
        with httpx.Client(base_url=server.url, timeout=120) as client:
            path = "/r/" + report["id"] + "/pdf"
            started = time.perf_counter()
            pdf = client.get(path)
            first = time.perf_counter() - started
            pdf.raise_for_status()
            started = time.perf_counter()
            client.get(path).raise_for_status()
            kept = time.perf_counter() - started
            (home / "report.pdf").write_bytes(pdf.content)
            print(
                f"report PDF of 1,000 items: {len(pdf.content) / 1024:.1f} KB (goal ≤ 100 KB): "
                f"{'met' if len(pdf.content) <= 100 * 1024 else 'NOT met'}; rendered in {first * 1000:.0f} ms "
                f"(the render workers starting included), then {kept * 1000:.0f} ms as kept; {home / 'report.pdf'}"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
