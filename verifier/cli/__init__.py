"""The command line: a thin face over the library. Only this layer reads the clock and the environment.

    verifier verify QR_TEXT|FILE.pdf|PHOTO.jpg --trust-list FILE [--operator-key PEM] [--at TIME] [--json]
                    [--max-age DAYS] [--state FILE]
    verifier keys create OWNER | keys rotate OWNER | keys public OWNER
    verifier seal CERT.json --issuer ID [--number N] [--png FILE] [--svg FILE] [--json]
    verifier trust-list build --issuers FILE [--out FILE] [--days DAYS]
    verifier serve [--host H] [--port P] [--workers N]
    verifier migrate | backup FILE
    verifier demo [--host H] [--port P] [--no-serve]
    verifier issuer create ID --name NAME --name-en NAME | issuer rotate-key ID | issuer withdraw-key ID KID
    verifier token create ISSUER|operator [--label L] | token list ISSUER|operator | token withdraw ISSUER|operator ID
    verifier issue-batch FILE.json|FILE.csv [--url URL] [--token TOKEN] [--json] [--quiet]
    verifier import FILE.xlsx|FILE.csv --mapping FILE.json|--mapping-name NAME [--dry-run] [--annotated OUT.xlsx]
                    [--url URL] [--token TOKEN] [--quiet]
    verifier conformance [--vectors DIR] -- COMMAND...
    verifier witness init --name NAME --key FILE | witness run --log URL [--log-key VKEY] --name NAME --key FILE
                    --state FILE [--every S] [--once]
    verifier log key | log status | log witness add VKEY [--party ID] | log witness withdraw NAME
    verifier user invite ISSUER|operator EMAIL --name NAME [--role R] | user list ISSUER|operator
                    | user disable ISSUER|operator USER_ID

Exit status: 0 for a ``valid`` verdict (or a command that did its work), 1 for any other verdict,
2 for a usage error or input the command cannot use (an unreadable file, a bad argument), 3 when
``verify`` refuses the trust list itself (not a trust list, not signed by a pinned operator key,
expired, older than ``--max-age``, or older than one ``--state`` has seen), 4 for an unexpected
error, 130 when interrupted (Ctrl-C), 141 when the output is closed early (``| head``). Every
failure is one line on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from verifier.cli import (
    batches,
    conformance,
    demo,
    imports,
    issuers,
    keys,
    logs,
    recognise,
    serve,
    trustlists,
    users,
    verify,
)
from verifier.cli.common import BROKEN_PIPE, INTERRUPTED, UNEXPECTED, UsageError
from verifier.config import load_settings
from verifier.errors import VerifierError

# The command groups, in the order --help lists them; each adds its commands with register().
GROUPS = (verify, keys, trustlists, serve, demo, issuers, users, batches, imports, conformance, recognise, logs)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status. Never a traceback: every failure is one line."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        return int(args.run(args, settings))
    except (UsageError, VerifierError, ValueError) as exc:
        print(f"verifier: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `verifier verify ... | head -1`: the reader went away; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
    except KeyboardInterrupt:
        print("verifier: interrupted", file=sys.stderr)
        return INTERRUPTED
    except OSError as exc:
        print(f"verifier: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the last net: a line a user can report, not a traceback
        print(f"verifier: unexpected error ({type(exc).__name__}): {exc}", file=sys.stderr)
        return UNEXPECTED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="verifier", description="Sealed product certificates.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    return parser
