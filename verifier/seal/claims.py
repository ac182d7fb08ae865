"""The essential content of a certificate, and its CBOR claims (what the seal signs).

The QR code must stay at version 15 or below, so the seal carries what a verifier needs to recognise the
goods and the holder, and the registry keeps the rest (addresses, titles, Chinese product names,
recognitions). The claims are a CWT claims set (RFC 8392)::

    {
      4: exp       first second after the validity period (China Standard Time, UTC+8)
      5: nbf       first second of the validity period
      6: iat       when the certificate was sealed
      -65537: [    the certificate (private-use claim), by position:
        scheme          1 zhejiang-made, 2 international-cooperation, 3 ccc-exemption, 4 ccc-self-declaration
        number          text
        holder          [name_en, credit_code]
        products        [[name_en, [model, ...], hs_code as integer], ...]
        standards       [code, ...]
        markets         the alpha-2 codes run together: "DEFRGB"
        exemption       [purpose, quantity, unit, amount, currency, port]   (ccc-exemption only)
        status index    optional, last: its place in the issuer's status lists (spec 1.1)
      ]
    }

Positions rather than keys inside the certificate: a QR character is dear, and the format version in
the link says how to read them.

The status index lets an offline verifier with the issuer's downloaded Bitstring Status Lists say
whether the certificate is revoked or suspended; seals made before it existed have none and stay
valid. It is the certificate's last item rather than a claim of its own: 5 bytes, where a private
claim key would add 5 more and push the longest certificates past QR version 15.

The issuer is not repeated as ``iss``: the key id names the key, and the trust list names its issuer.
:func:`claims_from_cbor` is strict: exact keys and types, bounded lengths, canonical encoding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import cbor2

from verifier.certificate.codes import (
    COUNTRIES,
    CURRENCIES,
    credit_code_problem,
    hs_code_from_int,
    hs_code_to_int,
    locode_problem,
)
from verifier.certificate.fields import EARLIEST_DATE, LATEST_DATE, NUMBER_PATTERN
from verifier.certificate.model import AnyCertificate, CccExemptionCertificate, ExemptionPurpose, QuantityUnit, Scheme
from verifier.seal import cborread
from verifier.trust.keys import whole_second

DAY = 86400

CLAIM_EXP, CLAIM_NBF, CLAIM_IAT, CLAIM_CERTIFICATE = 4, 5, 6, -65537
MAX_STATUS_INDEX = 2**32 - 1
_SCHEME_CODES = {
    Scheme.ZHEJIANG_MADE: 1,
    Scheme.INTERNATIONAL_COOPERATION: 2,
    Scheme.CCC_EXEMPTION: 3,
    Scheme.CCC_SELF_DECLARATION: 4,
}
_PURPOSE_CODES = {purpose: i for i, purpose in enumerate(ExemptionPurpose, start=1)}
_UNIT_CODES = {unit: i for i, unit in enumerate(QuantityUnit, start=1)}
_SCHEMES = {v: k for k, v in _SCHEME_CODES.items()}
_PURPOSES = {v: k for k, v in _PURPOSE_CODES.items()}
_UNITS = {v: k for k, v in _UNIT_CODES.items()}
# Claim keys in deterministic order (RFC 8949 §4.2.1: shorter encodings first, then bytewise).
_CLAIM_KEYS = [CLAIM_EXP, CLAIM_NBF, CLAIM_IAT, CLAIM_CERTIFICATE]
_NUMBER = re.compile(NUMBER_PATTERN)
_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,11})\.[0-9]{2}")
_MODEL = r"[A-Za-z0-9][A-Za-z0-9 ./()+_-]{0,39}"
_TWO_LETTERS = re.compile(r"[A-Z]{2}")
_MODELS = re.compile(f"(?:{_MODEL}\n)*{_MODEL}")  # models joined by line feeds: one match for all
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class ClaimsError(ValueError):
    """The claims are not what :func:`claims_to_cbor` writes; the message says where."""


class SealedProduct(NamedTuple):
    """A product as sealed: English name, models, canonical HS code (a tuple: a scan builds several)."""

    name_en: str
    models: tuple[str, ...]
    hs_code: str


@dataclass(frozen=True)
class SealedExemption:
    """The goods a CCC exemption lets in, as sealed."""

    purpose: ExemptionPurpose
    quantity: int
    unit: QuantityUnit
    amount: str
    currency: str
    port_of_entry: str


@dataclass(frozen=True)
class SealedCertificate:
    """The signed content of a certificate: what an offline verifier can show and trust."""

    scheme: Scheme
    number: str
    holder_name_en: str
    credit_code: str
    products: tuple[SealedProduct, ...]
    standards: tuple[str, ...]
    valid_from: date
    valid_until: date
    markets: tuple[str, ...]
    issued_at: datetime
    exemption: SealedExemption | None = None
    status_index: int | None = None  # its place in the issuer's status lists (seals since spec 1.1)

    def to_json(self) -> dict[str, Any]:
        """The content in the shape of the certificate record (a subset of its fields, plus ``issued_at``)."""
        out: dict[str, Any] = {
            "scheme": self.scheme.value,
            "number": self.number,
            "holder": {"name_en": self.holder_name_en, "credit_code": self.credit_code},
            "products": [{"name_en": p.name_en, "models": list(p.models), "hs_code": p.hs_code} for p in self.products],
            "standards": [{"code": code} for code in self.standards],
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "markets": list(self.markets),
            "issued_at": self.issued_at.isoformat().replace("+00:00", "Z"),
        }
        if self.exemption:
            e = self.exemption
            out["exemption"] = {
                "purpose": e.purpose.value,
                "quantity": e.quantity,
                "unit": e.unit.value,
                "declared_value": {"amount": e.amount, "currency": e.currency},
                "port_of_entry": e.port_of_entry,
            }
        if self.status_index is not None:
            out["status_index"] = self.status_index
        return out


def sealed_content(
    certificate: AnyCertificate, issued_at: datetime, status_index: int | None = None
) -> SealedCertificate:
    """The essential content of a validated, numbered certificate, sealed at ``issued_at`` (whole seconds).

    ``status_index`` is the certificate's place in its issuer's status lists, when it has one.
    """
    if status_index is not None and not 0 <= status_index <= MAX_STATUS_INDEX:
        raise ValueError(f"status index {status_index} is outside 0..{MAX_STATUS_INDEX}")
    if certificate.number is None:
        raise ValueError("a certificate is numbered before it is sealed")
    exemption = None
    if isinstance(certificate, CccExemptionCertificate):
        e = certificate.exemption
        exemption = SealedExemption(
            e.purpose, e.quantity, e.unit, e.declared_value.amount, e.declared_value.currency, e.port_of_entry
        )
    return SealedCertificate(
        scheme=Scheme(certificate.scheme),
        number=certificate.number,
        holder_name_en=certificate.holder.name_en,
        credit_code=certificate.holder.credit_code,
        products=tuple(SealedProduct(p.name_en, tuple(p.models), p.hs_code) for p in certificate.products),
        standards=tuple(s.code for s in certificate.standards),
        valid_from=certificate.valid_from,
        valid_until=certificate.valid_until,
        markets=tuple(certificate.markets),
        issued_at=whole_second(issued_at),
        exemption=exemption,
        status_index=status_index,
    )


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_TZ_OFFSET = 8 * 3600
_LAST_SECOND = 4_200_000_000  # early 2103: past every date the model allows


def day_start(day: date) -> int:
    """Epoch seconds of the first second of ``day`` in the scheme's time zone."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY - _TZ_OFFSET


