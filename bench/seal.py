"""Seal and offline-verify time per demo certificate, beside raw Ed25519 on the same bytes.

    .venv/bin/python bench/seal.py [--rounds 15] [--loops 1000]      (or: make bench)

Each time is the median over rounds of the mean time per operation in a round, and each ratio the
median of the rounds' own ratios; the raw sign and verify run on the very Sig_structure bytes the seal
signs, interleaved with the seal's own rounds so that machine noise hits both alike.
Goals (issue 2): verify ≤ 1.5× raw verify, seal ≤ 2× raw sign.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from verifier import Keyring, Verdict, build_trust_list, new_signing_key, parse_certificate, seal_certificate, verify
from verifier.seal.cose import decode_cose
from verifier.verdict import IssuerInfo

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "verifier" / "demo"  # the demo certificates
PUBLIC_URL = "https://verify.zhejiang-made.org.cn"


def per_op(fn: Callable[[], object], loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        fn()
    return (time.perf_counter() - start) / loops * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--loops", type=int, default=1000)
    args = parser.parse_args()

    key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    info = IssuerInfo("zjcert", "浙江省产品认证中心", "Zhejiang Product Certification Centre")
    trust_list = build_trust_list(
        [(info, Keyring("zjcert", (key.record,), key.kid))], [PUBLIC_URL], datetime(2024, 5, 1, tzinfo=UTC)
    )
    sealed_at, check_at = datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
    public = key.record.public_key

    print(
        f"{'certificate':34} {'raw sign':>9} {'seal':>9} {'ratio':>6}   "
        f"{'raw verify':>10} {'verify':>9} {'ratio':>6}  QR"
    )
    worst_seal = worst_verify = 0.0
    for path in sorted(DEMO.glob("*.json")):
        certificate = parse_certificate(json.loads(path.read_text("utf-8")))
        sealed = seal_certificate(certificate, key, PUBLIC_URL, sealed_at)
        assert verify(sealed.qr_text, trust_list, check_at).verdict is Verdict.VALID
        tbs = decode_cose(sealed.cose).to_be_signed()
        signature = sealed.cose[-64:]

        operations: dict[str, Callable[[], object]] = {
            "raw_sign": partial(key.private_key.sign, tbs),
            "seal": partial(seal_certificate, certificate, key, PUBLIC_URL, sealed_at),
            "raw_verify": partial(public.verify, signature, tbs),
            "verify": partial(verify, sealed.qr_text, trust_list, check_at),
        }
        timings: dict[str, list[float]] = {name: [] for name in operations}
        for _ in range(args.rounds):
            for name, operation in operations.items():
                timings[name].append(per_op(operation, args.loops))
        m = {name: statistics.median(values) for name, values in timings.items()}
        # Each round's ratio pairs neighbouring measurements, so slow drifts of the machine cancel out.
        seal_ratio = statistics.median(a / b for a, b in zip(timings["seal"], timings["raw_sign"], strict=True))
        verify_ratio = statistics.median(a / b for a, b in zip(timings["verify"], timings["raw_verify"], strict=True))
        worst_seal, worst_verify = max(worst_seal, seal_ratio), max(worst_verify, verify_ratio)
        print(
            f"{path.stem:34} {m['raw_sign']:7.1f}µs {m['seal']:7.1f}µs {seal_ratio:5.2f}×   "
            f"{m['raw_verify']:8.1f}µs {m['verify']:7.1f}µs {verify_ratio:5.2f}×  v{sealed.qr_version}"
        )
    print(f"\nworst seal ratio {worst_seal:.2f}× (goal ≤ 2.0), worst verify ratio {worst_verify:.2f}× (goal ≤ 1.5)")


if __name__ == "__main__":
    main()
