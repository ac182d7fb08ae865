"""``/healthz`` during an attack: 20 clients scanning a hostile seal and 20 uploading a hostile PDF, at once.

    .venv/bin/python bench/attack.py [--seconds 10] [--threads 40] [--database URL]     (or: make bench-attack)

One ``verifier serve`` (SQLite under a temporary folder, or ``--database``), rate limits off so that
every hostile request reaches the decoder or a reader. The attack (``tests/helpers/hostile_load.py``) runs in a
process of its own at the lowest priority, as a remote attacker's machine would not take this one's
cores. Meanwhile /healthz is asked ten times a second; its latency is printed, first at rest, then
under attack, with what the attackers were answered. Goal (issue 10): under 100 ms.
"""

from __future__ import annotations

import argparse
import collections
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers.server import Server  # noqa: E402


def latencies(url: str, seconds: float) -> list[float]:
    out = []
    end = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=10) as client:
        while time.monotonic() < end:
            started = time.monotonic()
            assert client.get("/healthz").status_code == 200
            out.append((time.monotonic() - started) * 1000)
            time.sleep(0.1)
    return out


def describe(label: str, values: list[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return (
        f"{label:14} n={len(values):3}  median {statistics.median(values):6.1f} ms  "
        f"p99 {p99:6.1f} ms  max {values[-1]:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=40)
    parser.add_argument("--database", default="")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="verifier-attack-"))
    env = {
        "VERIFIER_ADMIN_TOKEN": secrets.token_urlsafe(32),
        "VERIFIER_RATE_LIMIT": "0",
        "VERIFIER_UPLOAD_RATE_LIMIT": "0",
        "VERIFIER_LOG_LEVEL": "warning",
    }
    if args.database:
        env["VERIFIER_DATABASE_URL"] = args.database
    server = Server(home, env)
    server.start()
    try:
        print(describe("at rest", latencies(server.url, 3)))
        attacker = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.hostile_load", server.url, str(args.seconds + 2), str(args.threads)],
            stdout=subprocess.PIPE, text=True, cwd=REPO,
        )  # fmt: skip
        time.sleep(1.5)
        result: list[float] = []
        measure = threading.Thread(target=lambda: result.extend(latencies(server.url, args.seconds)))
        measure.start()
        out, _ = attacker.communicate(timeout=args.seconds + 120)
        measure.join()
        print(describe("under attack", result))
        statuses = collections.Counter(int(line) for line in out.split())
        print(f"the attackers were answered: {dict(sorted(statuses.items()))} ({sum(statuses.values())} requests)")
        print("goal: /healthz under 100 ms under attack; no 500")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
