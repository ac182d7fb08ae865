"""Watches (issue 31): a status change delivered to a local receiver, p50/p99; and a receiver down for a minute.

    .venv/bin/python bench/watches.py [--changes 200] [--down 60]      (or: make bench-watches)

``verifier serve`` (one worker, SQLite, no PDFs) and an HTTPS receiver on 127.0.0.1 with a CA of its own
(``VERIFIER_WEBHOOK_ALLOW=127.0.0.1/32``, ``VERIFIER_WEBHOOK_CA_FILE``). ``--changes`` certificates are
issued and each watched; then each is suspended in turn, five a second, and the time from the API's
answer to the receiver's getting the delivery is taken (both clocks this process's). Goal: p99 < 5 s.
Then the receiver goes down (it closes every connection) for ``--down`` seconds while one certificate is
revoked, comes back, and the watch's delivery log is printed: each attempt, its time and outcome.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.console import certificate  # noqa: E402
from tests.helpers.receiver import start_receiver  # noqa: E402
from tests.helpers.server import serving  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--down", type=float, default=60.0)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-watches-"))
    receiver, ca = start_receiver(home)
    server, admin = serving(home, {"VERIFIER_RENDER_PDFS": "0", "VERIFIER_WEBHOOK_ALLOW": "127.0.0.1/32",
                                   "VERIFIER_WEBHOOK_CA_FILE": str(ca), "VERIFIER_WATCH_RATE_LIMIT": "0",
                                   "VERIFIER_RATE_LIMIT": "0"})  # fmt: skip
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            names = {"id": "zjcert", "name": "浙江省产品认证中心", "name_en": "Zhejiang Product Certification Centre"}
            made = client.post("/api/v1/issuers", headers={"Authorization": f"Bearer {admin}"}, json=names)
            issuer = {"Authorization": f"Bearer {made.json()['token']}"}
            body = {"certificates": [certificate(n) for n in range(args.changes + 1)]}
            issued = client.post("/api/v1/certificates/batch", json=body, headers=issuer).json()["certificates"]
            watches = [client.post("/api/v1/watches", json={"qr": c["qr"], "url": receiver.url}).json()
                       for c in issued]  # fmt: skip
            changed: dict[str, float] = {}
            for c in issued[:-1]:
                client.post(f"/api/v1/certificates/{c['id']}/suspend", json={"reason": "investigation"},
                            headers=issuer).raise_for_status()  # fmt: skip
                changed[c["number"]] = time.monotonic()
                time.sleep(0.2)
            deadline = time.monotonic() + 30
            while len(receiver.received) < len(changed) and time.monotonic() < deadline:
                time.sleep(0.1)
            got = {orjson.loads(r.body)["data"]["certificate"]["number"]: r.at for r in receiver.received}
            took = sorted((got[n] - at) * 1000 for n, at in changed.items() if n in got)
            p99 = took[max(0, int(len(took) * 0.99) - 1)]
            print(f"\n{len(changed)} status changes, each delivered to a local receiver (watched once each):")
            print(
                f"  received {len(took)} of {len(changed)}; p50 {statistics.median(took):.0f} ms, "
                f"p99 {p99:.0f} ms, max {took[-1]:.0f} ms (goal p99 < 5,000 ms): {'met' if p99 < 5000 else 'NOT met'}"
            )

            last, watch = issued[-1], watches[-1]
            receiver.down = True
            went_down = time.monotonic()
            client.post(f"/api/v1/certificates/{last['id']}/revoke", json={"reason": "fraud"},
                        headers=issuer).raise_for_status()  # fmt: skip
            print(f"\nthe receiver down for {args.down:g} s while {last['number']} is revoked:")
            time.sleep(args.down)
            receiver.down = False
            came_back = time.monotonic()
            log: dict[str, object] = {}
            while time.monotonic() - came_back < 600:
                log = client.get(f"/api/v1/watches/{watch['id']}", params={"token": watch["token"]}).json()
                if log["deliveries"] and log["deliveries"][0]["state"] != "pending":
                    break
                time.sleep(1)
            (delivery,) = [d for d in log["deliveries"] if d["event"] == "certificate.revoked"]  # type: ignore[attr-defined]
            start = datetime.fromisoformat(delivery["created_at"].replace("Z", "+00:00"))
            for attempt in delivery["attempts"]:
                at = datetime.fromisoformat(attempt["at"].replace("Z", "+00:00"))
                print(f"  +{(at - start).total_seconds():6.1f} s  {attempt['ms']:5d} ms  {attempt['outcome']}")
            print(
                f"  {delivery['state']} {time.monotonic() - went_down:.0f} s after the change, "
                f"{time.monotonic() - came_back:.0f} s after the receiver came back"
            )
    finally:
        server.stop()
        receiver.stop()


if __name__ == "__main__":
    main()
