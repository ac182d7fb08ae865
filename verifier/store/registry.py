"""The registry: one object over the database, the keys folder and the stores of each kind of record.

``registry.tokens`` (authentication), ``registry.issuers`` (issuers, keys, the trust list),
``registry.parties`` (every party's country, roles and remit), ``registry.recognitions`` (the bodies'
recognitions of certificates, their status), ``registry.requests`` (issuers' requests for them),
``registry.certificates`` (certificates, PDFs, status events), ``registry.credentials`` (each one's DCC
as signed), ``registry.seals`` (the scan's lookup), ``registry.statuslists``, ``registry.jobs`` (batches
waiting to be issued), ``registry.audit`` (the audit log), ``registry.log`` (the transparency log: every
issuance, status change, recognition and key, sequenced with the change) and ``registry.witnesses``. What
needs more than one of them is composed here. Time is an argument everywhere: the HTTP and command-line
layers read the clock. Issuing (seal, render, store) is :func:`verifier.issuing.recipe.issue`, one floor
up; jobs are run by :class:`verifier.issuing.jobs.JobRunner`.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine, literal, select
from sqlalchemy.exc import IntegrityError

from verifier.store.audit import AuditLog, audited
from verifier.store.certificates import Certificates
from verifier.store.credentials import Credentials
from verifier.store.desk import Desk
from verifier.store.imports import Imports
from verifier.store.issuers import Issuers
from verifier.store.jobs import Jobs
from verifier.store.log import Log
from verifier.store.parties import Parties, PartyTerms
from verifier.store.recognitionrequests import RecognitionRequests
from verifier.store.recognitions import Recognitions
from verifier.store.records import OPERATOR, Conflict, Principal, Role
from verifier.store.reports import Reports
from verifier.store.seals import Seals
from verifier.store.statuslists import StatusLists
from verifier.store.tokens import (
    ADMIN_TOKEN_ID,
    ENV_ADMIN_ID,
    FIRST_TOKEN,
    METRICS_TOKEN_ID,
    Tokens,
    insert_token,
    new_issuer_token_id,
)
from verifier.store.users import Users
from verifier.store.watches import Watches
from verifier.store.witnesses import Witnesses
from verifier.trust.keys import KeyRecord, KeyStore, new_signing_key, public_record
from verifier.verdict import IssuerInfo

# Names the service uses for itself (the operator's keyring, audit actors, token ids): never an issuer id.
RESERVED_IDS = frozenset(
    {OPERATOR, "log", ADMIN_TOKEN_ID, ENV_ADMIN_ID, "system", "cli", "anonymous", METRICS_TOKEN_ID}
)


class Registry:
    """The registry on one database (``engine``) and one keys folder (``keys``)."""

    def __init__(self, engine: Engine, keys: KeyStore, admin_token: str | None = None) -> None:
        self.engine = engine
        self.keys = keys
        self.tokens = Tokens(engine, admin_token)
        self.issuers = Issuers(engine, keys)
        self.parties = Parties(engine)
        self.recognitions = Recognitions(engine)
        self.requests = RecognitionRequests(engine)
        self.certificates = Certificates(engine)
        self.credentials = Credentials(engine)
        self.seals = Seals(engine)
        self.statuslists = StatusLists(engine)
        self.jobs = Jobs(engine)
        self.audit = AuditLog(engine)
        self.log = Log(engine)
        self.witnesses = Witnesses(engine)
        self.users = Users(engine)  # the console's people and their sessions
        self.desk = Desk(engine)  # the console's reads: search, history, numbers looked up
        self.imports = Imports(engine)  # imports of existing certificates, and saved mappings
        self.reports = Reports(engine)  # the customs desk's verification reports; certificates by number
        self.watches = Watches(engine)  # subscriptions to certificates' changes and their webhook deliveries

    def ping(self) -> None:
        """One round trip to the database (raises when it does not answer)."""
        with self.engine.connect() as conn:
            conn.execute(select(literal(1)))

    def create_issuer(
        self,
        actor: Principal,
        info: IssuerInfo,
        at: datetime,
        details: dict[str, str] | None = None,
        terms: PartyTerms | None = None,
        public_key: Ed25519PublicKey | None = None,
    ) -> tuple[KeyRecord, str, str]:
        """Register a party (an issuer by default) with an Ed25519 key and a first token: (key, token id, token text).

        ``details`` are letterhead fields (address, contact, ...: :data:`verifier.paper.letterhead.DETAILS`);
        ``terms`` its country, roles and remit (:class:`~verifier.store.parties.PartyTerms`: an issuer in
        China unless given). The service makes the key and keeps its private half, unless ``public_key``
        is given: the party then keeps its keys itself and signs elsewhere.

        Raises :class:`Conflict` for an id taken already or one the service keeps for itself, and
        :class:`~verifier.store.parties.TermsRefused` for terms that cannot be registered.
        """
        if info.id in RESERVED_IDS:
            raise Conflict(f"{info.id!r} is a name the service uses itself; choose another issuer id")
        key = new_signing_key(at) if public_key is None else None
        record = key.record if key else public_record(public_key, at)  # type: ignore[arg-type]
        try:
            with audited(self.engine, actor.token_id, at) as change:
                self.issuers.add(change, info, record, details, terms, keys_kept=key is not None)
                token_id = new_issuer_token_id()
                token = insert_token(change.conn, token_id, Role.ISSUER, info.id, FIRST_TOKEN, at)
                if key is not None:
                    self.keys.save_private(info.id, key)  # last: a refused issuer leaves no key file
        except IntegrityError:
            raise Conflict(f"issuer {info.id} exists already") from None
        return record, token_id, token

    def close(self) -> None:
        """Close every connection the registry holds (the service is stopping)."""
        self.seals.close()
        self.engine.dispose()
