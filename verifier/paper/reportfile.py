"""What a verification report's PDF carries for its readers: the signed report, as two embedded files.

``report.json`` holds the report's credential exactly as signed (the JWS payload's bytes) and
``report.jws`` its detached JWS (RFC 7515 appendix F: ``header..signature``); a reader joins them back
into the compact JWS (:func:`attach`). JSON compresses in the PDF far better than its base64 would: a
report of 1,000 items stays within a 100 KB file. Apart from :mod:`verifier.paper.report` (which draws
the page) so that a reader of PDFs loads none of the drawing.
"""

from __future__ import annotations

import base64
from typing import Any

REPORT_CREDENTIAL = "report.json"  # the report's credential, the bytes its signature covers
REPORT_SIGNATURE = "report.jws"  # the detached JWS over them
MAX_REPORT_BYTES = 3_000_000  # of a signed report (one of 1,000 items is about 500 KB as a JWT)


def detach(jwt: str) -> tuple[bytes, str]:
    """A compact JWS split into its payload's bytes and its detached form (``header..signature``)."""
    header, payload, signature = jwt.split(".")
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)), f"{header}..{signature}"


def attach(payload: bytes, detached: str) -> str:
    """The compact JWS again, from the payload's bytes and the detached JWS (whatever they hold: checked later)."""
    header, _, signature = detached.partition("..")
    return f"{header}.{base64.urlsafe_b64encode(payload).rstrip(b'=').decode('ascii')}.{signature}"


def resolved(items: list[Any]) -> list[dict[str, Any]]:
    """A report's items, each repeated input given its first's certificate and status (for showing)."""
    first: dict[Any, dict[str, Any]] = {}
    shown = []
    for item in items:
        if not isinstance(item, dict):
            continue
        twin = first.get(item.get("duplicateOf"))
        item = {**twin, **item} if twin is not None else item
        first.setdefault(item.get("position"), item)
        shown.append(item)
    return shown
