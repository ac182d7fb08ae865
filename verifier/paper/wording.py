"""Countries, money, quantities, dates and spans of time in the words of a language, from CLDR (Babel).

The page and the certificate never spell these out by hand: a country's name, a currency amount, a
calendar date or "in 2 years" come from the Unicode CLDR data Babel ships, so every language gets
its own conventions (digit grouping, month names, plural forms) from one maintained source.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date, format_timedelta
from babel.numbers import format_currency, format_decimal, get_currency_name
from babel.units import format_unit

# Units a CCC exemption counts in that CLDR has (the others are words of the page's catalogue).
CLDR_UNITS = {"kg": "mass-kilogram", "m": "length-meter", "l": "volume-liter"}


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def country(code: str, language: str) -> str:
    """The country's name in ``language`` (the code itself for one CLDR does not name)."""
    return str(_locale(language).territories.get(code, code))


def calendar_date(day: date, language: str) -> str:
    """A calendar day in words: "14 January 2027", "2027年1月14日", "14 يناير 2027"."""
    return str(format_date(day, "long", locale=_locale(language)))


def money(amount: str, currency: str, language: str) -> str:
    """An amount (a decimal string, never a float) with its currency, as the language writes it."""
    return str(format_currency(Decimal(amount), currency, locale=_locale(language)))


def decimal(amount: str, language: str) -> str:
    """An amount (a decimal string) with its digit grouping and the decimals it was given: "18,600.00"."""
    places = len(amount.partition(".")[2])
    return str(format_decimal(Decimal(amount), format=f"#,##0.{'0' * places}" if places else "#,##0",
                              locale=_locale(language)))  # fmt: skip


def currency_name(code: str, language: str) -> str:
    """The currency's name in ``language``: "Chinese Yuan", "人民币"."""
    return str(get_currency_name(code, locale=_locale(language)))


def number(value: int, language: str) -> str:
    """A whole number with the language's digit grouping."""
    return str(format_decimal(value, locale=_locale(language)))


def cldr_unit(value: int, unit: str, language: str) -> str | None:
    """``value`` of a metric unit in words ("24 kilograms"), or None for a unit CLDR has no name for."""
    name = CLDR_UNITS.get(unit)
    return None if name is None else str(format_unit(value, name, locale=_locale(language)))


def plural_category(value: int, language: str) -> str:
    """CLDR's plural category of ``value`` in ``language``: one, few, many, other, ..."""
    return str(_locale(language).plural_form(value))


def span(start: datetime | date, end: datetime | date, language: str) -> str:
    """How far ``end`` lies from ``start``, with its direction: "in 2 years", "3 months ago"."""
    delta: timedelta = end - start  # type: ignore[operator]
    return str(format_timedelta(delta, granularity="day", threshold=1.5, add_direction=True, locale=_locale(language)))
