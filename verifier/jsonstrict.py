"""JSON as RFC 8259 writes it, read strictly: no byte-order mark, no object with a member twice.

A signed document parsed two ways must say one thing: with a member twice, one reader keeps the first
and another the last, and the same valid signature then vouches for two different contents. The trust
list and the status lists (and credentials) are read with :func:`strict_loads`.
"""

from __future__ import annotations

import json
from typing import Any


class StrictJsonError(ValueError):
    """JSON that parses, but not as RFC 8259 writes a document: a byte-order mark, a member twice."""


class DuplicateMember(StrictJsonError):
    """An object holds a member name twice."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise DuplicateMember(f"the member {name[:40]!r} appears twice in one object")
        found[name] = value
    return found


def strict_loads(data: bytes | str) -> Any:
    """The JSON value of ``data`` (UTF-8 bytes or text).

    Raises ValueError for a byte-order mark, a member twice, or anything that is not JSON
    (RecursionError for nesting too deep, as :func:`json.loads` does).
    """
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            raise StrictJsonError("a byte-order mark before the JSON")
        data = data.decode("utf-8")
    elif data.startswith("\ufeff"):
        raise StrictJsonError("a byte-order mark before the JSON")
    return json.loads(data, object_pairs_hook=_no_duplicates)
