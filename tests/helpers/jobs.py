"""Jobs as the tests submit and follow them: batches of certificates in force, one that cannot be rendered."""

from __future__ import annotations

import time
from typing import Any

from tests.helpers import CURRENT, DEMO

ENDED = ("succeeded", "failed", "cancelled")


IN_FORCE = [CURRENT[name] for name in sorted(CURRENT)]  # in force today: jobs issue at the real time


def batch(count: int, prefix: str = "J") -> list[dict[str, Any]]:
    """``count`` certificates: the demo certificates in turn, each with a number of its own."""
    return [dict(IN_FORCE[i % len(IN_FORCE)], number=f"{prefix}-{i:05d}") for i in range(count)]


def crowded() -> dict[str, Any]:
    """A valid certificate whose ten products do not fit on one page: refused at rendering, not before."""
    kettle = DEMO["zhejiang-made-kettle"]
    product = kettle["products"][0]
    products = [{**product, "models": [f"HD-{i:04d}-{j:02d}" for j in range(2)]} for i in range(10)]
    return {**kettle, "products": products}


def follow(get: Any, url: str, headers: dict[str, str], timeout: float = 300) -> tuple[dict[str, Any], list[int]]:
    """Poll a job to its end: its last answer and every ``done`` seen on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        job = answer.json()
        seen.append(job["done"])
        if job["state"] in ENDED:
            return job, seen
        time.sleep(0.2)
    raise AssertionError(f"the job did not end in {timeout} s: {job}")
