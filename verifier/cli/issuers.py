"""``verifier issuer`` and ``verifier token``: issuers registered, their keys rotated or withdrawn, tokens."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from verifier.cli.common import OPERATOR, Commands, open_registry
from verifier.config import Settings
from verifier.store.records import CLI_ACTOR
from verifier.verdict import IssuerInfo


def register(commands: Commands) -> None:
    """Add ``issuer`` and ``token`` to the command line."""
    issuer = commands.add_parser("issuer", help="register issuers and rotate their keys").add_subparsers(
        required=True, metavar="ACTION"
    )
    create_issuer = issuer.add_parser("create", help="register an issuer; prints its first token once")
    create_issuer.add_argument("id", help="a slug: lower case letters, digits and hyphens")
    create_issuer.add_argument("--name", required=True, help="the name in Chinese")
    create_issuer.add_argument("--name-en", required=True, help="the name in English")
    create_issuer.set_defaults(run=_issuer_create)
    rotate_issuer = issuer.add_parser("rotate-key", help="a new signing key; old certificates stay valid")
    rotate_issuer.add_argument("id")
    rotate_issuer.set_defaults(run=_issuer_rotate)
    withdraw_key = issuer.add_parser("withdraw-key", help="take a compromised key out of the published trust list")
    withdraw_key.add_argument("id")
    withdraw_key.add_argument("kid", help="the key id (16 hex digits)")
    withdraw_key.set_defaults(run=_issuer_withdraw_key)

    token = commands.add_parser("token", help="issuer and operator tokens").add_subparsers(
        required=True, metavar="ACTION"
    )
    owner_help = "an issuer id, or 'operator' for the operator's own tokens"
    create_token = token.add_parser("create", help="a further token; printed once")
    create_token.add_argument("issuer", help=owner_help)
    create_token.add_argument("--label", default="issuer token")
    create_token.set_defaults(run=_token_create)
    list_token = token.add_parser("list", help="the tokens, live and withdrawn (never their text)")
    list_token.add_argument("issuer", help=owner_help)
    list_token.set_defaults(run=_token_list)
    withdraw = token.add_parser("withdraw", help="withdraw a token: its next request fails")
    withdraw.add_argument("issuer", help=owner_help)
    withdraw.add_argument("token_id")
    withdraw.set_defaults(run=_token_withdraw)


def _issuer_create(args: argparse.Namespace, settings: Settings) -> int:
    record, token_id, token = open_registry(settings).create_issuer(
        CLI_ACTOR, IssuerInfo(args.id, args.name, args.name_en), datetime.now(UTC)
    )
    print(f"issuer {args.id}: key {record.kid_hex}\ntoken {token_id} (shown once): {token}")
    return 0


def _issuer_rotate(args: argparse.Namespace, settings: Settings) -> int:
    record = open_registry(settings).issuers.rotate_key(CLI_ACTOR, args.id, datetime.now(UTC))
    print(f"issuer {args.id}: new active key {record.kid_hex}; the old one stays, verify-only")
    return 0


def _issuer_withdraw_key(args: argparse.Namespace, settings: Settings) -> int:
    registry = open_registry(settings)
    replacement = registry.issuers.withdraw_key(CLI_ACTOR, args.id, args.kid.lower(), datetime.now(UTC))
    print(f"issuer {args.id}: key {args.kid.lower()} withdrawn; the published trust list no longer carries it")
    if replacement is not None:
        print(f"issuer {args.id}: new active key {replacement.kid_hex}")
    print("reissue the certificates it sealed; offline verifiers must fetch the trust list again")
    return 0


def _owner(given: str) -> str | None:
    """The issuer a token command is about; None for ``operator``."""
    return None if given == OPERATOR else given


def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    registry, at = open_registry(settings), datetime.now(UTC)
    issuer = _owner(args.issuer)
    if issuer is None:
        token_id, token = registry.tokens.create_operator(CLI_ACTOR, args.label, at)
    else:
        token_id, token = registry.tokens.create(CLI_ACTOR, issuer, args.label, at)
    print(f"token {token_id} for {args.issuer} (shown once): {token}")
    return 0


def _token_list(args: argparse.Namespace, settings: Settings) -> int:
    for entry in open_registry(settings).tokens.of(_owner(args.issuer)):
        state = f"withdrawn {entry['withdrawn_at']:%Y-%m-%d %H:%M}" if entry["withdrawn_at"] else "live"
        print(f"{entry['id']:<16} {entry['created_at']:%Y-%m-%d %H:%M}  {state:<26} {entry['label']}")
    return 0


def _token_withdraw(args: argparse.Namespace, settings: Settings) -> int:
    open_registry(settings).tokens.withdraw(CLI_ACTOR, _owner(args.issuer), args.token_id, datetime.now(UTC))
    print(f"token {args.token_id} withdrawn")
    return 0
