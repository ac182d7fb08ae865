"""``verifier issuer`` and ``verifier token``: issuers registered, their keys rotated or withdrawn, tokens."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verifier.cli.common import OPERATOR, Commands, UsageError, open_registry, read_bytes
from verifier.config import Settings
from verifier.verdict import IssuerInfo

LETTERHEAD_HELP = {
    "address": "the issuer's address in Chinese",
    "address_en": "the issuer's address in English",
    "contact": "telephone, e-mail or web address, as printed",
    "accreditation": "the accreditation number (e.g. CNAS C123-P)",
    "signatory": "the authorised signatory's name",
    "signatory_title": "the signatory's title in Chinese",
    "signatory_title_en": "the signatory's title in English",
}

if TYPE_CHECKING:
    from verifier.paper.letterhead import Letterhead


def _letterhead_options(parser: argparse.ArgumentParser, clearing: bool) -> None:
    from verifier.paper.letterhead import DETAILS

    for name in DETAILS:
        help_text = LETTERHEAD_HELP[name] + ("; an empty string clears it" if clearing else "")
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, help=help_text)


def _given(args: argparse.Namespace) -> dict[str, str]:
    """The letterhead fields given on the command line, each a single line."""
    from verifier.paper.letterhead import DETAILS

    given = {name: getattr(args, name).strip() for name in DETAILS if getattr(args, name) is not None}
    for name, value in given.items():
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise UsageError(f"--{name.replace('_', '-')}: one line of text, without control characters")
    return given


def _terms_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--country", help="ISO 3166-1 alpha-2 code of where the body is (default CN)")
    parser.add_argument("--roles", help="issue, recognise, or issue,recognise (default issue)")
    parser.add_argument("--markets", help="a recognising body's remit: the markets, comma-separated (DE,FR)")
    parser.add_argument("--schemes", help="a recognising body's remit: the schemes, comma-separated")


def _codes(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(c.strip() for c in text.split(",") if c.strip())


def _public_key(path: Path | None) -> Any:
    from verifier.trust.keys import load_public_key_pem

    return None if path is None else load_public_key_pem(read_bytes(path))


def register(commands: Commands) -> None:
    """Add ``issuer`` and ``token`` to the command line."""
    from verifier.paper.stamps import MAX_STAMP_BYTES

    issuer = commands.add_parser("issuer", help="register issuers and rotate their keys").add_subparsers(
        required=True, metavar="ACTION"
    )
    create_issuer = issuer.add_parser("create", help="register an issuer; prints its first token once")
    create_issuer.add_argument("id", help="a slug: lower case letters, digits and hyphens")
    create_issuer.add_argument("--name", required=True, help="the name in Chinese")
    create_issuer.add_argument("--name-en", required=True, help="the name in English")
    _letterhead_options(create_issuer, clearing=False)
    _terms_options(create_issuer)
    create_issuer.add_argument("--public-key", type=Path, metavar="PEM",
                               help="the body keeps its private key and signs elsewhere: its public key")  # fmt: skip
    create_issuer.set_defaults(run=_issuer_create)
    terms = issuer.add_parser("terms", help="show or change a party's country, roles and remit")
    terms.add_argument("id")
    _terms_options(terms)
    terms.set_defaults(run=_issuer_terms)
    show_issuer = issuer.add_parser("show", help="what the issuer's certificates print of it")
    show_issuer.add_argument("id")
    show_issuer.set_defaults(run=_issuer_show)
    update_issuer = issuer.add_parser("update", help="set the letterhead the issuer's certificates print")
    update_issuer.add_argument("id")
    _letterhead_options(update_issuer, clearing=True)
    update_issuer.set_defaults(run=_issuer_update)
    stamp = issuer.add_parser("stamp", help=f"set the stamp image (PNG or SVG, {MAX_STAMP_BYTES // 1024} KB at most)")
    stamp.add_argument("id")
    which = stamp.add_mutually_exclusive_group(required=True)
    which.add_argument("file", nargs="?", type=Path, help="a PNG, or an SVG that only draws")
    which.add_argument("--remove", action="store_true", help="remove the stamp")
    stamp.set_defaults(run=_issuer_stamp)
    rotate_issuer = issuer.add_parser("rotate-key", help="a new signing key; old certificates stay valid")
    rotate_issuer.add_argument("id")
    rotate_issuer.add_argument("--public-key", type=Path, metavar="PEM",
                               help="for a body that keeps its keys: its new key's public half")  # fmt: skip
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
    from verifier.store.parties import PartyTerms
    from verifier.store.records import CLI_ACTOR

    terms = PartyTerms(args.country or "CN", _codes(args.roles) or ("issue",), _codes(args.markets) or (),
                       _codes(args.schemes) or ())  # fmt: skip
    record, token_id, token = open_registry(settings).create_issuer(
        CLI_ACTOR, IssuerInfo(args.id, args.name, args.name_en), datetime.now(UTC), _given(args), terms,
        _public_key(args.public_key),
    )  # fmt: skip
    kept = "" if args.public_key is None else " (its private key stays with it)"
    roles = "/".join(terms.checked().roles)
    print(f"{roles} {args.id}: key {record.kid_hex}{kept}\ntoken {token_id} (shown once): {token}")
    return 0


def _issuer_terms(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.store.records import CLI_ACTOR

    registry = open_registry(settings)
    given = {"country": args.country, "roles": _codes(args.roles), "markets": _codes(args.markets),
             "schemes": _codes(args.schemes)}  # fmt: skip
    if all(v is None for v in given.values()):
        party = registry.parties.get(args.id)
    else:
        party = registry.parties.change(CLI_ACTOR, args.id, datetime.now(UTC), **given)
        print("the published trust list says so from now on (its version went up)")
    for name, value in party.shown().items():
        shown = ", ".join(value) if isinstance(value, list) else value
        if isinstance(value, dict):
            shown = "; ".join(f"{k} {', '.join(v)}" for k, v in value.items())
        print(f"{name:<14} {shown}")
    return 0


def _print_letterhead(letterhead: Letterhead) -> None:
    from verifier.paper.letterhead import DETAILS

    print(f"{'id':<20} {letterhead.id}\n{'name':<20} {letterhead.name}\n{'name_en':<20} {letterhead.name_en}")
    for name in DETAILS:
        print(f"{name:<20} {getattr(letterhead, name) or '-'}")
    stamp = letterhead.stamp
    shown = f"{stamp.media_type}, {len(stamp.data)} bytes, sha256 {stamp.sha256.hex()}" if stamp else "-"
    print(f"{'stamp':<20} {shown}")


def _issuer_show(args: argparse.Namespace, settings: Settings) -> int:
    _print_letterhead(open_registry(settings).issuers.letterhead(args.id))
    return 0


def _issuer_update(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.paper.letterhead import DETAILS
    from verifier.store.records import CLI_ACTOR

    given = _given(args)
    if not given:
        raise UsageError(
            "nothing to set: give at least one of " + ", ".join(f"--{n.replace('_', '-')}" for n in DETAILS)
        )
    _print_letterhead(open_registry(settings).issuers.update_letterhead(CLI_ACTOR, args.id, given, datetime.now(UTC)))
    print("certificates issued from now on print this; those issued before keep their paper")
    return 0


def _issuer_stamp(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.paper.stamps import MAX_STAMP_BYTES, checked_stamp
    from verifier.store.records import CLI_ACTOR

    registry = open_registry(settings)
    if args.remove:
        registry.issuers.set_stamp(CLI_ACTOR, args.id, None, datetime.now(UTC))
        print(f"issuer {args.id}: stamp removed")
        return 0
    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"no file {path}")
    with path.open("rb") as file:
        stamp = checked_stamp(file.read(MAX_STAMP_BYTES + 1))
    registry.issuers.set_stamp(CLI_ACTOR, args.id, stamp, datetime.now(UTC))
    print(f"issuer {args.id}: stamp set ({stamp.media_type}, {len(stamp.data)} bytes)")
    return 0


def _issuer_rotate(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.store.records import CLI_ACTOR

    public = _public_key(args.public_key)
    record = open_registry(settings).issuers.rotate_key(CLI_ACTOR, args.id, datetime.now(UTC), public)
    print(f"issuer {args.id}: new active key {record.kid_hex}; the old one stays, verify-only")
    return 0


def _issuer_withdraw_key(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.store.records import CLI_ACTOR

    registry = open_registry(settings)
    replacement = registry.issuers.withdraw_key(CLI_ACTOR, args.id, args.kid.lower(), datetime.now(UTC))
    print(f"issuer {args.id}: key {args.kid.lower()} withdrawn; the published trust list no longer carries it")
    if replacement is not None:
        print(f"issuer {args.id}: new active key {replacement.kid_hex}")
    print("reissue the certificates it sealed; offline verifiers must fetch the trust list again")
    pem = settings.keys_dir / args.id / f"{args.kid.lower()}.pem"
    if pem.exists():
        print(
            f"its private key file {pem} is never used again: move it out of the keys folder to your record "
            "of the incident (or delete it), and never restore it from a backup"
        )
    return 0


def _owner(given: str) -> str | None:
    """The issuer a token command is about; None for ``operator``."""
    return None if given == OPERATOR else given


def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.store.records import CLI_ACTOR

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
    from verifier.store.records import CLI_ACTOR

    open_registry(settings).tokens.withdraw(CLI_ACTOR, _owner(args.issuer), args.token_id, datetime.now(UTC))
    print(f"token {args.token_id} withdrawn")
    return 0
