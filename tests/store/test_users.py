"""The console's people on SQLite and PostgreSQL: invitations, passwords, sign-in and its lockout, sessions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.store.test_registry import _at_once
from verifier.store.database import make_engine
from verifier.store.records import CLI_ACTOR, Conflict, NotFound
from verifier.store.registry import Registry
from verifier.store.users import LOCK_AFTER, AccountRefused, SignInRefused, UserRole
from verifier.trust.keys import KeyStore
from verifier.verdict import IssuerInfo

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def registry(tmp_path: Path, database_url: str) -> Iterator[Registry]:
    made = Registry(make_engine(database_url), KeyStore(tmp_path / "keys"))
    made.create_issuer(CLI_ACTOR, IssuerInfo("zjcert", "浙江", "Zhejiang"), AT)
    yield made
    made.close()


def _clerk(registry: Registry) -> None:
    _, invitation = registry.users.invite("admin", "zjcert", "Clerk@Example.org", "A Clerk", UserRole.CLERK, AT)
    registry.users.accept(invitation, PASSWORD, AT)


def test_an_invited_person_signs_in_and_out(registry: Registry) -> None:
    users = registry.users
    user, invitation = users.invite("admin", "zjcert", " Clerk@Example.org ", "A Clerk", UserRole.CLERK, AT)
    assert (user.email, user.active) == ("clerk@example.org", False)
    with pytest.raises(SignInRefused):
        users.sign_in("clerk@example.org", PASSWORD, AT)  # no password yet
    with pytest.raises(AccountRefused, match="12 to 256"):
        users.accept(invitation, "short", AT)
    assert users.accept(invitation, PASSWORD, AT).active
    with pytest.raises(NotFound):
        users.accept(invitation, PASSWORD, AT)  # spent
    session, token = users.sign_in("CLERK@example.org", PASSWORD, AT)
    assert session.user.role is UserRole.CLERK and session.user.issuer_id == "zjcert"
    assert users.session(token, AT + timedelta(minutes=20)) is not None
    users.sign_out(token, AT + timedelta(minutes=21))
    assert users.session(token, AT + timedelta(minutes=22)) is None  # the cookie from before sign-out
    actions = [e["action"] for e in registry.audit.entries()]
    assert {"user.invite", "user.accept", "user.sign_in", "user.sign_out", "user.sign_in_refused"} <= set(actions)


def test_sessions_end_when_idle_or_old(registry: Registry) -> None:
    _clerk(registry)
    _, token = registry.users.sign_in("clerk@example.org", PASSWORD, AT)
    assert registry.users.session(token, AT + timedelta(minutes=31)) is None  # idle too long
    _, token = registry.users.sign_in("clerk@example.org", PASSWORD, AT)
    for minutes in range(25, 12 * 60, 25):  # kept busy: still ends 12 hours after sign-in
        assert registry.users.session(token, AT + timedelta(minutes=minutes)) is not None
    assert registry.users.session(token, AT + timedelta(hours=12)) is None
    assert registry.users.session("x" * 43, AT) is None and registry.users.session("", AT) is None


def test_twenty_wrong_passwords_lock_the_account_and_are_logged(registry: Registry) -> None:
    _clerk(registry)
    for n in range(LOCK_AFTER):
        with pytest.raises(SignInRefused, match="wrong, or the account is locked"):
            registry.users.sign_in("clerk@example.org", f"wrong {n:02d} password", AT)
    with pytest.raises(SignInRefused):  # the right password, but locked
        registry.users.sign_in("clerk@example.org", PASSWORD, AT + timedelta(minutes=5))
    assert registry.users.sign_in("clerk@example.org", PASSWORD, AT + timedelta(minutes=16))[0].user.active
    entries = registry.audit.entries()
    locked = [e for e in entries if e["action"] == "user.locked"]
    assert len(locked) == 1 and locked[0]["detail"]["after"] == LOCK_AFTER
    refused = [e for e in entries if e["action"] == "user.sign_in_refused"]
    assert len(refused) == LOCK_AFTER + 1 and refused[0]["detail"]["why"] == "locked"


def test_wrong_passwords_at_once_are_all_counted(registry: Registry) -> None:
    _clerk(registry)
    outcomes = _at_once(LOCK_AFTER, lambda n: registry.users.sign_in("clerk@example.org", f"wrong {n}", AT))
    assert all(isinstance(o, SignInRefused) for o in outcomes), outcomes
    with pytest.raises(SignInRefused):
        registry.users.sign_in("clerk@example.org", PASSWORD, AT)  # locked by the twentieth, whichever it was


def test_what_an_invitation_may_not_be(registry: Registry) -> None:
    _clerk(registry)
    with pytest.raises(Conflict, match="has an account"):
        registry.users.invite("admin", "zjcert", "clerk@example.org", "Again", UserRole.AUDITOR, AT)
    for email, name, issuer, role in [("not an address", "N", "zjcert", UserRole.CLERK),
                                      ("a@b.example", "", "zjcert", UserRole.CLERK),
                                      ("a@b.example", "N", None, UserRole.CLERK),
                                      ("a@b.example", "N", "zjcert", UserRole.OPERATOR)]:  # fmt: skip
        with pytest.raises(AccountRefused):
            registry.users.invite("admin", issuer, email, name, role, AT)
    _, late = registry.users.invite("admin", "zjcert", "late@example.org", "Late", UserRole.AUDITOR, AT)
    with pytest.raises(NotFound, match="expired"):
        registry.users.accept(late, PASSWORD, AT + timedelta(days=8))
    assert [u.email for u in registry.users.of("zjcert")] == ["clerk@example.org", "late@example.org"]
