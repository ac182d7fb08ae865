"""The demo certificates the tests issue and check, and the fixed moments they are sealed and checked at."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from verifier.demo.certificates import dated

REPO = Path(__file__).resolve().parents[2]
# The demo certificates live in the repository once: the package's demo data (verifier/demo/).
DEMO_DIR = REPO / "verifier" / "demo"
PUBLIC_URL = "https://verify.zhejiang-made.example"
SEALED_AT = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
CHECK_AT = datetime(2024, 6, 1, tzinfo=UTC)


def demo_certificates_by_name() -> dict[str, dict[str, Any]]:
    """Every demo certificate by file stem."""
    files = sorted(DEMO_DIR.glob("*.json"))
    if not files:
        raise RuntimeError(f"no demo certificates in {DEMO_DIR}")
    return {f.stem: json.loads(f.read_text("utf-8")) for f in files}


DEMO = demo_certificates_by_name()
# The demo certificates as a test issues them at the real time: each as it is while in force, and
# dated around today once its validity has ended (an issuance is refused then; the CCC exemption's ended
# in 2024).
_TODAY = datetime.now(UTC).date()
CURRENT = {
    name: data if date.fromisoformat(data["valid_until"]) >= _TODAY else dated(data, _TODAY)
    for name, data in DEMO.items()
}


DELETE = object()


def changed(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with the dotted ``path`` set to ``value`` (or removed, for DELETE)."""
    copy = json.loads(json.dumps(data))
    *parents, last = path.split(".")
    target: Any = copy
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return copy
