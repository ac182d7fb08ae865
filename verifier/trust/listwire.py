"""What a trust list document may hold (spec section 9): its members, their forms and sizes, strictly.

:func:`parse_document` takes a parsed document of format 2 (``issuers``), 3 (``parties``, with roles and
remits) or 4 (format 3 and the transparency log's key and witness policy, ``log``), and gives its parties;
:mod:`.trustlist` checks the signature first and makes the :class:`~verifier.trust.trustlist.TrustList`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from verifier.errors import KeyStoreError, TrustListError
from verifier.origins import check_public_url
from verifier.times import parse_time
from verifier.tlog.note import NoteKey, NoteRefused, parse_vkey
from verifier.tlog.proof import LogPolicy
from verifier.trust.keys import KeyRecord, from_b64url, kid_for, public_from_raw
from verifier.trust.parties import (
    COUNTRY,
    ISSUE,
    MAX_MARKETS,
    MAX_SCHEMES,
    RECOGNISE,
    ROLES,
    SCHEME_ID,
    Recogniser,
    TrustedIssuer,
)
from verifier.verdict import IssuerInfo


@dataclass(frozen=True)
class Content:
    """A trust list's signed content as read: its head, and its parties by role."""

    version: int
    issued_at: datetime
    expires_at: datetime
    public_urls: tuple[str, ...]
    issuers: tuple[TrustedIssuer, ...]
    recognisers: tuple[Recogniser, ...]
    log: LogPolicy | None = None


@dataclass(frozen=True)
class Parsed:
    """A document of the right shape, its signature not yet checked.

    Its signature's kid and value (as written), and :meth:`content`, which reads the parties (call it
    once the signature verifies).
    """

    signature_kid: str
    signature_value: str
    _content: _Content | _Content3 | _Content4

    def content(self) -> Content:
        """The content: raises :class:`TrustListError` for what the shape alone does not catch."""
        return self._content.content()


def parse_document(raw: Any, format: object) -> Parsed:
    """A parsed document of this ``format`` (2, 3 or 4, read from it by the caller); raises :class:`TrustListError`."""
    shape: type[_Document | _Document3 | _Document4] = (
        _Document if format == 2 else _Document3 if format == 3 else _Document4
    )
    try:
        document = shape.model_validate(raw)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise TrustListError(f"not a trust list: {where}: {exc.errors()[0]['msg']}") from None
    return Parsed(document.signature.kid, document.signature.value, document.trust_list)


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


_I = TypeVar("_I", bound=_Issuer)


class _Remit(_Wire):
    markets: list[str] = Field(min_length=1, max_length=MAX_MARKETS)
    schemes: list[str] = Field(min_length=1, max_length=MAX_SCHEMES)


class _Party(_Issuer):
    country: str = Field(pattern=f"^{COUNTRY.pattern}$")
    roles: list[str] = Field(min_length=1, max_length=len(ROLES))
    remit: _Remit | None

    def check(self) -> None:
        """TRUST-9: roles known, distinct and in order; a remit exactly when the party recognises."""
        if self.roles != [role for role in ROLES if role in self.roles]:  # unknown, twice, or out of order
            raise TrustListError(f"not a trust list: party {self.id}: roles must be {' and/or '.join(ROLES)}, in order")
        if (self.remit is not None) != (RECOGNISE in self.roles):
            raise TrustListError(f"not a trust list: party {self.id}: a remit goes with the role recognise, and only")
        if self.remit is not None:
            for name, codes, form in (
                ("markets", self.remit.markets, COUNTRY),
                ("schemes", self.remit.schemes, SCHEME_ID),
            ):
                if len(set(codes)) != len(codes) or not all(form.fullmatch(c) for c in codes):
                    raise TrustListError(f"not a trust list: party {self.id}: remit {name} must be distinct codes")


