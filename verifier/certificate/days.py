"""The scheme's days and times, in China Standard Time.

Validity dates are calendar days in that zone, and every face writes instants in it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

# Validity dates are calendar days of the scheme, in China Standard Time.
SCHEME_TZ = timezone(timedelta(hours=8), "CST")
# Every face (the pages, the scanner, the PDF, the command line) writes days and times in this one zone.
SCHEME_TZ_LABEL = "UTC+8"


def scheme_time(at: datetime) -> str:
    """An instant as the faces write it: ``2026-12-07 08:09 UTC+8`` (China Standard Time, named)."""
    return f"{at.astimezone(SCHEME_TZ):%Y-%m-%d %H:%M} {SCHEME_TZ_LABEL}"


def scheme_day(at: datetime) -> date:
    """The calendar day of an instant in China Standard Time (the day a page or a PDF gives it)."""
    return at.astimezone(SCHEME_TZ).date()