def claims_to_cbor(content: SealedCertificate) -> bytes:
    """The claims set as deterministic CBOR (RFC 8949 §4.2.1).

    The one map has integer keys inserted in the deterministic order, so the plain encoder writes the
    same bytes as the sorting one, only faster (the tests hold it to that).
    """
    cert: list[Any] = [
        _SCHEME_CODES[content.scheme],
        content.number,
        [content.holder_name_en, content.credit_code],
        [[p.name_en, list(p.models), hs_code_to_int(p.hs_code)] for p in content.products],
        list(content.standards),
        "".join(content.markets),
    ]
    if content.exemption:
        e = content.exemption
        cert.append([_PURPOSE_CODES[e.purpose], e.quantity, _UNIT_CODES[e.unit], e.amount, e.currency, e.port_of_entry])
    if content.status_index is not None:
        cert.append(content.status_index)
    claims = {
        CLAIM_EXP: day_start(content.valid_until) + DAY,
        CLAIM_NBF: day_start(content.valid_from),
        CLAIM_IAT: int(content.issued_at.timestamp()),
        CLAIM_CERTIFICATE: cert,
    }
    return cbor2.dumps(claims)


def claims_from_cbor(data: bytes) -> SealedCertificate:
    """Parse claims written by :func:`claims_to_cbor`; raises :class:`ClaimsError` on anything else."""
    claims, valid_from, valid_until, iat = read_claims(data, _CLAIM_KEYS, "claims")
    cert = _array(claims[CLAIM_CERTIFICATE], "certificate", 6, 8)
    scheme = _code(cert[0], _SCHEMES, "scheme")
    number = read_number(cert[1])
    holder = _array(cert[2], "holder", 2, 2)
    name_en, credit_code = _text(holder[0], "holder name", 200), _text(holder[1], "credit code", 18)
    if credit_code_problem(credit_code):
        raise ClaimsError("credit code fails its check")
    products = tuple(_product(p) for p in _array(cert[3], "products", 1, 10))
    standards = _texts(_array(cert[4], "standards", 1, 10), "standard", 60)
    markets = read_markets(cert[5])
    # After the markets: the exemption exactly when the scheme is ccc-exemption, then perhaps the status index.
    fields = 7 if scheme is Scheme.CCC_EXEMPTION else 6
    if len(cert) < fields:
        raise ClaimsError("an exemption is sealed exactly when the scheme is ccc-exemption")
    exemption = _exemption(cert[6]) if fields == 7 else None
    status_index = _int(cert[fields], "status index", 0, MAX_STATUS_INDEX) if len(cert) > fields else None
    if len(cert) > fields + 1:
        raise ClaimsError("the certificate has items after its status index")
    return SealedCertificate(
        scheme, number, name_en, credit_code, products, standards, valid_from, valid_until, markets,
        datetime.fromtimestamp(iat, UTC), exemption, status_index,
    )  # fmt: skip


