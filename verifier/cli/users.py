"""``verifier user``: the console's people from the command line (an issuer's first admin, the operator's staff)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from verifier.cli.common import OPERATOR, Commands, UsageError, open_registry
from verifier.config import Settings


def register(commands: Commands) -> None:
    """Add ``user`` to the command line."""
    user = commands.add_parser("user", help="invite, list and disable the console's people").add_subparsers(
        required=True, metavar="ACTION"
    )
    invite = user.add_parser("invite", help="invite a person; prints the invitation's link once")
    invite.add_argument("issuer", help="the issuer's id, or operator for the operator's staff")
    invite.add_argument("email")
    invite.add_argument("--name", required=True, help="the person's name as the console shows it")
    invite.add_argument("--role", choices=("admin", "clerk", "auditor", "operator"), default="admin",
                        help="admin (default), clerk, auditor; operator for the operator's staff")  # fmt: skip
    invite.set_defaults(run=_invite)
    listing = user.add_parser("list", help="an issuer's people (operator: the operator's staff)")
    listing.add_argument("issuer")
    listing.set_defaults(run=_list)
    disable = user.add_parser("disable", help="disable a person (signed out at once)")
    disable.add_argument("issuer")
    disable.add_argument("user_id")
    disable.set_defaults(run=_disable)


def _owner(registry: object, issuer: str) -> str | None:
    if issuer == OPERATOR:
        return None
    if not registry.issuers.exists(issuer):  # type: ignore[attr-defined]
        raise UsageError(f"no issuer {issuer!r}: register it first (verifier issuer create)")
    return issuer


def _invite(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.store.records import CLI_ACTOR
    from verifier.store.users import UserRole

    registry = open_registry(settings)
    owner = _owner(registry, args.issuer)
    role = UserRole.OPERATOR if owner is None else UserRole(args.role)
    if owner is not None and role is UserRole.OPERATOR:
        raise UsageError("the role operator is for the operator's staff: give operator as the issuer")
    user, token = registry.users.invite(CLI_ACTOR.token_id, owner, args.email, args.name, role, datetime.now(UTC))
    print(f"invited {user.email} ({role.value}{', ' + owner if owner else ''}) as {user.id}")
    print(f"their link (shown once, valid 7 days): {settings.public_url}/console/welcome#{token}")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    registry = open_registry(settings)
    for user in registry.users.of(_owner(registry, args.issuer), datetime.now(UTC)):
        print(f"{user.id:<16} {user.role.value:<9} {user.state:<9} {user.email}  {user.name}")
    return 0


def _disable(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.store.records import CLI_ACTOR

    registry = open_registry(settings)
    registry.users.disable(CLI_ACTOR.token_id, _owner(registry, args.issuer), args.user_id, datetime.now(UTC))
    print(f"{args.user_id} disabled")
    return 0
