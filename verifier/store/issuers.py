"""Issuers and their keys: the rows the trust list is made of, and the private halves they sign with.

Public keys and their windows live in the database; private keys in the keys folder (``KeyStore``),
written in the same step as the row that names them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from verifier.paper.letterhead import DETAILS, Letterhead
from verifier.paper.stamps import Stamp
from verifier.store import log
from verifier.store.audit import Change, audited
from verifier.store.parties import PartyTerms, party_of_row, terms_values
from verifier.store.records import ISSUE, OPERATOR, Conflict, NotFound, Principal, issuer_row
from verifier.store.tables import issuer_keys, issuer_stamps, issuers, log_witnesses
from verifier.trust.keys import (
    KeyRecord,
    KeyStore,
    SigningKey,
    new_signing_key,
    public_from_raw,
    public_raw,
    public_record,
    whole_second,
)
from verifier.trust.parties import Recogniser, TrustedIssuer
from verifier.trust.trustlist import DEFAULT_VALIDITY, TrustList
from verifier.verdict import IssuerInfo


def _log_key(change: Change, issuer_id: str, event: str, record: KeyRecord) -> None:
    """The key's event in the transparency log, in the change's transaction."""
    log.append(change, [log.key_event(change.at, issuer_id, event, record.kid, public_raw(record.public_key))])


def _insert_key(conn: Connection, issuer_id: str, record: KeyRecord, active: bool) -> None:
    conn.execute(
        insert(issuer_keys).values(
            kid=record.kid, issuer_id=issuer_id, public_key=public_raw(record.public_key),
            not_before=record.not_before, not_after=record.not_after, active=active,
        )
    )  # fmt: skip


def _key_record(row: Any) -> KeyRecord:
    return KeyRecord(row.kid, public_from_raw(row.public_key), row.not_before, row.not_after, row.withdrawn_at)


def _details(given: dict[str, str]) -> dict[str, str]:
    """Only letterhead fields; anything else is a programming error."""
    unknown = set(given) - set(DETAILS)
    if unknown:
        raise ValueError(f"not letterhead fields: {', '.join(sorted(unknown))}")
    return dict(given)


def _closing(at: datetime) -> datetime:
    """Where a key's window ends when it is retired at ``at``: the end of that second (as Keyring.rotated)."""
    return whole_second(at) + timedelta(seconds=1)


