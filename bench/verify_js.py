"""Verify time per seal: the JavaScript verifier in Node beside the Python one, over the same vectors.

    .venv/bin/python bench/verify_js.py [--rounds 200]      (or: make bench-js)

For each seal vector given as a QR text, the offline check is run ROUNDS times after a warm-up and the
median taken; the figure is the median over the vectors (most of which are refused before any
signature is checked) and over the valid ones alone (a whole check with one Ed25519 verification).
Node runs web/seal/ with WebCrypto and with @noble/curves; Python runs verifier.verification.check.verify (no
seal cache).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import time
from datetime import datetime
from pathlib import Path

from verifier import TrustList, verify
from verifier.trust.keys import load_public_key_pem

REPO = Path(__file__).resolve().parents[1]
VECTORS = REPO / "tests" / "vectors"


def python_figures(rounds: int) -> dict[str, float]:
    cases = [c for c in json.loads((VECTORS / "vectors.json").read_text("utf-8"))["cases"] if c["input"] == "qr"]
    operator = load_public_key_pem((VECTORS / "operator.pub.pem").read_bytes())
    trust_list = TrustList.from_document((VECTORS / "trust-list.json").read_bytes(), [operator])
    per_vector, valid = [], []
    for case in cases:
        at = datetime.fromisoformat(case["at"])
        for _ in range(20):
            verify(case["qr"], trust_list, at)
        times = []
        for _ in range(rounds):
            start = time.perf_counter_ns()
            verify(case["qr"], trust_list, at)
            times.append((time.perf_counter_ns() - start) / 1000)
        per_vector.append(statistics.median(times))
        if case["expected"]["verdict"] == "valid":
            valid.append(statistics.median(times))
    return {"median_us": statistics.median(per_vector), "valid_median_us": statistics.median(valid)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not installed: run make test (it installs it) first")
    rows = [("Python (cryptography)", python_figures(args.rounds))]
    for prefer in ("webcrypto", "noble"):
        done = subprocess.run([node, "bench/verify_js.mjs", str(args.rounds), prefer], cwd=REPO, check=True,
                              capture_output=True, text=True)  # fmt: skip
        rows.append((f"Node ({prefer})", json.loads(done.stdout)))
    print(f"{'implementation':<24} {'median, all vectors':>20} {'median, valid seals':>20}")
    for name, figures in rows:
        print(f"{name:<24} {figures['median_us']:>17.1f} µs {figures['valid_median_us']:>17.1f} µs")


if __name__ == "__main__":
    main()
