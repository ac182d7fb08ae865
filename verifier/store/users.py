"""The console's people: accounts invited by an admin, passwords (Argon2id), sign-in with lockout, sessions.

An account belongs to an issuer (roles ``admin``: its users and letterhead; ``clerk``: issues and changes
status; ``auditor``: reads) or to the operator (role ``operator``). An admin invites by e-mail address:
the invitation is a random token shown once (its SHA-256 kept) that the person takes within
:data:`INVITATION_DAYS` days by choosing a password. A sign-in that fails counts against the account,
and :data:`LOCK_AFTER` in a row lock it for :data:`LOCK_MINUTES` minutes; every failure and every lock
is in the audit log. A session is a random token in a cookie (its SHA-256 kept) with its own form token
against cross-site requests; it ends on sign-out, after :data:`IDLE_MINUTES` idle, or at most
:data:`SESSION_HOURS` after sign-in. Hashing a password takes tens of milliseconds: call these from a
worker thread, never the event loop.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from verifier.errors import Kind, VerifierError
from verifier.store.audit import audited
from verifier.store.consoletables import sessions, users
from verifier.store.records import Conflict, NotFound, Principal, Role
from verifier.store.tables import issuers

LOCK_AFTER = 20  # wrong passwords in a row
LOCK_MINUTES = 15
INVITATION_DAYS = 7
IDLE_MINUTES = 30
SESSION_HOURS = 12
MIN_PASSWORD, MAX_PASSWORD = 12, 256
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,63}")
_HASHER = PasswordHasher()  # Argon2id, RFC 9106's second recommended parameters
_DUMMY = _HASHER.hash("the same work for an address that has no account")


class UserRole(enum.Enum):
    """What a person may do in the console."""

    OPERATOR = "operator"  # the operator's staff: every issuer, parties, keys
    ADMIN = "admin"  # an issuer's: its users, its letterhead, and what a clerk does
    CLERK = "clerk"  # issues, changes status
    AUDITOR = "auditor"  # reads, changes nothing


class SignInRefused(VerifierError):
    """A sign-in that did not succeed: the same words whatever was wrong (no account, a wrong password, locked)."""

    kind = Kind.FORBIDDEN
    code = "sign_in_refused"


class AccountRefused(VerifierError):
    """An invitation or a password this service does not take (the message says why)."""

    code = "account_refused"


@dataclass(frozen=True)
class User:
    """A person's account."""

    id: str
    email: str
    name: str
    issuer_id: str | None
    role: UserRole
    active: bool  # has a password, not disabled
    state: str = "active"  # invited (no password yet), active, locked, disabled

    @property
    def actor(self) -> str:
        """What the audit log names this person by."""
        return f"user:{self.id}"


@dataclass(frozen=True)
class Session:
    """A signed-in session: its person, its form token, when it ends."""

    user: User
    csrf: str
    expires_at: datetime
    party_roles: frozenset[str] = frozenset()  # what the person's issuer is registered to do (issue, recognise)

    @property
    def principal(self) -> Principal:
        """Who the registry sees acting: the person (by the audit log's name), for their issuer or the operator."""
        user = self.user
        role = Role.OPERATOR if user.role is UserRole.OPERATOR else Role.ISSUER
        return Principal(user.actor, role, user.issuer_id, self.party_roles)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def _user(row: Any, at: datetime | None = None) -> User:
    state = (
        "disabled"
        if row.disabled_at is not None
        else "invited"
        if row.password_hash is None
        else "locked"
        if at is not None and row.locked_until is not None and row.locked_until > at
        else "active"
    )
    return User(row.id, row.email, row.name, row.issuer_id, UserRole(row.role),
                row.password_hash is not None and row.disabled_at is None, state)  # fmt: skip


