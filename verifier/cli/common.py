"""What every command shares: exit statuses, usage errors, argument types, the keys folder and the registry."""

from __future__ import annotations

import argparse
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from verifier.config import PORT, Settings

# What add_subparsers() returns (argparse gives it no public name): each command group adds to it.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
OPERATOR = "operator"
TRUST_LIST_REFUSED = 3
UNEXPECTED = 4
INTERRUPTED = 130  # as a shell reports Ctrl-C
BROKEN_PIPE = 141  # as a shell reports SIGPIPE

if TYPE_CHECKING:
    from verifier.store.registry import Registry
    from verifier.trust.keys import KeyStore


class UsageError(Exception):
    """Input the command cannot use; printed without a traceback, exit status 2."""


def help_text(doc: str | None, rest: bool = False) -> str | None:
    """A module docstring's second paragraph (``rest``: everything after the first) as ``--help`` prints it.

    The reStructuredText markup (double back quotes, roles such as ``:func:``) is taken out: a terminal
    shows it as it is.
    """
    if not doc or "\n\n" not in doc:
        return None
    parts = doc.split("\n\n")
    text = "\n\n".join(parts[1:]) if rest else parts[1]
    return re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", text).replace("``", "")


def listen_options(parser: argparse.ArgumentParser) -> None:
    """``--host`` and ``--port``, for the commands that serve."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=port, default=os.environ.get(PORT.variable, PORT.default),  # a string: argparse checks it
        help=f"port (default: {PORT.variable}, else {PORT.default})",
    )  # fmt: skip


def port(text: str) -> int:
    """A TCP port argument (or VERIFIER_PORT): 1 to 65535."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a port (1 to 65535): {text!r}")
    return int(text)


def moment(text: str) -> datetime:
    """An ISO 8601 time argument; one without a zone is UTC."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def days(text: str) -> timedelta:
    """A number of days argument, more than 0 and at most ten years."""
    try:
        count = float(text)
    except ValueError:
        count = -1.0
    if not 0 < count <= 3650:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}")
    return timedelta(days=count)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or a :class:`UsageError` naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def key_store(settings: Settings) -> KeyStore:
    """The configured keys folder."""
    from verifier.trust.keys import KeyStore

    return KeyStore(settings.keys_dir, settings.key_passphrase)


def open_registry(settings: Settings) -> Registry:
    """The registry on the configured database, migrated, with the operator key made if missing."""
    from verifier.store.database import make_engine, migrate
    from verifier.store.registry import Registry

    engine = make_engine(settings.database)
    migrate(engine)
    registry = Registry(engine, key_store(settings), settings.admin_token)
    registry.issuers.ensure_operator_key(datetime.now(UTC))
    return registry


def configured_secrets(settings: Settings) -> list[str]:
    """The configured secrets, which no log line may show."""
    found = [settings.admin_token, settings.metrics_token]
    if settings.key_passphrase:
        found.append(settings.key_passphrase.decode("utf-8"))
    return [s for s in found if s]
