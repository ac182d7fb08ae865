"""The reference certificates the tests issue and check, and the fixed moments they are sealed and checked at."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from verifier.demo.samples import dated

REPO = Path(__file__).resolve().parents[2]
# The reference certificates live in the repository once: the package's demo data (verifier/demo/).
REFERENCE_DIR = REPO / "verifier" / "demo"
PUBLIC_URL = "https://verify.zhejiang-made.example"
SEALED_AT = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
CHECK_AT = datetime(2024, 6, 1, tzinfo=UTC)


def reference_certificates() -> dict[str, dict[str, Any]]:
    """Every reference certificate by file stem."""
    files = sorted(REFERENCE_DIR.glob("*.json"))
    if not files:
        raise RuntimeError(f"no reference certificates in {REFERENCE_DIR}")
    return {f.stem: json.loads(f.read_text("utf-8")) for f in files}


REFERENCE = reference_certificates()
# The reference certificates as a test issues them at the real time: each as it is while in force, and
# dated around today once its validity has ended (an issuance is refused then; the CCC exemption's ended
# in 2024).
_TODAY = datetime.now(UTC).date()
CURRENT = {
    name: data if date.fromisoformat(data["valid_until"]) >= _TODAY else dated(data, _TODAY)
    for name, data in REFERENCE.items()
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
