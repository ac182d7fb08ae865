"""What a certificate is: the record an issuer submits, validated strictly.

One pydantic model per scheme, joined by :data:`Certificate`, a union discriminated by ``scheme``;
:func:`parse_certificate` is the one place where untrusted data becomes a certificate, and it names
every offending field in the :class:`~verifier.errors.CertificateInvalid` it raises.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from verifier.codes import COUNTRIES, CURRENCIES, credit_code_problem, locode_problem, normalize_hs_code
from verifier.errors import CertificateInvalid, FieldError

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


def _whole_number(value: object) -> object:
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


def _years_after(start: date, years: int) -> date:
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scheme(enum.Enum):
    """The certificate kinds of the scheme."""

    ZHEJIANG_MADE = "zhejiang-made"
    INTERNATIONAL_COOPERATION = "international-cooperation"
    CCC_EXEMPTION = "ccc-exemption"
    CCC_SELF_DECLARATION = "ccc-self-declaration"


class ExemptionPurpose(enum.Enum):
    """Why goods may enter without CCC certification (the categories of the CCC exemption rules)."""

    RESEARCH_AND_DEVELOPMENT = "research-and-development"
    CERTIFICATION_TESTING = "certification-testing"
    PRODUCTION_LINE_PARTS = "production-line-parts"
    EXHIBITION = "exhibition"
    AFTER_SALES_REPAIR = "after-sales-repair"
    RE_EXPORT = "re-export"
    OTHER = "other"


class QuantityUnit(enum.Enum):
    """Units a CCC exemption counts its goods in."""

    PIECES = "pieces"
    SETS = "sets"
    UNITS = "units"
    PAIRS = "pairs"
    KILOGRAMS = "kg"
    METRES = "m"
    LITRES = "l"


class Holder(_Strict):
    """The company the certificate is issued to."""

    name: Text(100)  # type: ignore[valid-type]
    name_en: Text(200)  # type: ignore[valid-type]
    credit_code: CreditCode
    address: Text(200)  # type: ignore[valid-type]
    address_en: Text(300)  # type: ignore[valid-type]


class Site(_Strict):
    """Where the certified products are made, when that is not the holder's address."""

    address: Text(200)  # type: ignore[valid-type]
    address_en: Text(300)  # type: ignore[valid-type]


class Product(_Strict):
    """A product type, its models and its HS code (kept in the canonical dotted form)."""

    name: Text(100)  # type: ignore[valid-type]
    name_en: Text(200)  # type: ignore[valid-type]
    models: Annotated[list[Model], Field(min_length=1, max_length=30, json_schema_extra={"uniqueItems": True})]
    hs_code: HsCode

    @field_validator("models")
    @classmethod
    def _distinct_models(cls, models: list[str]) -> list[str]:
        if len(set(models)) != len(models):
            raise ValueError("must not repeat a model")
        return models


class Standard(_Strict):
    """A published standard the products are measured against."""

    code: Text(60)  # type: ignore[valid-type]
    title: Text(200)  # type: ignore[valid-type]
    title_en: Text(300)  # type: ignore[valid-type]


class Money(_Strict):
    """An amount with two decimals, as a string so that no float ever rounds it, and its currency."""

    amount: Annotated[str, Strict(), Field(pattern=r"^(0|[1-9][0-9]{0,11})\.[0-9]{2}$")]
    currency: Currency


class Exemption(_Strict):
    """The one-off import a CCC exemption allows."""

    purpose: ExemptionPurpose
    quantity: Annotated[
        int,
        Field(ge=1, le=1_000_000_000),
        BeforeValidator(_whole_number),
        WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 1_000_000_000}),
    ]
    unit: QuantityUnit
    declared_value: Money
    port_of_entry: Annotated[Locode, WithJsonSchema({"type": "string", "pattern": "^CN[A-Z2-9]{3}$"})]

    @field_validator("port_of_entry")
    @classmethod
    def _chinese_port(cls, port: str) -> str:
        if not port.startswith("CN"):
            raise ValueError("must be a Chinese port (UN/LOCODE starting with CN)")
        return port


class Recognition(_Strict):
    """A partner body that recognises an international cooperation certificate."""

    body: Text(200)  # type: ignore[valid-type]
    country: Country
    certificate_number: Text(64)  # type: ignore[valid-type]


class _CertificateBase(_Strict):
    number: Annotated[str | None, Strict(), Field(default=None, pattern=f"^{NUMBER_PATTERN}$")] = None
    holder: Holder
    site: Site | None = None
    products: Annotated[list[Product], Field(min_length=1, max_length=10)]
    standards: Annotated[list[Standard], Field(min_length=1, max_length=10)]
    valid_from: CalendarDate
    valid_until: CalendarDate
    markets: Annotated[list[Country], Field(min_length=1, max_length=60, json_schema_extra={"uniqueItems": True})]

    @field_validator("valid_until")
    @classmethod
    def _after_start(cls, until: date, info: ValidationInfo) -> date:
        start = info.data.get("valid_from")
        if isinstance(start, date):
            if until < start:
                raise ValueError(f"must not be before valid_from ({start})")
            last_day = _years_after(start, MAX_VALIDITY_YEARS) - timedelta(days=1)
            if until > last_day:
                raise ValueError(f"validity must not exceed {MAX_VALIDITY_YEARS} years (last day {last_day})")
        return until

    @field_validator("markets")
    @classmethod
    def _distinct_markets(cls, markets: list[str]) -> list[str]:
        if len(set(markets)) != len(markets):
            raise ValueError("must not repeat a country")
        return markets

    @field_validator("standards")
    @classmethod
    def _distinct_standards(cls, standards: list[Standard]) -> list[Standard]:
        if len({s.code for s in standards}) != len(standards):
            raise ValueError("must not repeat a standard code")
        return standards


