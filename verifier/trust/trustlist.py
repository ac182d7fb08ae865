"""The trust list: the scheme's parties (issuers, recognising bodies), keys and key windows, signed by the operator.

The document is JSON (format 4, since spec 1.4)::

    {"trust_list": {"format": 4, "version": ..., "issued_at": ..., "expires_at": ..., "public_urls": [...],
                    "parties": [{"id", "name", "name_en", "country", "roles": ["issue", "recognise"],
                                 "remit": {"markets": [...], "schemes": [...]} or null,
                                 "keys": [{"kid", "alg": "EdDSA", "crv": "Ed25519", "x",
                                           "not_before", "not_after"}]}],
                    "log": {"origin", "key": <vkey>, "witnesses": [<vkey>, ...], "quorum": k} or null},
     "signature": {"alg": "EdDSA", "kid": <operator kid>, "value": <base64url Ed25519 signature>}}

A party's ``roles`` say what its keys may sign: certificates (``issue``), recognitions of certificates
(``recognise``, within its ``remit``: the markets it may recognise for and the schemes whose
certificates it may recognise). Format 2 had ``issuers`` (``id``, ``name``, ``name_en``, ``keys``) in
place of ``parties``, every one an issuer; format 3 is format 4 without ``log``. This module reads all
three, and the service still publishes them at ``?format=2`` and ``?format=3`` for verifiers of those
formats, which refuse a newer format by its number. ``log`` names the transparency log every issuance
is entered in (docs/spec/log.md): its origin, its key and the witnesses, ``quorum`` of which must cosign
a checkpoint for a proof against it to count as witnessed.

The signature covers the canonical JSON of ``trust_list`` (keys sorted, no white space, UTF-8; for these
contents the same bytes as RFC 8785). A verifier pins the operator's public key out of band and reads a
trust list only through :meth:`TrustList.from_document`, which checks that signature first.
``public_urls`` are the services whose certificate links the verifier accepts.

``version`` only goes up: every change to the parties, their keys or remits raises it, and lists issued
between changes share it. ``expires_at`` is when the operator stops vouching for the list. A verifier
refuses a list past its ``expires_at``, one older than its own age limit, and one of a lower version
than a list it has seen (a replay of an old list that still carries a withdrawn key): see
:func:`check_current`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verifier.errors import TrustListError
from verifier.jsonstrict import StrictJsonError, strict_loads
from verifier.origins import check_public_url
from verifier.tlog.proof import LogPolicy
from verifier.trust.keys import (
    KeyRecord,
    Keyring,
    SigningKey,
    b64url,
    from_b64url,
    kid_for,
    public_raw,
)
from verifier.trust.listwire import parse_document
from verifier.trust.parties import ISSUE, RECOGNISE, Recogniser, TrustedIssuer, TrustedKey
from verifier.verdict import IssuerInfo

FORMAT = 4
READS = (2, 3, 4)  # the formats this module reads
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
DEFAULT_VALIDITY = timedelta(days=30)
DEFAULT_MAX_AGE = timedelta(days=7)


@dataclass(frozen=True)
class TrustList:
    """The parties and keys a verifier accepts, as of ``issued_at`` until ``expires_at``.

    ``issuers`` are the parties that issue certificates (look their keys up with :meth:`key`),
    ``recognisers`` those that recognise them (:attr:`recognisers`, as the recognition check takes them);
    a party with both roles is in both, with the same keys. ``log`` is the transparency log's policy
    (format 4), None when the list names no log (or was of an older format).
    """

    issued_at: datetime
    public_urls: tuple[str, ...]
    issuers: tuple[TrustedIssuer, ...]
    version: int = 0
    expires_at: datetime | None = None
    recognisers: tuple[Recogniser, ...] = ()
    log: LogPolicy | None = None
    origins: frozenset[str] = field(init=False)
    _by_kid: dict[bytes, TrustedKey] = field(init=False, repr=False, compare=False)
    _any_party: dict[bytes, TrustedKey] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_kid: dict[bytes, TrustedKey] = {}
        for issuer in self.issuers:
            for record in issuer.keys:
                if record.kid in by_kid:
                    raise TrustListError(f"key {record.kid_hex} appears twice")
                by_kid[record.kid] = TrustedKey(issuer.info, record)
        issuing = {i.info.id: i for i in self.issuers}
        recognising: dict[bytes, str] = {}
        for body in self.recognisers:
            both = issuing.get(body.id)
            if both is not None and (both.keys != body.keys or both.info.name_en != body.name_en):
                raise TrustListError(f"party {body.id} is listed with two sets of keys")
            if len({k.kid for k in body.keys}) != len(body.keys):
                raise TrustListError(f"a key of {body.id} appears twice")
            for record in body.keys:
                owner = recognising.setdefault(record.kid, body.id)
                held = by_kid.get(record.kid)
                if owner != body.id or (held is not None and held.issuer.id != body.id):
                    raise TrustListError(f"key {record.kid_hex} appears twice")
        any_party = dict(by_kid)
        for body in self.recognisers:
            for record in body.keys:
                any_party.setdefault(record.kid, TrustedKey(IssuerInfo(body.id, body.name, body.name_en), record))
        object.__setattr__(self, "_by_kid", by_kid)
        object.__setattr__(self, "_any_party", any_party)
        object.__setattr__(self, "origins", frozenset(check_public_url(u) for u in self.public_urls))

    def key(self, kid: bytes) -> TrustedKey | None:
        """The key of an issuing party with this id, or None (a key only a recogniser holds seals no certificate)."""
        return self._by_kid.get(kid)

    def party_key(self, kid: bytes) -> TrustedKey | None:
        """The key of any party (issuing or recognising) with this id, or None: what may sign its status lists."""
        return self._any_party.get(kid)

    def recogniser(self, party_id: str) -> Recogniser | None:
        """The recognising party with this id, or None."""
        return next((r for r in self.recognisers if r.id == party_id), None)

    def age_seconds(self, at: datetime) -> int:
        """Whole seconds between the list's issue and ``at``."""
        return int((at - self.issued_at).total_seconds())

    def content_json(self, format: int = FORMAT) -> dict[str, Any]:
        """The signed part of the document, in ``format`` (2: the issuers only; 3: no log; for verifiers of those)."""
        head = {
            "format": format,
            "version": self.version,
            "issued_at": _iso(self.issued_at),
            "expires_at": _iso(self.expires_at or self.issued_at + DEFAULT_VALIDITY),
            "public_urls": list(self.public_urls),
        }
        if format == 2:
            return head | {"issuers": [_party_json(i.info, "", (), None, i.keys, format) for i in self.issuers]}
        if format not in READS:
            raise ValueError(f"no trust list format {format}")
        issuing = {i.info.id: i for i in self.issuers}
        recognising = {r.id: r for r in self.recognisers}
        parties = []
        for party_id in sorted(issuing.keys() | recognising.keys()):
            issuer, body = issuing.get(party_id), recognising.get(party_id)
            roles = tuple(role for role, held in ((ISSUE, issuer), (RECOGNISE, body)) if held is not None)
            if body is not None:
                info, country, keys = IssuerInfo(body.id, body.name, body.name_en), body.country, body.keys
            else:
                assert issuer is not None
                info, country, keys = issuer.info, issuer.country, issuer.keys
            parties.append(_party_json(info, country, roles, body, keys, format))
        if format == 3:
            return head | {"parties": parties}
        return head | {"parties": parties, "log": None if self.log is None else _log_json(self.log)}

    def digest(self) -> bytes:
        """The SHA-256 of what the list vouches for: its signed content but the times, canonical (the log's entry)."""
        content = {k: v for k, v in self.content_json().items() if k not in ("issued_at", "expires_at")}
        return hashlib.sha256(canonical_json(content)).digest()

    def to_document(self, operator: SigningKey, format: int = FORMAT) -> bytes:
        """The signed JSON document, signed with the operator's key, in ``format`` (see :meth:`content_json`)."""
        content = self.content_json(format)
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
            if isinstance(raw, dict) and isinstance(raw.get("trust_list"), dict) and declared not in READS:
                raise TrustListError(
                    f"unsupported trust list format {declared!r}: this verifier reads formats 2 to {FORMAT}"
                )
            document = parse_document(raw, declared)
        except TrustListError:
            raise
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError too
            why = str(exc) if isinstance(exc, StrictJsonError) else "not JSON, or nested too deeply"
            raise TrustListError(f"not a trust list: {why}") from None
        pinned = {kid_for(k): k for k in operator_keys}
        try:
            operator = pinned[bytes.fromhex(document.signature_kid)]
            operator.verify(from_b64url(document.signature_value), canonical_json(raw["trust_list"]))
        except (KeyError, ValueError):
            raise TrustListError("trust list is signed by a key that is not a pinned operator key") from None
        except InvalidSignature:
            raise TrustListError("trust list signature does not verify") from None
        read = document.content()
        return TrustList(
            read.issued_at, read.public_urls, read.issuers, read.version, read.expires_at, read.recognisers, read.log
        )


def _log_json(policy: LogPolicy) -> dict[str, Any]:
    return {"origin": policy.origin, "key": policy.key.vkey(), "witnesses": [w.vkey() for w in policy.witnesses],
            "quorum": policy.quorum}  # fmt: skip


def _party_json(
    info: IssuerInfo,
    country: str,
    roles: tuple[str, ...],
    body: Recogniser | None,
    keys: Sequence[KeyRecord],
    format: int,
) -> dict[str, Any]:
    listed = [
        {
            "kid": k.kid_hex,
            "alg": "EdDSA",
            "crv": "Ed25519",
            "x": b64url(public_raw(k.public_key)),
            "not_before": _iso(k.not_before),
            "not_after": _iso(k.not_after) if k.not_after else None,
        }
        for k in keys
    ]
    if format == 2:
        return {"id": info.id, "name": info.name, "name_en": info.name_en, "keys": listed}
    remit = {"markets": sorted(body.markets), "schemes": sorted(body.schemes)} if body is not None else None
    return {"id": info.id, "name": info.name, "name_en": info.name_en, "country": country, "roles": list(roles),
            "remit": remit, "keys": listed}  # fmt: skip


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