class Issuers:
    """The issuers and keys on one database (``engine``) and one keys folder (``keys``)."""

    def __init__(self, engine: Engine, keys: KeyStore) -> None:
        self.engine = engine
        self.keys = keys
        self._signing: dict[bytes, SigningKey] = {}

    def ensure_operator_key(self, at: datetime) -> KeyRecord:
        """The operator's active key (it signs the trust list), made on first start."""
        if not self.keys.exists(OPERATOR):
            ring = self.keys.create(OPERATOR, at)
            with audited(self.engine, "system", at) as change:
                change.audit("key.create", "operator", {"kid": ring.active.kid_hex})
                _log_key(change, "operator", "added", ring.active)
        return self.keys.keyring(OPERATOR).active

    def operator_key(self) -> SigningKey:
        """The operator's active key with its private half (cached after the first read)."""
        return self._cached(OPERATOR, self.keys.keyring(OPERATOR).active)

    def add(
        self,
        change: Change,
        info: IssuerInfo,
        key: KeyRecord,
        details: dict[str, str] | None = None,
        terms: PartyTerms | None = None,
        keys_kept: bool = True,
    ) -> None:
        """Register a party with its first key in the open ``change`` (a kept key's private half: the caller saves it).

        ``details`` are letterhead fields (:data:`~verifier.paper.letterhead.DETAILS`) set at once; ``terms``
        its country, roles and remit (an issuer in China by default); ``keys_kept`` False registers a party
        that keeps its private keys itself (``key`` is then only its public key).
        """
        values = terms_values(terms or PartyTerms())
        change.conn.execute(
            insert(issuers).values(
                id=info.id, name=info.name, name_en=info.name_en, created_at=change.at, keys_kept=keys_kept,
                **values, **_details(details or {}),
            )
        )  # fmt: skip
        _insert_key(change.conn, info.id, key, active=True)
        _log_key(change, info.id, "added", key)
        change.audit("issuer.create", f"issuer:{info.id}",
                     {"kid": key.kid_hex, **values, "keys_kept": keys_kept, **(details or {})})  # fmt: skip

    def letterhead(self, issuer_id: str) -> Letterhead:
        """What the issuer's certificates print of it, stamp included; raises :class:`NotFound`."""
        with self.engine.connect() as conn:
            row = issuer_row(conn, issuer_id)
            stamp = conn.execute(
                select(issuer_stamps.c.media_type, issuer_stamps.c.data).where(issuer_stamps.c.issuer_id == issuer_id)
            ).first()
        return Letterhead(
            row.id, row.name, row.name_en, **{name: getattr(row, name) for name in DETAILS},
            stamp=Stamp(stamp.media_type, bytes(stamp.data)) if stamp else None,
        )  # fmt: skip

    def stamps(self) -> list[tuple[str, Stamp]]:
        """Every issuer's stored stamp, by issuer id."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(issuer_stamps.c.issuer_id, issuer_stamps.c.media_type, issuer_stamps.c.data))
            return [(row.issuer_id, Stamp(row.media_type, bytes(row.data))) for row in rows.all()]

    def update_letterhead(self, actor: Principal, issuer_id: str, details: dict[str, str], at: datetime) -> Letterhead:
        """Set some letterhead fields (the others stay); the certificates issued from now on print them."""
        values = _details(details)
        with audited(self.engine, actor.token_id, at) as change:
            issuer_row(change.conn, issuer_id)
            if values:
                change.conn.execute(update(issuers).where(issuers.c.id == issuer_id).values(**values))
            change.audit("issuer.update", f"issuer:{issuer_id}", values)
        return self.letterhead(issuer_id)

    def set_stamp(self, actor: Principal, issuer_id: str, stamp: Stamp | None, at: datetime) -> None:
        """Store the issuer's stamp (a checked one, see :func:`verifier.paper.stamps.checked_stamp`), or remove it."""
        with audited(self.engine, actor.token_id, at) as change:
            issuer_row(change.conn, issuer_id)
            change.conn.execute(delete(issuer_stamps).where(issuer_stamps.c.issuer_id == issuer_id))
            if stamp is None:
                change.audit("issuer.stamp.remove", f"issuer:{issuer_id}", {})
                return
            change.conn.execute(
                insert(issuer_stamps).values(
                    issuer_id=issuer_id, media_type=stamp.media_type, data=stamp.data, sha256=stamp.sha256,
                    uploaded_at=at,
                )
            )  # fmt: skip
            change.audit("issuer.stamp.set", f"issuer:{issuer_id}", {"type": stamp.media_type,
                         "bytes": len(stamp.data), "sha256": stamp.sha256.hex()})  # fmt: skip

    def rotate_key(
        self, actor: Principal, issuer_id: str, at: datetime, public_key: Ed25519PublicKey | None = None
    ) -> KeyRecord:
        """A new active key for the party; the old one (if any) turns verify-only, its window closed at ``at``.

        The service makes the key, unless the party keeps its keys itself: then ``public_key`` is its new
        key's public half (and it must be given). Raises :class:`Conflict` for the wrong one of those.
        """
        with audited(self.engine, actor.token_id, at) as change:
            kept = bool(issuer_row(change.conn, issuer_id).keys_kept)
            if kept == (public_key is not None):
                raise Conflict(
                    f"the service keeps {issuer_id}'s keys: it makes the new one" if kept
                    else f"{issuer_id} keeps its keys itself: give its new public key"
                )  # fmt: skip
            old = change.conn.execute(
                select(issuer_keys).where(issuer_keys.c.issuer_id == issuer_id, issuer_keys.c.active.is_(True))
            ).first()
            key = new_signing_key(at) if public_key is None else None
            record = key.record if key else public_record(public_key, at)  # type: ignore[arg-type]
            if old is not None:
                change.conn.execute(
                    update(issuer_keys).where(issuer_keys.c.kid == old.kid).values(active=False, not_after=_closing(at))
                )
            _insert_key(change.conn, issuer_id, record, active=True)
            _log_key(change, issuer_id, "rotated", record)
            change.audit("key.rotate", f"issuer:{issuer_id}",
                         {"old_kid": old.kid.hex() if old else None, "new_kid": record.kid_hex})  # fmt: skip
            if key is not None:
                self.keys.save_private(issuer_id, key)
        if key is not None:
            self._signing[key.kid] = key
        return record

    def withdraw_key(self, actor: Principal, issuer_id: str, kid_hex: str, at: datetime) -> KeyRecord | None:
        """Withdraw a compromised key: the published trust list no longer carries it, from now on.

        Offline verifiers, once they fetch the new trust list, then refuse every seal made with it
        (``unknown_issuer``), including one a thief backdates into its old window. The service's own
        checks keep the key, because a seal the registry issued is genuine whichever key made it and any
        other seal is ``unregistered``. An active key is replaced by a new one first; returns that one.
        """
        kid = bytes.fromhex(kid_hex) if re.fullmatch(r"[0-9a-f]{16}", kid_hex) else b""
        replacement: SigningKey | None = None
        with audited(self.engine, actor.token_id, at) as change:
            issuer_row(change.conn, issuer_id)
            row = change.conn.execute(
                select(issuer_keys).where(issuer_keys.c.issuer_id == issuer_id, issuer_keys.c.kid == kid)
            ).first()
            if row is None:
                raise NotFound(f"issuer {issuer_id} has no key {kid_hex}")
            if row.withdrawn_at is not None:
                raise Conflict(f"key {kid_hex} was withdrawn on {row.withdrawn_at.isoformat()}")
            closes = _closing(at)
            if row.active and issuer_row(change.conn, issuer_id).keys_kept:  # one kept elsewhere: the party's to make
                replacement = new_signing_key(at)
                _insert_key(change.conn, issuer_id, replacement.record, active=True)
                _log_key(change, issuer_id, "rotated", replacement.record)
            change.conn.execute(
                update(issuer_keys)
                .where(issuer_keys.c.kid == kid)
                .values(active=False, withdrawn_at=at, not_after=min(row.not_after or closes, closes))
            )
            new_kid = replacement.kid.hex() if replacement else None
            _log_key(change, issuer_id, "withdrawn", _key_record(row))
            change.audit("key.withdraw", f"issuer:{issuer_id}", {"kid": kid_hex, "new_kid": new_kid})
            if replacement is not None:
                self.keys.save_private(issuer_id, replacement)
        self._signing.pop(kid, None)
        if replacement is None:
            return None
        self._signing[replacement.kid] = replacement
        return replacement.record

    def get(self, issuer_id: str) -> IssuerInfo:
        """The issuer's names; raises :class:`NotFound`."""
        with self.engine.connect() as conn:
            row = issuer_row(conn, issuer_id)
        return IssuerInfo(row.id, row.name, row.name_en)

    def registered_at(self, issuer_id: str) -> datetime:
        """When the issuer was registered; raises :class:`NotFound`."""
        with self.engine.connect() as conn:
            return issuer_row(conn, issuer_id).created_at  # type: ignore[no-any-return]

    def exists(self, issuer_id: str) -> bool:
        """Whether the issuer is registered."""
        with self.engine.connect() as conn:
            return conn.execute(select(issuers.c.id).where(issuers.c.id == issuer_id)).first() is not None

    def trust_list(
        self, public_urls: Sequence[str], at: datetime, withdrawn: bool = False, validity: timedelta = DEFAULT_VALIDITY
    ) -> TrustList:
        """Every issuer and every key it ever had (active and verify-only), as of ``at``, valid for ``validity``.

        Withdrawn keys are left out, as in the list the service publishes, unless ``withdrawn``: the
        service's own online checks keep them (see :meth:`withdraw_key`). The version is the number of
        keys plus the number withdrawn, the parties' revisions, and the log's witnesses plus those
        withdrawn: every change to the list (an issuer, a rotation, a withdrawal, a party's terms, a
        witness) raises one of them, so it only goes up, and every replica computes the same.
        """
        query = select(issuer_keys).order_by(issuer_keys.c.not_before, issuer_keys.c.kid)
        if not withdrawn:
            query = query.where(issuer_keys.c.withdrawn_at.is_(None))
        with self.engine.connect() as conn:
            parties = [party_of_row(r) for r in conn.execute(select(issuers).order_by(issuers.c.id)).all()]
            key_rows = conn.execute(query).all()
            version = (
                conn.execute(
                    select(func.count() + func.count(issuer_keys.c.withdrawn_at)).select_from(issuer_keys)
                ).scalar_one()
                + conn.execute(select(func.coalesce(func.sum(issuers.c.revision), 0))).scalar_one()
                + conn.execute(
                    select(func.count() + func.count(log_witnesses.c.withdrawn_at)).select_from(log_witnesses)
                ).scalar_one()
            )
        by_party: dict[str, tuple[KeyRecord, ...]] = {}
        for row in key_rows:
            by_party[row.issuer_id] = (*by_party.get(row.issuer_id, ()), _key_record(row))
        issued_at = at.replace(microsecond=0)
        return TrustList(
            issued_at=issued_at,
            public_urls=tuple(public_urls),
            issuers=tuple(
                TrustedIssuer(IssuerInfo(p.id, p.name, p.name_en), by_party.get(p.id, ()), p.terms.country)
                for p in parties
                if ISSUE in p.terms.roles
            ),
            version=int(version),
            expires_at=issued_at + validity,
            recognisers=tuple(
                Recogniser(p.id, p.name, p.name_en, p.terms.country, by_party.get(p.id, ()),
                           frozenset(p.terms.markets), frozenset(p.terms.schemes))
                for p in parties
                if p.terms.recognises
            ),
        )  # fmt: skip

    def signing_key(self, issuer_id: str) -> SigningKey:
        """The issuer's active key with its private half (cached after the first read)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(issuer_keys).where(issuer_keys.c.issuer_id == issuer_id, issuer_keys.c.active.is_(True))
            ).first()
        if row is None:
            raise NotFound(f"no issuer {issuer_id}")
        return self._cached(issuer_id, _key_record(row))

    def active_kid(self, issuer_id: str) -> str | None:
        """The kid (hex) of the party's active key; None when it has none (all withdrawn, kept elsewhere)."""
        with self.engine.connect() as conn:
            kid = conn.execute(
                select(issuer_keys.c.kid).where(issuer_keys.c.issuer_id == issuer_id, issuer_keys.c.active.is_(True))
            ).scalar()
        return bytes(kid).hex() if kid is not None else None

    def sealing_key(self, issuer_id: str, kid: bytes) -> SigningKey:
        """The issuer's key ``kid`` (active, retired or withdrawn) with its private half; raises :class:`NotFound`.

        What signs a certificate's credential: the key that sealed the certificate.
        """
        with self.engine.connect() as conn:
            row = conn.execute(
                select(issuer_keys).where(issuer_keys.c.issuer_id == issuer_id, issuer_keys.c.kid == kid)
            ).first()
        if row is None:
            raise NotFound(f"no key {kid.hex()} of issuer {issuer_id}")
        record = _key_record(row)  # as it is now: withdrawn, perhaps, since its private half was cached
        key = self._cached(issuer_id, record)
        return key if key.record == record else SigningKey(key.private_key, record)

    def private_half(self, owner: str, record: KeyRecord) -> SigningKey:
        """The private half of a key the caller knows to be the owner's (cached after the first read)."""
        return self._cached(owner, record)

    def _cached(self, owner: str, record: KeyRecord) -> SigningKey:
        key = self._signing.get(record.kid)
        if key is None:
            key = self._signing[record.kid] = self.keys.private_key(owner, record)
        return key