class ZhejiangMadeCertificate(_CertificateBase):
    """A "Zhejiang Made" product certificate."""

    scheme: Literal["zhejiang-made"]


class InternationalCooperationCertificate(_CertificateBase):
    """One audit, recognised by partner bodies in several countries."""

    scheme: Literal["international-cooperation"]
    recognitions: Annotated[list[Recognition], Field(min_length=1, max_length=20)]


class CccExemptionCertificate(_CertificateBase):
    """A one-off import of goods exempted from CCC certification."""

    scheme: Literal["ccc-exemption"]
    exemption: Exemption


class CccSelfDeclarationCertificate(_CertificateBase):
    """A CCC self-declaration of conformity."""

    scheme: Literal["ccc-self-declaration"]


Certificate = Annotated[
    ZhejiangMadeCertificate
    | InternationalCooperationCertificate
    | CccExemptionCertificate
    | CccSelfDeclarationCertificate,
    Discriminator("scheme"),
]
AnyCertificate = (
    ZhejiangMadeCertificate
    | InternationalCooperationCertificate
    | CccExemptionCertificate
    | CccSelfDeclarationCertificate
)
_ADAPTER: TypeAdapter[AnyCertificate] = TypeAdapter(Certificate)
_SCHEME_TAGS = {s.value for s in Scheme}


def parse_certificate(data: object) -> AnyCertificate:
    """Validate a decoded JSON object as a certificate.

    Returns the certificate with HS codes in canonical form. Raises
    :class:`~verifier.errors.CertificateInvalid` naming every field that breaks the model.
    """
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise CertificateInvalid(field_errors(exc)) from None


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic's errors as dotted field paths and messages, the scheme tag left out of the path."""
    return describe_errors(exc.errors(include_url=False))


# What each pattern of the wire formats allows, in words: a client is told that, never the expression.
PATTERN_WORDS = {
    f"^{NUMBER_PATTERN}$": "upper-case letters, digits and . / -, at most 40 characters, "
    "starting and ending with a letter or digit",
    r"^[A-Za-z0-9][A-Za-z0-9 ./()+_-]*$": "letters, digits, spaces and . / ( ) + _ -, starting with a letter or digit",
    r"^(0|[1-9][0-9]{0,11})\.[0-9]{2}$": "an amount with two decimals, such as 18600.00",
    r"^[0-9A-Z]{18}$": "18 upper-case letters and digits (a unified social credit code)",
    r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$": "lower-case letters, digits and hyphens, at most 40 characters, "
    "starting and ending with a letter or digit",
    r"^[0-9a-f]{1,15}$": "a next_cursor of an earlier page",
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$": "text without control characters",
}


# How pydantic names the members of an optional field's union in an error's location.
_UNION_BRANCH = re.compile(r"none|str|constrained-str|int|float|bool|(dict|list)\[.*\]")


def describe_errors(errors: Sequence[Any], what: str = "certificate") -> list[FieldError]:
    """Pydantic error dicts (``loc``, ``type``, ``msg``) as field errors in words; scheme tags are left out of paths.

    ``what`` names the thing the fields belong to, for an unknown field ("is not a field of this ...").
    """
    found: list[FieldError] = []
    for error in errors:
        loc = [str(part) for part in error["loc"] if str(part) not in _SCHEME_TAGS]
        if loc and _UNION_BRANCH.fullmatch(loc[-1]):  # "qr.str", "qr.none": one field, one message
            if loc[-1] == "none":
                continue  # "Input should be None" beside the real complaint says nothing
            loc = loc[:-1]
            if any(f.field == ".".join(loc) for f in found):
                continue
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc.append("scheme")
            message = "must be one of: " + ", ".join(sorted(_SCHEME_TAGS))
        elif error["type"] == "extra_forbidden":
            message = f"is not a field of this {what}"
        elif error["type"] == "string_pattern_mismatch":
            pattern = str((error.get("ctx") or {}).get("pattern", ""))
            message = "may hold only " + PATTERN_WORDS.get(pattern, "the characters its format allows")
        found.append(FieldError(".".join(loc) or what, message))
    return found


def certificate_json(certificate: AnyCertificate) -> dict[str, Any]:
    """The certificate as a JSON-ready dict, in the shape of the reference files."""
    return certificate.model_dump(mode="json", exclude_none=True)
