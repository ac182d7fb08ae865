"""The trust list: which issuers, keys and key windows a verifier accepts, signed by the operator key.

The document is JSON::

    {"trust_list": {"format": 2, "version": ..., "issued_at": ..., "expires_at": ..., "public_urls": [...],
                    "issuers": [{"id", "name", "name_en",
                                 "keys": [{"kid", "alg": "EdDSA", "crv": "Ed25519", "x",
                                           "not_before", "not_after"}]}]},
     "signature": {"alg": "EdDSA", "kid": <operator kid>, "value": <base64url Ed25519 signature>}}

The signature covers the canonical JSON of ``trust_list`` (keys sorted, no white space, UTF-8; for these
contents the same bytes as RFC 8785). A verifier pins the operator's public key out of band and reads a
trust list only through :meth:`TrustList.from_document`, which checks that signature first.
``public_urls`` are the services whose certificate links the verifier accepts.

``version`` only goes up: every change to the issuers or their keys raises it, and lists issued
between changes share it. ``expires_at`` is when the operator stops vouching for the list. A verifier
refuses a list past its ``expires_at``, one older than its own age limit, and one of a lower version
than a list it has seen (a replay of an old list that still carries a withdrawn key): see
:func:`check_current`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from verifier.errors import KeyStoreError, TrustListError
from verifier.jsonstrict import StrictJsonError, strict_loads
from verifier.origins import check_public_url
from verifier.times import parse_time
from verifier.trust.keys import (
    KeyRecord,
    Keyring,
    SigningKey,
    b64url,
    from_b64url,
    kid_for,
    public_from_raw,
    public_raw,
)
from verifier.verdict import IssuerInfo

FORMAT = 2
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
DEFAULT_VALIDITY = timedelta(days=30)
DEFAULT_MAX_AGE = timedelta(days=7)


@dataclass(frozen=True)
class TrustedKey:
    """A key the trust list vouches for, with its owner."""

    issuer: IssuerInfo
    record: KeyRecord


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer and all its keys (the active one and the retired, verify-only ones)."""

    info: IssuerInfo
    keys: tuple[KeyRecord, ...]


@dataclass(frozen=True)
class TrustList:
    """Issuers and keys a verifier accepts, as of ``issued_at`` until ``expires_at``; look keys up with :meth:`key`."""

    issued_at: datetime
    public_urls: tuple[str, ...]
    issuers: tuple[TrustedIssuer, ...]
    version: int = 0
    expires_at: datetime | None = None
    origins: frozenset[str] = field(init=False)
    _by_kid: dict[bytes, TrustedKey] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_kid: dict[bytes, TrustedKey] = {}
        for issuer in self.issuers:
            for record in issuer.keys:
                if record.kid in by_kid:
                    raise TrustListError(f"key {record.kid_hex} appears twice")
                by_kid[record.kid] = TrustedKey(issuer.info, record)
        object.__setattr__(self, "_by_kid", by_kid)
        object.__setattr__(self, "origins", frozenset(check_public_url(u) for u in self.public_urls))

    def key(self, kid: bytes) -> TrustedKey | None:
        """The trusted key with this id, or None."""
        return self._by_kid.get(kid)

    def age_seconds(self, at: datetime) -> int:
        """Whole seconds between the list's issue and ``at``."""
        return int((at - self.issued_at).total_seconds())

    def content_json(self) -> dict[str, Any]:
        """The signed part of the document."""
        return {
            "format": FORMAT,
            "version": self.version,
            "issued_at": _iso(self.issued_at),
            "expires_at": _iso(self.expires_at or self.issued_at + DEFAULT_VALIDITY),
            "public_urls": list(self.public_urls),
            "issuers": [
                {
                    "id": i.info.id,
                    "name": i.info.name,
                    "name_en": i.info.name_en,
                    "keys": [
                        {
                            "kid": k.kid_hex,
                            "alg": "EdDSA",
                            "crv": "Ed25519",
                            "x": b64url(public_raw(k.public_key)),
                            "not_before": _iso(k.not_before),
                            "not_after": _iso(k.not_after) if k.not_after else None,
                        }
                        for k in i.keys
                    ],
                }
                for i in self.issuers
            ],
        }

    def to_document(self, operator: SigningKey) -> bytes:
        """The signed JSON document, signed with the operator's key."""
        content = self.content_json()
        signature = operator.private_key.sign(canonical_json(content))
        document = {
            "trust_list": content,
            "signature": {"alg": "EdDSA", "kid": operator.kid.hex(), "value": b64url(signature)},
        }
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    @classmethod
    def from_document(cls, data: bytes, operator_keys: Iterable[Ed25519PublicKey]) -> TrustList:
        """Read a signed trust list, checking its signature against the pinned ``operator_keys``.

        Raises :class:`TrustListError` when the document is too large, not of this shape, or not signed
        by one of ``operator_keys``.
        """
        if len(data) > MAX_DOCUMENT_BYTES:
            raise TrustListError(f"trust list larger than {MAX_DOCUMENT_BYTES} bytes")
        try:
            raw = strict_loads(data)
            declared = raw.get("trust_list", {}).get("format") if isinstance(raw, dict) else None
            if isinstance(raw, dict) and isinstance(raw.get("trust_list"), dict) and declared != FORMAT:
                raise TrustListError(f"unsupported trust list format {declared!r}: this verifier reads format {FORMAT}")
            document = _Document.model_validate(raw)
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.errors()[0]["loc"])
            raise TrustListError(f"not a trust list: {where}: {exc.errors()[0]['msg']}") from None
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError too
            why = str(exc) if isinstance(exc, StrictJsonError) else "not JSON, or nested too deeply"
            raise TrustListError(f"not a trust list: {why}") from None
        pinned = {kid_for(k): k for k in operator_keys}
        try:
            operator = pinned[bytes.fromhex(document.signature.kid)]
            operator.verify(from_b64url(document.signature.value), canonical_json(raw["trust_list"]))
        except (KeyError, ValueError):
            raise TrustListError("trust list is signed by a key that is not a pinned operator key") from None
        except InvalidSignature:
            raise TrustListError("trust list signature does not verify") from None
        return document.trust_list.to_trust_list()


