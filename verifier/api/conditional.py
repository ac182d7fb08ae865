"""Conditional requests (RFC 9110 §13): ``If-None-Match`` against a strong ETag, read within bounds.

A header is read only so far: at most :data:`MAX_TAGS` entity tags, and none of a header longer than
:data:`MAX_HEADER` characters (the server refuses much larger headers before any of this runs). A
header that cannot match is simply no match: the full answer, never an error.
"""

from __future__ import annotations

MAX_HEADER = 4096
MAX_TAGS = 64


def not_modified(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match: header`` names ``etag`` (weak comparison, as §13.1.2 says), or is ``*``."""
    if not header or len(header) > MAX_HEADER:
        return False
    if header.strip() == "*":
        return True
    for tag in header.split(",", MAX_TAGS)[:MAX_TAGS]:
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False
