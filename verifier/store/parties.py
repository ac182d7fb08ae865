"""The parties of the scheme as registered: where each is, what it does (issue, recognise) and its remit.

Every issuer row is a party (:mod:`.issuers` keeps its names, letterhead and keys); this module reads and
changes what the trust list says of it beyond those: its country, its roles and, for a body that
recognises certificates, the markets it may recognise for and the schemes whose certificates it may
recognise. Each change raises the party's ``revision``, which the trust list's version counts, so a
list written before a remit was narrowed cannot be replayed over one written after.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from verifier.certificate.codes import COUNTRIES, SCHEME_IDS
from verifier.errors import VerifierError
from verifier.store.audit import audited
from verifier.store.records import ISSUE, RECOGNISE, Principal, issuer_row
from verifier.store.tables import issuers

ROLES = (ISSUE, RECOGNISE)
SCHEMES = SCHEME_IDS


class TermsRefused(VerifierError):
    """A party's country, roles or remit that cannot be registered (the message says which and why)."""

    code = "invalid_terms"


@dataclass(frozen=True)
class PartyTerms:
    """What a party is registered as: its country, its roles and (recognising) its remit."""

    country: str = "CN"
    roles: tuple[str, ...] = (ISSUE,)
    markets: tuple[str, ...] = ()  # ISO 3166-1 alpha-2, sorted
    schemes: tuple[str, ...] = ()  # scheme ids, sorted

    @property
    def recognises(self) -> bool:
        """Whether the party may recognise certificates."""
        return RECOGNISE in self.roles

    def checked(self) -> PartyTerms:
        """These terms in their stored order, or :class:`TermsRefused` saying what is wrong with them."""
        if self.country not in COUNTRIES:
            raise TermsRefused(f"country {self.country[:10]!r} is not an ISO 3166-1 alpha-2 code")
        unknown = [r for r in self.roles if r not in ROLES]
        if unknown or not self.roles:
            raise TermsRefused(f"roles must be one or both of {', '.join(ROLES)}")
        markets, schemes = sorted(set(self.markets)), sorted(set(self.schemes))
        if len(markets) != len(self.markets) or len(schemes) != len(self.schemes):
            raise TermsRefused("a market or a scheme is named twice")
        if any(m not in COUNTRIES for m in markets):
            raise TermsRefused(f"markets must be ISO 3166-1 alpha-2 codes: {', '.join(m[:5] for m in markets)}")
        if any(s not in SCHEMES for s in schemes):
            raise TermsRefused(f"schemes must be among {', '.join(SCHEMES)}")
        if self.recognises and not (markets and schemes):
            raise TermsRefused("a body that recognises certificates needs a remit: at least a market and a scheme")
        if not self.recognises and (markets or schemes):
            raise TermsRefused("a remit (markets, schemes) is for a body with the role recognise")
        return PartyTerms(self.country, tuple(r for r in ROLES if r in self.roles), tuple(markets), tuple(schemes))


@dataclass(frozen=True)
class Party:
    """A registered party: its names, its terms and whether the service keeps its private keys."""

    id: str
    name: str
    name_en: str
    terms: PartyTerms
    keys_kept: bool
    accreditation: str

    def shown(self) -> dict[str, Any]:
        """As the API shows it."""
        return {"id": self.id, "name": self.name, "name_en": self.name_en, "country": self.terms.country,
                "roles": list(self.terms.roles), "accreditation": self.accreditation, "keys_kept": self.keys_kept,
                "remit": {"markets": list(self.terms.markets), "schemes": list(self.terms.schemes)}
                if self.terms.recognises else None}  # fmt: skip


def terms_values(terms: PartyTerms) -> dict[str, str]:
    """The columns of ``issuers`` that hold ``terms`` (checked first)."""
    checked = terms.checked()
    return {"country": checked.country, "roles": ",".join(checked.roles), "markets": "".join(checked.markets),
            "schemes": ",".join(checked.schemes)}  # fmt: skip


def party_of_row(row: Any) -> Party:
    """A party from its ``issuers`` row."""
    terms = PartyTerms(
        row.country,
        tuple(row.roles.split(",")),
        tuple(row.markets[i : i + 2] for i in range(0, len(row.markets), 2)),
        tuple(s for s in row.schemes.split(",") if s),
    )
    return Party(row.id, row.name, row.name_en, terms, bool(row.keys_kept), row.accreditation)


def party_row(conn: Connection, party_id: str) -> Party:
    """The party; raises :class:`~verifier.store.records.NotFound`."""
    return party_of_row(issuer_row(conn, party_id))


class Parties:
    """The parties' terms on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, party_id: str) -> Party:
        """The party; raises :class:`~verifier.store.records.NotFound`."""
        with self.engine.connect() as conn:
            return party_row(conn, party_id)

    def all(self, roles: Iterable[str] = ROLES) -> list[Party]:
        """Every party holding one of ``roles``, by id."""
        wanted = set(roles)
        with self.engine.connect() as conn:
            rows = conn.execute(select(issuers).order_by(issuers.c.id)).all()
        return [p for p in map(party_of_row, rows) if wanted & set(p.terms.roles)]

    def change(
        self,
        actor: Principal,
        party_id: str,
        at: datetime,
        country: str | None = None,
        roles: tuple[str, ...] | None = None,
        markets: tuple[str, ...] | None = None,
        schemes: tuple[str, ...] | None = None,
    ) -> Party:
        """Change some of the party's terms (the others stay); the trust list carries them from now on.

        Narrowing a remit does not touch recognitions signed before: verifiers check each against the
        remit in the trust list they hold, so one outside the new remit stops verifying (``outside_remit``).
        """
        with audited(self.engine, actor.token_id, at) as change:
            old = party_row(change.conn, party_id)
            terms = PartyTerms(
                old.terms.country if country is None else country,
                old.terms.roles if roles is None else roles,
                old.terms.markets if markets is None else markets,
                old.terms.schemes if schemes is None else schemes,
            )
            if roles is not None and RECOGNISE not in roles and markets is None and schemes is None:
                terms = replace(terms, markets=(), schemes=())  # no longer recognising: no remit
            values = terms_values(terms)
            if ISSUE in old.terms.roles and ISSUE not in terms.roles:
                raise TermsRefused(f"{party_id} issues certificates: that role cannot be taken away")
            change.conn.execute(
                update(issuers).where(issuers.c.id == party_id).values(**values, revision=issuers.c.revision + 1)
            )
            change.audit("party.terms", f"issuer:{party_id}", values)
            return party_row(change.conn, party_id)