def build_trust_list(
    issuers: Sequence[tuple[IssuerInfo, Keyring]],
    public_urls: Sequence[str],
    issued_at: datetime,
    version: int | None = None,
    validity: timedelta = DEFAULT_VALIDITY,
) -> TrustList:
    """A trust list of these issuers' keyrings (every key, active and retired) for these services.

    ``version`` defaults to the number of keys, which each rotation raises; ``validity`` sets ``expires_at``.
    """
    issued_at = issued_at.astimezone(UTC).replace(microsecond=0)
    return TrustList(
        issued_at=issued_at,
        public_urls=tuple(check_public_url(u) for u in public_urls),
        issuers=tuple(TrustedIssuer(info, ring.keys) for info, ring in issuers),
        version=sum(len(ring.keys) for _, ring in issuers) if version is None else version,
        expires_at=issued_at + validity,
    )


class TrustListStale(TrustListError):
    """A genuine trust list that must not be used now: expired, too old, from the future, or replayed."""


def check_current(
    trust_list: TrustList, at: datetime, max_age: timedelta = DEFAULT_MAX_AGE, highest_seen: int | None = None
) -> None:
    """Raise :class:`TrustListStale` unless ``trust_list`` may be used at ``at``.

    It may not when ``at`` is past its ``expires_at``, when it is older than ``max_age``, or when its
    version is below ``highest_seen``, the highest version this verifier accepted before. A list
    issued after ``at`` is fine: checking how things stood at a past moment with today's list is.
    """
    age = at - trust_list.issued_at
    if trust_list.expires_at is not None and at >= trust_list.expires_at:
        raise TrustListStale(f"the trust list expired at {_iso(trust_list.expires_at)}: download it again")
    if age > max_age:
        raise TrustListStale(
            f"the trust list is {_age_words(age)} old, more than the {_age_words(max_age)} allowed: download it again"
        )
    if highest_seen is not None and trust_list.version < highest_seen:
        raise TrustListStale(
            f"the trust list is version {trust_list.version}, older than version {highest_seen} seen before "
            "(an old list replayed?): download it again"
        )


def _age_words(age: timedelta) -> str:
    days, seconds = age.days, age.seconds
    if days >= 2:
        return f"{days} days"
    hours = days * 24 + seconds // 3600
    return f"{hours} hours" if hours >= 2 else f"{max(0, int(age.total_seconds()) // 60)} minutes"


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no white space, UTF-8: the bytes a trust list signature covers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Key(_Wire):
    kid: str = Field(pattern=r"^[0-9a-f]{16}$")
    alg: str = Field(pattern=r"^EdDSA$")
    crv: str = Field(pattern=r"^Ed25519$")
    x: str = Field(pattern=r"^[A-Za-z0-9_-]{43}$")
    not_before: str
    not_after: str | None

    def to_record(self) -> KeyRecord:
        try:
            public = public_from_raw(from_b64url(self.x))
            record = KeyRecord(
                bytes.fromhex(self.kid),
                public,
                _moment(self.not_before),
                _moment(self.not_after) if self.not_after else None,
            )
        except (KeyStoreError, ValueError) as exc:
            raise TrustListError(f"key {self.kid}: {exc}") from None
        if kid_for(public) != record.kid:
            raise TrustListError(f"key {self.kid}: kid does not match the public key")
        return record


class _Issuer(_Wire):
    id: str = Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    keys: list[_Key] = Field(max_length=100)


class _Content(_Wire):
    format: int
    version: int = Field(ge=0)
    issued_at: str
    expires_at: str
    public_urls: list[str] = Field(min_length=1, max_length=20)
    issuers: list[_Issuer] = Field(max_length=10_000)

    def to_trust_list(self) -> TrustList:
        seen: set[str] = set()
        for issuer in self.issuers:
            if issuer.id in seen:
                raise TrustListError(f"not a trust list: issuer {issuer.id} is listed twice")
            seen.add(issuer.id)
        try:  # the format was checked first, in from_document
            return TrustList(
                issued_at=_moment(self.issued_at),
                public_urls=tuple(_exact_origin(u) for u in self.public_urls),
                issuers=tuple(
                    TrustedIssuer(IssuerInfo(i.id, i.name, i.name_en), tuple(k.to_record() for k in i.keys))
                    for i in self.issuers
                ),
                version=self.version,
                expires_at=_moment(self.expires_at),
            )
        except ValueError as exc:
            raise TrustListError(f"not a trust list: {exc}") from None


class _Signature(_Wire):
    alg: str = Field(pattern=r"^EdDSA$")
    kid: str = Field(pattern=r"^[0-9a-f]{16}$")
    value: str


class _Document(_Wire):
    trust_list: _Content
    signature: _Signature


def _exact_origin(url: str) -> str:
    """A listed public URL, which must be written exactly as its origin (TRUST-5): lower case, no default port."""
    origin = check_public_url(url)
    if origin != url:
        raise ValueError(f"public URL {url[:100]!r} is not written as its origin {origin!r}")
    return origin


def _moment(text: str) -> datetime:
    return parse_time(text, repr(text)[:40])
