"""The demo certificates shipped with the package: copies of the certificates the scheme published as examples.

The demo, the API documentation's examples and the newcomer's first run use them, with their dates
moved around the day they are used (:func:`dated`): a certificate is issued in force, never with a
date of issue after its validity ended.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

IN_FORCE_SINCE = timedelta(days=30)  # a demo certificate's validity began a month before its day


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


def dated(data: dict[str, Any], today: date, ended: bool = False) -> dict[str, Any]:
    """A copy of a certificate whose validity, as long as the original's, began a month before ``today``.

    ``ended``: instead, the validity ended a month before ``today`` (a certificate that has expired
    since it was issued).
    """
    span = date.fromisoformat(data["valid_until"]) - date.fromisoformat(data["valid_from"])
    start = today - IN_FORCE_SINCE - (span if ended else timedelta(0))
    return {**data, "valid_from": start.isoformat(), "valid_until": (start + span).isoformat()}


def example(name: str, today: date) -> dict[str, Any]:
    """A demo certificate ready to issue as it stands on ``today``: in force, and without a number.

    The service gives it one, so the example can be sent again and again.
    """
    data = dated(dict(demo_certificates())[name], today)
    data.pop("number", None)
    return data
