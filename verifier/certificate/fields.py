"""The fields a certificate is made of, each validated strictly.

Each says what is wrong when it refuses: texts without control or invisible characters, codes (credit
code, HS code, country, currency, UN/LOCODE), calendar days within the range every encoder handles.
:mod:`verifier.certificate.model` builds the certificates from them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    Strict,
    WithJsonSchema,
)

from verifier.certificate.codes import COUNTRIES, CURRENCIES, credit_code_problem, locode_problem, normalize_hs_code

# Calendar bounds of a validity period: dates stay in a range every encoder and verifier handles,
# and no certificate runs longer than ten years.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
MAX_VALIDITY_YEARS = 10

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Unicode's format characters (category Cf, Unicode 15): bidi embeddings, overrides and isolates,
# zero-width spaces and joiners, the byte order mark, tags. Invisible, they make one text look like
# another on a page or a certificate, so no field holds one (the test holds this to unicodedata).
FORMAT_CHARACTERS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
# Characters of other categories that draw nothing either: the combining grapheme joiner, Hangul fillers,
# Khmer inherent vowels, Mongolian free variation selectors, the blank braille pattern, variation
# selectors. Refused like Cf: "Hengda\u3164Co" must not pass for "HengdaCo".
INVISIBLE_CHARACTERS = (
    "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u2800\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef"
)
_FORMAT = re.compile(f"[{FORMAT_CHARACTERS}{INVISIBLE_CHARACTERS}]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER_PATTERN = r"[A-Z0-9](?:[A-Z0-9./-]{0,38}[A-Z0-9])?"


def _clean_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters or line breaks")
    if _FORMAT.search(value):
        raise ValueError("must not contain invisible characters (bidi controls, zero-width characters, fillers)")
    if value != value.strip():
        raise ValueError("must not start or end with white space")
    return value


# The JSON Schema of a one-line text: no control characters, no white space at either end.
_HIDDEN = FORMAT_CHARACTERS + INVISIBLE_CHARACTERS
_LINE = (
    rf"^[^\s\x00-\x1f\x7f-\x9f{_HIDDEN}]"
    rf"(?:[^\x00-\x1f\x7f-\x9f\u2028\u2029{_HIDDEN}]*[^\s\x00-\x1f\x7f-\x9f{_HIDDEN}])?$"
)


def Text(max_length: int) -> Any:  # noqa: N802 - reads as a type in annotations
    """A one-line, non-blank string of at most ``max_length`` characters."""
    return Annotated[
        str,
        Strict(),
        Field(min_length=1, max_length=max_length),
        AfterValidator(_clean_text),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": max_length, "pattern": _LINE}),
    ]


def _credit_code(value: str) -> str:
    problem = credit_code_problem(value)
    if problem:
        raise ValueError(f"not a unified social credit code: {problem}")
    return value


def _hs_code(value: str) -> str:
    normalized = normalize_hs_code(value)
    if normalized is None:
        raise ValueError("not an HS code: 4, 6, 8 or 10 digits of chapter 01-97, e.g. 8516.79")
    return normalized


def _country(value: str) -> str:
    if value not in COUNTRIES:
        raise ValueError("not an ISO 3166-1 alpha-2 country code (upper case, e.g. DE)")
    return value


def _currency(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError("not an ISO 4217 currency code (upper case, e.g. CNY)")
    return value


def _locode(value: str) -> str:
    problem = locode_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def whole_number(value: object) -> object:
    """A JSON integer: 24, or 24.0 as JSON Schema also counts it; never true, "24" or 24.5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be a whole number")
        return int(value)
    return value


def _calendar_date(value: object) -> object:
    """Dates travel as ``YYYY-MM-DD`` strings only: no timestamps, no numbers, no other layouts."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a real calendar date") from None
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise ValueError(f"must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    return parsed


def years_after(start: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 1 March)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


# Each type validates in Python (with a message that says what is wrong) and tells its JSON Schema as
# closely as JSON Schema can; the credit code's check character is beyond it.
CreditCode = Annotated[
    str,
    Strict(),
    AfterValidator(_credit_code),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
            "description": "Unified social credit code (GB 32100), with its check character",
            "examples": ["91330100MA27XK3L0A"],
        }
    ),
]
HsCode = Annotated[
    str,
    Strict(),
    AfterValidator(_hs_code),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^(0[1-9]|[1-8][0-9]|9[0-7])[0-9]{2}((\\.[0-9]{2}){0,3}|([0-9]{2}){1,3})$",
            "description": "HS code: 4, 6, 8 or 10 digits, dotted (8516.79) or not (851679); kept dotted",
            "examples": ["8516.79"],
        }
    ),
]
Country = Annotated[
    str, Strict(), AfterValidator(_country), WithJsonSchema({"type": "string", "enum": sorted(COUNTRIES)})
]
Currency = Annotated[
    str, Strict(), AfterValidator(_currency), WithJsonSchema({"type": "string", "enum": sorted(CURRENCIES)})
]
Locode = Annotated[
    str,
    Strict(),
    AfterValidator(_locode),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z]{2}[A-Z2-9]{3}$", "description": "UN/LOCODE"}),
]
CalendarDate = Annotated[
    date,
    BeforeValidator(_calendar_date),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": "^20[0-9]{2}-[0-9]{2}-[0-9]{2}$",
            "description": "A calendar day, YYYY-MM-DD, 2000-2099",
        }
    ),
]
Model = Annotated[str, Strict(), Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./()+_-]*$")]