def read_claims(data: bytes, keys: list[int], where: str) -> tuple[dict[int, Any], date, date, int]:
    """A claims map of exactly ``keys`` (in order) and its times: (claims, valid_from, valid_until, iat).

    CLAIM-1 to CLAIM-3, shared by a certificate's claims and a recognition's (REC-4).
    """
    try:
        # The strict reader accepts only deterministic encoding (shortest heads, definite lengths,
        # ordered keys, nothing trailing) and no tags: the general decoder never sees these bytes.
        claims: Any = cborread.loads(data)
    except cborread.CborError as exc:
        raise ClaimsError(f"not CBOR of the allowed shape: {exc}") from None
    _keys(claims, keys, where)
    exp = _int(claims[CLAIM_EXP], "exp", 0, _LAST_SECOND)
    nbf = _int(claims[CLAIM_NBF], "nbf", 0, _LAST_SECOND)
    iat = _int(claims[CLAIM_IAT], "iat", 0, _LAST_SECOND)
    valid_from, valid_until = _day(nbf, "nbf"), _day(exp - DAY, "exp")
    if valid_until < valid_from:
        raise ClaimsError("exp is not after nbf")
    return claims, valid_from, valid_until, iat


def read_number(value: object) -> str:
    """A certificate number (CLAIM-5)."""
    number = _text(value, "number", 40)
    if not _NUMBER.fullmatch(number):
        raise ClaimsError("number has characters outside A-Z 0-9 . / -")
    return number


def read_markets(value: object) -> tuple[str, ...]:
    """Markets: distinct ISO 3166-1 alpha-2 codes run together (CLAIM-12)."""
    markets_text = _text(value, "markets", 120)
    markets = tuple(_TWO_LETTERS.findall(markets_text))
    distinct = set(markets)
    if 2 * len(markets) != len(markets_text) or not distinct <= COUNTRIES or len(distinct) != len(markets):
        raise ClaimsError("markets are not distinct ISO 3166-1 alpha-2 codes")
    return markets


