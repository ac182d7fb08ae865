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

from verifier.certificate.fields import (
    MAX_VALIDITY_YEARS,
    NUMBER_PATTERN,
    CalendarDate,
    Country,
    CreditCode,
    Currency,
    HsCode,
    Locode,
    Model,
    Text,
    whole_number,
    years_after,
)
from verifier.errors import CertificateInvalid, FieldError


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
        BeforeValidator(whole_number),
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
            last_day = years_after(start, MAX_VALIDITY_YEARS) - timedelta(days=1)
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
    """The certificate as a JSON-ready dict, in the shape of the demo certificates' files."""
    return certificate.model_dump(mode="json", exclude_none=True)
