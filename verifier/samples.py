"""The demo certificates shipped with the package: copies of the scheme's reference certificates.

The demo, the API documentation's examples and the newcomer's first run use them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def demo_certificates() -> tuple[tuple[str, Any], ...]:
    """(name, certificate JSON) for each packaged demo certificate, by name."""
    folder = resources.files("verifier") / "demo"
    return tuple(
        (entry.name.removesuffix(".json"), json.loads(entry.read_text("utf-8")))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    )


def demo_stamp() -> bytes:
    """The demo issuer's stamp: an SVG marked SPECIMEN, never a real seal."""
    return (resources.files("verifier") / "demo" / "stamp.svg").read_bytes()
