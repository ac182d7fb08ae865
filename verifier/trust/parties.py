"""The scheme's parties: bodies that issue certificates, and bodies that recognise them within a remit.

A party may hold either role or both (the trust list's ``roles``); its keys sign for every role it holds.
A recognising body (a partner certification body of the alliance, SGS among them) signs its own
recognitions of certificates with its own Ed25519 keys, which rotate and are withdrawn as issuers' keys
are. Its remit bounds what it may recognise: the markets (ISO 3166-1 alpha-2) it speaks for and the
schemes whose certificates it may recognise. A body may issue certificates too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from verifier.trust.keys import KeyRecord
from verifier.verdict import IssuerInfo

ISSUE, RECOGNISE = "issue", "recognise"
ROLES = (ISSUE, RECOGNISE)  # a party's roles, in the order the trust list writes them
COUNTRY = re.compile(r"[A-Z]{2}")  # ISO 3166-1 alpha-2 (which codes are assigned is checked where they are set)
SCHEME_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
MAX_MARKETS = 249  # every officially assigned code
MAX_SCHEMES = 20


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
    country: str = "CN"


@dataclass(frozen=True)
class Recogniser:
    """A body that may recognise certificates: who it is, its keys, and its remit."""

    id: str
    name: str  # in Chinese, as the pages show it beside the English
    name_en: str
    country: str  # ISO 3166-1 alpha-2: where the body is (shown beside its name: "SGS (CH)")
    keys: tuple[KeyRecord, ...]
    markets: frozenset[str]  # the markets it may recognise for
    schemes: frozenset[str]  # the schemes (their codes, as verifier.certificate.model.Scheme values)

    @property
    def shown(self) -> str:
        """How pages and verdicts name it: "SGS (CH)"."""
        return f"{self.name_en} ({self.country})"

    def key(self, kid: bytes) -> KeyRecord | None:
        """The body's key with this kid, or None."""
        return next((k for k in self.keys if k.kid == kid), None)


def recogniser_of(recognisers: Iterable[Recogniser], kid: bytes) -> tuple[Recogniser, KeyRecord] | None:
    """The body holding the key ``kid``, with the key; None when no body holds it."""
    for body in recognisers:
        key = body.key(kid)
        if key is not None:
            return body, key
    return None