def read_texts(value: object, where: str, high: int, max_length: int) -> tuple[str, ...]:
    """An array of 1..``high`` one-line texts of 1..``max_length`` characters (CLAIM-6, CLAIM-11)."""
    return _texts(_array(value, where, 1, high), where, max_length)


def read_int(value: object, where: str, low: int, high: int) -> int:
    """An integer from ``low`` to ``high``."""
    return _int(value, where, low, high)


def _product(value: object) -> SealedProduct:
    name_en, models, hs = _array(value, "product", 3, 3)
    model_list = tuple(_array(models, "models", 1, 30))
    try:
        joined = "\n".join(model_list)
    except TypeError:
        raise ClaimsError("a model is not text") from None
    if joined.count("\n") != len(model_list) - 1 or not _MODELS.fullmatch(joined):  # a line feed is no separator
        raise ClaimsError("a model has characters outside the model alphabet")
    hs_code = hs_code_from_int(_int(hs, "hs code", 0, 10**10))
    if hs_code is None:
        raise ClaimsError("not an HS code")
    return SealedProduct(_text(name_en, "product name", 200), model_list, hs_code)


def _exemption(value: object) -> SealedExemption:
    purpose, quantity, unit, amount, currency, port = _array(value, "exemption", 6, 6)
    sealed = SealedExemption(
        _code(purpose, _PURPOSES, "purpose"),
        _int(quantity, "quantity", 1, 1_000_000_000),
        _code(unit, _UNITS, "unit"),
        _text(amount, "amount", 15),
        _text(currency, "currency", 3),
        _text(port, "port", 5),
    )
    if (
        not _AMOUNT.fullmatch(sealed.amount)
        or sealed.currency not in CURRENCIES
        or locode_problem(sealed.port_of_entry)
    ):
        raise ClaimsError("exemption amount, currency or port is malformed")
    return sealed


def _keys(value: object, keys: list[int], where: str) -> None:
    """A map with exactly these keys, in this (the deterministic) order."""
    if type(value) is not dict:
        raise ClaimsError(f"{where} is not a map")
    if list(value) != keys:
        raise ClaimsError(f"{where} has unexpected, missing or unordered keys")


def _texts(values: list[Any], where: str, max_length: int) -> tuple[str, ...]:
    """A list of one-line texts, checked with a few C-level passes instead of one call each."""
    try:
        joined = "\n".join(values)
    except TypeError:
        raise ClaimsError(f"a {where} is not text") from None
    if (
        joined.count("\n") != len(values) - 1  # a value's own line feed
        or _CONTROL.search(joined.replace("\n", " "))
        or not 0 < min(map(len, values)) <= max(map(len, values)) <= max_length
    ):
        raise ClaimsError(f"a {where} is not one line of 1..{max_length} characters")
    return tuple(values)


def _int(value: object, where: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise ClaimsError(f"{where} is not an integer in range")
    return value


def _text(value: object, where: str, max_length: int) -> str:
    if type(value) is not str or not 1 <= len(value) <= max_length or _CONTROL.search(value):
        raise ClaimsError(f"{where} is not one line of 1..{max_length} characters")
    return value


def _array(value: object, where: str, low: int, high: int) -> list[Any]:
    if type(value) is not list or not low <= len(value) <= high:
        raise ClaimsError(f"{where} is not an array of {low}..{high} items")
    return value


def _code(value: object, table: dict[int, Any], where: str) -> Any:
    if type(value) is not int or value not in table:
        raise ClaimsError(f"unknown {where} code")
    return table[value]


def _day(moment: int, where: str) -> date:
    days, seconds = divmod(moment + _TZ_OFFSET, DAY)
    if seconds:
        raise ClaimsError(f"{where} is not the start of a day in China Standard Time")
    day = date.fromordinal(_EPOCH_ORDINAL + days)
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ClaimsError(f"{where} is outside the supported dates")
    return day
