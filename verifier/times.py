"""RFC 3339 times, read strictly: what the trust list and the status lists write, and nothing looser.

``2024-03-01T00:00:00Z``, with a fraction of a second or an offset (``+08:00``), and ``t`` / ``z``
in lower case, which RFC 3339 §5.6 allows. Not ISO 8601's other forms, which Python's
``datetime.fromisoformat`` also takes: the basic format (``20240301T000000Z``), week and ordinal
dates, times without seconds, offsets without a colon (``+0000``), a date alone, or no zone at all.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))")


def parse_time(text: object, what: str = "a time") -> datetime:
    """``text`` as an aware datetime in UTC; raises ValueError naming ``what`` unless it is RFC 3339."""
    found = _RFC3339.fullmatch(text) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"{what} is not an RFC 3339 time with a zone (such as 2024-03-01T00:00:00Z)")
    year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
    fraction = found.group(7) or ""
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    if found.group(8):
        zone = UTC
    else:
        hours, minutes = int(found.group(10)), int(found.group(11))
        if hours > 23 or minutes > 59:
            raise ValueError(f"{what} has an offset out of range")
        sign = 1 if found.group(9) == "+" else -1
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    except ValueError:
        raise ValueError(f"{what} names a day or time that does not exist") from None
    return moment.astimezone(UTC)