def check_password(password: str) -> None:
    """Refuse a password too short or too long (its length in characters); raises :class:`AccountRefused`."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountRefused(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")


class Users:
    """Accounts and sessions on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def invite(self, actor: str, issuer_id: str | None, email: str, name: str, role: UserRole,
               at: datetime) -> tuple[User, str]:  # fmt: skip
        """A new account without a password, and its invitation (shown once); :class:`Conflict` for an address taken."""
        email = email.strip().lower()
        if not _EMAIL.fullmatch(email) or not 1 <= len(name.strip()) <= 100:
            raise AccountRefused("an invitation needs an e-mail address and a name of 1 to 100 characters")
        if (role is UserRole.OPERATOR) != (issuer_id is None):
            raise AccountRefused("the operator's staff have the role operator; an issuer's admin, clerk or auditor")
        invitation = secrets.token_urlsafe(32)
        user_id = "u" + secrets.token_hex(7)
        try:
            with audited(self.engine, actor, at) as change:
                change.conn.execute(insert(users).values(
                    id=user_id, email=email, name=name.strip(), issuer_id=issuer_id, role=role.value,
                    invitation_sha256=_digest(invitation), invited_until=at + timedelta(days=INVITATION_DAYS),
                    created_at=at, failed_sign_ins=0))  # fmt: skip
                change.audit("user.invite", f"user:{user_id}", {"email": email, "role": role.value,
                                                                 "issuer": issuer_id})  # fmt: skip
        except IntegrityError:
            raise Conflict(f"{email} has an account already") from None
        return User(user_id, email, name.strip(), issuer_id, role, False), invitation

    def accept(self, invitation: str, password: str, at: datetime) -> User:
        """Take an invitation: the account's password is set (and the invitation spent). :class:`NotFound` if none."""
        check_password(password)
        hashed = _HASHER.hash(password)
        with audited(self.engine, "invitation", at) as change:
            row = change.conn.execute(
                select(users).where(users.c.invitation_sha256 == _digest(invitation), users.c.disabled_at.is_(None))
            ).first()
            if row is None or row.invited_until is None or row.invited_until <= at:
                raise NotFound("no such invitation, or it has expired: ask your admin for another")
            change.conn.execute(update(users).where(users.c.id == row.id).values(
                password_hash=hashed, invitation_sha256=None, invited_until=None, failed_sign_ins=0))  # fmt: skip
            change.audit("user.accept", f"user:{row.id}", {})
        return User(row.id, row.email, row.name, row.issuer_id, UserRole(row.role), True)

    def sign_in(self, email: str, password: str, at: datetime) -> tuple[Session, str]:
        """A new session (and its token, for the cookie); raises :class:`SignInRefused` for anything wrong.

        A locked account is refused without its password being tried; a wrong one counts, and the
        :data:`LOCK_AFTER`-th in a row locks it. Each refusal is audited.
        """
        email = email.strip().lower()[:254]
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.email == email)).first()
        if row is None or row.password_hash is None or row.disabled_at is not None:
            _verify(_DUMMY, password)  # the same time as for an account: addresses are not disclosed
            self._refused(email, None, at, "no such account")
            raise SignInRefused("the e-mail address or the password is wrong, or the account is locked")
        if row.locked_until is not None and row.locked_until > at:
            self._refused(email, row.id, at, "locked")
            raise SignInRefused("the e-mail address or the password is wrong, or the account is locked")
        if not _verify(row.password_hash, password):
            self._failed(row.id, email, at)
            raise SignInRefused("the e-mail address or the password is wrong, or the account is locked")
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires_at = at + timedelta(hours=SESSION_HOURS)
        with audited(self.engine, f"user:{row.id}", at) as change:
            change.conn.execute(update(users).where(users.c.id == row.id).values(failed_sign_ins=0, locked_until=None))
            change.conn.execute(insert(sessions).values(id_sha256=_digest(token), user_id=row.id, csrf=csrf,
                                                        created_at=at, seen_at=at, expires_at=expires_at))  # fmt: skip
            change.audit("user.sign_in", f"user:{row.id}", {})
        return Session(_user(row), csrf, expires_at), token

    def _failed(self, user_id: str, email: str, at: datetime) -> None:
        with audited(self.engine, f"user:{user_id}", at) as change:
            count = change.conn.execute(
                update(users).where(users.c.id == user_id).values(failed_sign_ins=users.c.failed_sign_ins + 1)
                .returning(users.c.failed_sign_ins)
            ).scalar_one()  # fmt: skip
            change.audit("user.sign_in_refused", f"user:{user_id}", {"email": email, "why": "wrong password",
                                                                    "in_a_row": int(count)})  # fmt: skip
            if count >= LOCK_AFTER:
                until = at + timedelta(minutes=LOCK_MINUTES)
                change.conn.execute(update(users).where(users.c.id == user_id).values(locked_until=until,
                                                                                      failed_sign_ins=0))  # fmt: skip
                change.audit("user.locked", f"user:{user_id}", {"until": until.isoformat(), "after": int(count)})

    def _refused(self, email: str, user_id: str | None, at: datetime, why: str) -> None:
        with audited(self.engine, "sign-in", at) as change:
            change.audit("user.sign_in_refused", f"user:{user_id or '?'}", {"email": email[:254], "why": why})

    def session(self, token: str, at: datetime) -> Session | None:
        """The live session of this cookie's token, or None (unknown, ended, idle too long, expired, disabled)."""
        if not 20 <= len(token) <= 100:
            return None
        digest = _digest(token)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(sessions, users, issuers.c.roles.label("party_roles"))
                .join(users, users.c.id == sessions.c.user_id).outerjoin(issuers, issuers.c.id == users.c.issuer_id)
                .where(sessions.c.id_sha256 == digest)
            ).first()  # fmt: skip
        if row is None or row.ended_at is not None or row.disabled_at is not None or row.expires_at <= at:
            return None
        if at - row.seen_at > timedelta(minutes=IDLE_MINUTES):
            return None
        if at - row.seen_at > timedelta(minutes=1):  # seen again: written at most once a minute
            with self.engine.begin() as conn:
                conn.execute(update(sessions).where(sessions.c.id_sha256 == digest).values(seen_at=at))
        roles = frozenset(row.party_roles.split(",")) if row.party_roles else frozenset()
        return Session(_user(row), row.csrf, row.expires_at, roles)

    def sign_out(self, token: str, at: datetime) -> None:
        """End this session (nothing for one that is not live)."""
        with audited(self.engine, "sign-out", at) as change:
            ended = change.conn.execute(
                update(sessions).where(sessions.c.id_sha256 == _digest(token), sessions.c.ended_at.is_(None))
                .values(ended_at=at).returning(sessions.c.user_id)
            ).first()  # fmt: skip
            if ended is not None:
                change.audit("user.sign_out", f"user:{ended.user_id}", {})

    def of(self, issuer_id: str | None, at: datetime | None = None) -> list[User]:
        """An issuer's people (the operator's staff for None), by e-mail address (``at``: who is locked then)."""
        owner = users.c.issuer_id.is_(None) if issuer_id is None else users.c.issuer_id == issuer_id
        with self.engine.connect() as conn:
            return [_user(r, at) for r in conn.execute(select(users).where(owner).order_by(users.c.email)).all()]

    def disable(self, actor: str, issuer_id: str | None, user_id: str, at: datetime) -> None:
        """Disable one of the issuer's people (the operator's staff for None): signed out now, for good."""
        owner = users.c.issuer_id.is_(None) if issuer_id is None else users.c.issuer_id == issuer_id
        with audited(self.engine, actor, at) as change:
            done = change.conn.execute(update(users).where(users.c.id == user_id, owner, users.c.disabled_at.is_(None))
                                       .values(disabled_at=at, invitation_sha256=None))  # fmt: skip
            if not done.rowcount:
                raise NotFound("no such person, or disabled already")
            change.conn.execute(update(sessions).where(sessions.c.user_id == user_id, sessions.c.ended_at.is_(None))
                                .values(ended_at=at))  # fmt: skip
            change.audit("user.disable", f"user:{user_id}", {})


def _verify(hashed: str, password: str) -> bool:
    try:
        return bool(_HASHER.verify(hashed, password[:MAX_PASSWORD]))
    except (VerificationError, InvalidHashError):
        return False
