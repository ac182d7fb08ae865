"""The seal decoder against hostile encodings: the worst case over the corpus beside a genuine seal.

    .venv/bin/python bench/decoder.py [--rounds 7] [--loops 200]      (or: make bench-decoder)

The corpus is ``tests/helpers/hostile_seals.py`` (shared values, deep nesting, huge declared lengths, many small
items, indefinite lengths, bignums, sets, regular expressions; in the envelope, the unprotected and
protected headers and the signed claims). Each case is decoded from its full QR text, as a scan is: the
time is the median over rounds of the mean per decode. Beside them, a genuine seal's decode (the
envelope and its claims, no signature) and its whole offline check. Goal (issue 10): every hostile
text decided in ≤ 5 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from seal import per_op  # noqa: E402 - bench/seal.py, beside this script: the same timing loop

from tests.helpers.hostile_seals import corpus  # noqa: E402
from verifier import Keyring, build_trust_list, new_signing_key, parse_certificate, seal_certificate, verify  # noqa: E402
from verifier.seal.claims import claims_from_cbor  # noqa: E402
from verifier.seal.cose import decode_cose, decode_text, encode_text  # noqa: E402
from verifier.verdict import IssuerInfo  # noqa: E402

PUBLIC_URL = "https://verify.zhejiang-made.org.cn"
GOAL_US = 5000.0


def median_time(fn: Callable[[], object], rounds: int, loops: int) -> float:
    return statistics.median(per_op(fn, loops) for _ in range(rounds))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--loops", type=int, default=200)
    args = parser.parse_args()

    key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    info = IssuerInfo("zjcert", "浙江省产品认证中心", "Zhejiang Product Certification Centre")
    trust_list = build_trust_list(
        [(info, Keyring("zjcert", (key.record,), key.kid))], [PUBLIC_URL], datetime(2024, 5, 1, tzinfo=UTC)
    )
    check_at = datetime(2024, 6, 1, tzinfo=UTC)
    data = json.loads((REPO / "verifier" / "demo" / "zhejiang-made-kettle.json").read_text("utf-8"))
    sealed = seal_certificate(parse_certificate(data), key, PUBLIC_URL, datetime(2024, 2, 1, tzinfo=UTC))
    origins = trust_list.origins

    def decode_genuine() -> object:
        return claims_from_cbor(decode_cose(decode_text(sealed.qr_text, origins)).payload)

    genuine_decode = median_time(decode_genuine, args.rounds, args.loops)
    genuine_verify = median_time(lambda: verify(sealed.qr_text, trust_list, check_at), args.rounds, args.loops)
    cases = corpus(key, decode_cose(sealed.cose).payload)
    rows = []
    for name, cose in cases.items():
        text = encode_text(cose, PUBLIC_URL)
        result = verify(text, trust_list, check_at)
        took = median_time(lambda text=text: verify(text, trust_list, check_at), args.rounds, args.loops)
        rows.append((took, name, len(text), result.reason.value))
    rows.sort(reverse=True)
    print(f"{'hostile case (slowest first)':58} {'text':>6} {'µs':>8}  reason")
    for took, name, length, reason in rows[:12]:
        print(f"{name:58} {length:>6} {took:8.1f}  {reason}")
    print(f"  ... {len(rows) - 12} more, down to {rows[-1][0]:.1f} µs")
    worst = rows[0][0]
    print(f"\ngenuine seal: decode {genuine_decode:.1f} µs, whole offline check {genuine_verify:.1f} µs")
    print(f"hostile worst case {worst:.1f} µs over {len(rows)} cases (goal ≤ {GOAL_US:.0f} µs): "
          f"{worst / genuine_verify:.2f}× a genuine check")  # fmt: skip


if __name__ == "__main__":
    main()
