"""Load from a process of its own, as an attacker's machine sends it: hostile scans and uploads at once.

    python -m tests.helpers.hostile_load URL SECONDS THREADS      prints one HTTP status a line

Half the threads scan a seal of shared values (2**50 nodes to a general decoder), half upload a PDF of
form XObjects nested seven deep; each thread has a loopback address of its own (127.0.4.N), so that
per-client limits do not turn most of them away. It runs apart from the test so that its threads do
not compete with the test's own measurements for one interpreter.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import httpx

from tests.helpers.hostile_pdfs import nested_forms
from tests.helpers.hostile_seals import shared_values
from verifier.seal.cose import encode_segment


def attack(url: str, seconds: float, threads: int) -> list[int]:
    """Send hostile requests from ``threads`` threads for ``seconds``; the statuses answered."""
    scan = "/c/" + encode_segment(b"\xd2" + shared_values(50))
    pdf = nested_forms(7)
    statuses: list[int] = []
    end = time.monotonic() + seconds

    def run(index: int) -> None:
        transport = httpx.HTTPTransport(local_address=f"127.0.4.{index + 1}")
        with httpx.Client(base_url=url, timeout=30, transport=transport) as client:
            while time.monotonic() < end:
                if index % 2:
                    answer = client.post("/api/v1/verify/pdf", files={"file": ("x.pdf", pdf, "application/pdf")})
                else:
                    answer = client.get(scan, headers={"Accept": "application/json"})
                statuses.append(answer.status_code)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return statuses


if __name__ == "__main__":
    # The attacker's own CPU is not the service's: on this machine it runs last, as a remote one would
    # (forty busy threads at the same priority would otherwise take the two cores from the server).
    os.nice(19)
    for status in attack(sys.argv[1], float(sys.argv[2]), int(sys.argv[3])):
        print(status)
