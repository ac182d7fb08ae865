"""``verifier trust-list``: a trust list of issuers' keyrings, signed with the operator key."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from verifier.cli.common import OPERATOR, Commands, UsageError, days, key_store, read_bytes
from verifier.config import Settings
from verifier.verdict import IssuerInfo


def register(commands: Commands) -> None:
    """Add ``trust-list`` to the command line."""
    from verifier.trust.trustlist import DEFAULT_VALIDITY

    trust = commands.add_parser("trust-list", help="signed trust lists").add_subparsers(required=True, metavar="ACTION")
    build = trust.add_parser("build", help="sign a trust list of issuers' keyrings with the operator key")
    build.add_argument(
        "--issuers", required=True, type=Path, metavar="FILE", help='JSON: [{"id", "name", "name_en"}, ...]'
    )
    build.add_argument("--out", type=Path, metavar="FILE", help="write here instead of standard output")
    build.add_argument(
        "--days", type=days, default=DEFAULT_VALIDITY, metavar="DAYS",
        help="how long the list stays valid (its signed expires_at; default 30)",
    )  # fmt: skip
    build.set_defaults(run=_trust_build)


def _trust_build(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.trust.trustlist import build_trust_list

    try:
        entries = json.loads(read_bytes(args.issuers))
        infos = [IssuerInfo(str(e["id"]), str(e["name"]), str(e["name_en"])) for e in entries]
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise UsageError(f'{args.issuers} must be JSON: [{{"id", "name", "name_en"}}, ...] ({exc})') from None
    store = key_store(settings)
    trust_list = build_trust_list(
        [(info, store.keyring(info.id)) for info in infos], [settings.public_url], datetime.now(UTC),
        validity=args.days,
    )  # fmt: skip
    document = trust_list.to_document(store.signing_key(OPERATOR))
    if args.out:
        args.out.write_bytes(document)
        print(
            f"wrote {args.out}: {len(infos)} issuer(s), signed by operator key {store.keyring(OPERATOR).active.kid_hex}"
        )
    else:
        sys.stdout.buffer.write(document)
    return 0
