"""Bearer tokens: made, listed, withdrawn, and the authentication of every API request.

The table keeps a token's SHA-256, never its text: the text is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from verifier.store.audit import audited
from verifier.store.records import NotFound, Principal, Role, issuer_row
from verifier.store.tables import issuers, tokens

TOKEN_PREFIX = "vrf_"  # noqa: S105 - a prefix, not a secret
ADMIN_TOKEN_ID = "admin"  # noqa: S105 - a token id, not a secret
ENV_ADMIN_ID = "admin-env"
METRICS_TOKEN_ID = "metrics"  # noqa: S105 - a token id, not a secret
FIRST_TOKEN = "first token"  # noqa: S105 - the label of an issuer's first token


def token_digest(token: str) -> bytes:
    """SHA-256 of a token's text: what the tokens table keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def new_token() -> str:
    """A bearer token: the prefix and 256 random bits, base64url."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_issuer_token_id() -> str:
    """The id of a further issuer token (what the audit log names it by)."""
    return "t" + secrets.token_hex(7)


def insert_token(conn: Connection, token_id: str, role: Role, issuer_id: str | None, label: str, at: datetime) -> str:
    """Store a fresh token in the open transaction; returns its text (shown this once)."""
    token = new_token()
    conn.execute(
        insert(tokens).values(
            id=token_id, token_sha256=token_digest(token), role=role.value, issuer_id=issuer_id, label=label,
            created_at=at,
        )
    )  # fmt: skip
    return token


def _owned_by(issuer_id: str | None) -> ColumnElement[bool]:
    return tokens.c.issuer_id.is_(None) if issuer_id is None else tokens.c.issuer_id == issuer_id


class Tokens:
    """The tokens on one database; ``admin_token`` is the configured operator token, if any."""

    def __init__(self, engine: Engine, admin_token: str | None = None) -> None:
        self.engine = engine
        self._env_admin = token_digest(admin_token) if admin_token else None

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a live token, or None for an unknown or withdrawn one."""
        digest = token_digest(token)
        if self._env_admin is not None and hmac.compare_digest(digest, self._env_admin):
            return Principal(ENV_ADMIN_ID, Role.OPERATOR)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(tokens.c.id, tokens.c.role, tokens.c.issuer_id, issuers.c.roles)
                .select_from(tokens.outerjoin(issuers, issuers.c.id == tokens.c.issuer_id))
                .where(tokens.c.token_sha256 == digest, tokens.c.withdrawn_at.is_(None))
            ).first()
        if row is None:
            return None
        roles = frozenset(row.roles.split(",")) if row.roles else frozenset()
        return Principal(row.id, Role(row.role), row.issuer_id, roles)

    def withdrawn(self, token_id: str) -> bool:
        """Whether ``token_id`` names a token that has been withdrawn (an actor that is no token: False)."""
        with self.engine.connect() as conn:
            when = conn.execute(select(tokens.c.withdrawn_at).where(tokens.c.id == token_id)).scalar()
        return when is not None

    def ensure_admin(self, at: datetime) -> str | None:
        """Generate the operator token once, when none is configured and none exists; returns it (else None).

        With ``VERIFIER_ADMIN_TOKEN`` configured, a generated one still live is withdrawn: the configured
        token takes over, and a copy of the old one left in a file opens nothing.
        """
        return self.ensure_generated(ADMIN_TOKEN_ID, Role.OPERATOR, self._env_admin is not None, at)

    def ensure_generated(self, token_id: str, role: Role, configured: bool, at: datetime) -> str | None:
        """The service's own token ``token_id`` of ``role``, made once unless one is ``configured``; returns it.

        None when it exists already, or when a configured token takes its place (a live generated one
        is then withdrawn). Several workers starting at once make it once.
        """
        try:
            with audited(self.engine, "system", at) as change:
                if configured:
                    live = (tokens.c.id == token_id, tokens.c.withdrawn_at.is_(None))
                    if change.conn.execute(update(tokens).where(*live).values(withdrawn_at=at)).rowcount:
                        change.audit("token.withdraw", f"token:{token_id}", {"why": "configured"})
                    return None
                if change.conn.execute(select(tokens.c.id).where(tokens.c.id == token_id)).first():
                    return None
                token = insert_token(change.conn, token_id, role, None, f"generated {role.value} token", at)
                change.audit("token.create", f"token:{token_id}", {"role": role.value})
        except IntegrityError:  # another worker made it in the meantime
            return None
        return token

    def create(self, actor: Principal, issuer_id: str, label: str, at: datetime) -> tuple[str, str]:
        """A further token for an issuer: (token id, token text, shown this once)."""
        with audited(self.engine, actor.token_id, at) as change:
            issuer_row(change.conn, issuer_id)
            token_id = new_issuer_token_id()
            token = insert_token(change.conn, token_id, Role.ISSUER, issuer_id, label, at)
            change.audit("token.create", f"token:{token_id}", {"issuer": issuer_id})
        return token_id, token

    def create_operator(
        self, actor: Principal, label: str, at: datetime, role: Role = Role.OPERATOR
    ) -> tuple[str, str]:
        """A further operator token, or one that only reads ``/metrics``: (token id, token text, shown once)."""
        with audited(self.engine, actor.token_id, at) as change:
            token_id = ("o" if role is Role.OPERATOR else "m") + secrets.token_hex(7)
            token = insert_token(change.conn, token_id, role, None, label, at)
            change.audit("token.create", f"token:{token_id}", {"role": role.value})
        return token_id, token

    def withdraw(self, actor: Principal, issuer_id: str | None, token_id: str, at: datetime) -> None:
        """Withdraw one of the issuer's tokens (``issuer_id`` None: an operator token); fails from its next request."""
        if token_id == ENV_ADMIN_ID:
            raise NotFound("the configured admin token is withdrawn by changing VERIFIER_ADMIN_TOKEN")
        with audited(self.engine, actor.token_id, at) as change:
            live = (tokens.c.id == token_id, _owned_by(issuer_id), tokens.c.withdrawn_at.is_(None))
            if change.conn.execute(update(tokens).where(*live).values(withdrawn_at=at)).rowcount != 1:
                raise NotFound(f"no live token {token_id}")
            change.audit("token.withdraw", f"token:{token_id}", {"issuer": issuer_id})

    def withdraw_labelled(self, actor: Principal, issuer_id: str | None, label: str, at: datetime) -> int:
        """Withdraw every live token of the issuer (None: the operator) with this label; returns how many."""
        with audited(self.engine, actor.token_id, at) as change:
            live = (_owned_by(issuer_id), tokens.c.label == label, tokens.c.withdrawn_at.is_(None))
            ids = list(change.conn.execute(select(tokens.c.id).where(*live)).scalars())
            if ids:
                change.conn.execute(update(tokens).where(tokens.c.id.in_(ids)).values(withdrawn_at=at))
            change.audit_all([("token.withdraw", f"token:{token_id}", {"label": label}) for token_id in ids])
        return len(ids)

    def of(self, issuer_id: str | None) -> list[dict[str, Any]]:
        """An issuer's tokens (``issuer_id`` None: the operator's), never their text: id, label, created, withdrawn."""
        with self.engine.connect() as conn:
            if issuer_id is not None:
                issuer_row(conn, issuer_id)
            rows = conn.execute(
                select(tokens.c.id, tokens.c.label, tokens.c.created_at, tokens.c.withdrawn_at)
                .where(_owned_by(issuer_id))
                .order_by(tokens.c.created_at, tokens.c.id)
            ).all()
        return [dict(row._mapping) for row in rows]