class _Head(_Wire):
    format: int
    version: int = Field(ge=0)
    issued_at: str
    expires_at: str
    public_urls: list[str] = Field(min_length=1, max_length=20)

    def _with(self, issuers: list[TrustedIssuer], recognisers: list[Recogniser]) -> Content:
        """The content: this head with the parties its format read."""
        try:
            origins = tuple(_exact_origin(u) for u in self.public_urls)
            issued_at, expires_at = _moment(self.issued_at), _moment(self.expires_at)
            return Content(self.version, issued_at, expires_at, origins, tuple(issuers), tuple(recognisers))
        except ValueError as exc:
            raise TrustListError(f"not a trust list: {exc}") from None


class _Content(_Head):
    issuers: list[_Issuer] = Field(max_length=10_000)

    def content(self) -> Content:
        """Format 2: every listed party is an issuer."""
        once = _once(self.issuers)
        return self._with(
            [TrustedIssuer(IssuerInfo(i.id, i.name, i.name_en), tuple(k.to_record() for k in i.keys)) for i in once],
            [],
        )


class _Content3(_Head):
    parties: list[_Party] = Field(max_length=10_000)

    def content(self) -> Content:
        """Format 3: each party under each of its roles."""
        issuers: list[TrustedIssuer] = []
        recognisers: list[Recogniser] = []
        for party in _once(self.parties):
            party.check()
            keys = tuple(k.to_record() for k in party.keys)
            if ISSUE in party.roles:
                issuers.append(TrustedIssuer(IssuerInfo(party.id, party.name, party.name_en), keys, party.country))
            if party.remit is not None:
                markets, schemes = frozenset(party.remit.markets), frozenset(party.remit.schemes)
                recognisers.append(
                    Recogniser(party.id, party.name, party.name_en, party.country, keys, markets, schemes)
                )
        return self._with(issuers, recognisers)


class _Log(_Wire):
    origin: str = Field(min_length=1, max_length=255)
    key: str = Field(max_length=512)
    witnesses: list[str] = Field(max_length=100)
    quorum: int = Field(ge=0, le=100)

    def policy(self) -> LogPolicy:
        """TRUST-10: the log's key named by its origin, witnesses' keys distinct by name, a quorum they can meet."""
        try:
            key, witnesses = _vkey(self.key), tuple(_vkey(w) for w in self.witnesses)
            if key.name != self.origin:
                raise NoteRefused(f"the log's key is named {key.name[:80]!r}, not its origin")
            if len({w.name for w in witnesses}) != len(witnesses):
                raise NoteRefused("a witness is listed twice")
            return LogPolicy(self.origin, key, witnesses, self.quorum)
        except NoteRefused as exc:
            raise TrustListError(f"not a trust list: log: {exc}") from None


def _vkey(text: str) -> NoteKey:
    key = parse_vkey(text)
    if key.vkey() != text:  # exactly as written: no white space around, the id in lower case
        raise NoteRefused("a verifier key is written <name>+<id>+<base64 key>, nothing around it")
    return key


class _Content4(_Content3):
    log: _Log | None

    def content(self) -> Content:
        """Format 4: format 3's parties, and the log verifiers check proofs of inclusion against (None: no log)."""
        return replace(super().content(), log=None if self.log is None else self.log.policy())


def _once(parties: list[_I]) -> list[_I]:
    seen: set[str] = set()
    for party in parties:
        if party.id in seen:
            raise TrustListError(f"not a trust list: party {party.id} is listed twice")
        seen.add(party.id)
    return parties


class _Signature(_Wire):
    alg: str = Field(pattern=r"^EdDSA$")
    kid: str = Field(pattern=r"^[0-9a-f]{16}$")
    value: str


class _Document(_Wire):
    trust_list: _Content
    signature: _Signature


class _Document3(_Wire):
    trust_list: _Content3
    signature: _Signature


class _Document4(_Wire):
    trust_list: _Content4
    signature: _Signature


def _exact_origin(url: str) -> str:
    """A listed public URL, which must be written exactly as its origin (TRUST-5): lower case, no default port."""
    origin = check_public_url(url)
    if origin != url:
        raise ValueError(f"public URL {url[:100]!r} is not written as its origin {origin!r}")
    return origin


def _moment(text: str) -> datetime:
    return parse_time(text, repr(text)[:40])
