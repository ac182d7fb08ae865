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

Exit status: 0 for a ``valid`` verdict (or a command that did its work), 1 for any other verdict,
2 for a usage error or input the command cannot use (an unreadable file, a bad argument), 3 when
``verify`` refuses the trust list itself (expired, older than ``--max-age``, or older than one
``--state`` has seen), 4 for an unexpected error, 130 when interrupted (Ctrl-C), 141 when the output
is closed early (``| head``). Every failure is one line on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from verifier import firstrun, logs
from verifier.check import verify, verify_cose
from verifier.config import Settings, load_settings
from verifier.errors import CertificateInvalid, VerifierError
from verifier.issuing import seal_certificate
from verifier.keys import KeyStore, load_public_key_pem, public_key_pem
from verifier.model import parse_certificate
from verifier.origins import check_public_url
from verifier.pdfread import FileRefused
from verifier.qr import qr_png, qr_svg
from verifier.result import VerificationResult
from verifier.store.database import make_engine, migrate, normalize_url, schema_revision
from verifier.store.registry import Registry
from verifier.trust import DEFAULT_MAX_AGE, DEFAULT_VALIDITY, TrustList, TrustListStale, build_trust_list, check_current
from verifier.uploads import read_bounded
from verifier.verdict import IssuerInfo, Verdict

OPERATOR = "operator"
TRUST_LIST_REFUSED = 3
UNEXPECTED = 4
INTERRUPTED = 130  # as a shell reports Ctrl-C
BROKEN_PIPE = 141  # as a shell reports SIGPIPE

_HEADLINES = {
    Verdict.VALID: "VALID: genuine and in force",
    Verdict.SUSPENDED: "SUSPENDED: genuine, but not in force at present",
    Verdict.REVOKED: "REVOKED: genuine, but withdrawn for good",
    Verdict.EXPIRED: "EXPIRED: genuine, but its validity period has ended",
    Verdict.NOT_YET_VALID: "NOT YET VALID: genuine, but its validity period has not begun",
    Verdict.INVALID: "INVALID: forged or altered, do not accept",
    Verdict.UNKNOWN_ISSUER: "UNKNOWN ISSUER: not signed by a trusted issuer key, do not accept",
    Verdict.UNREGISTERED: "UNREGISTERED: signed, but never issued by the registry, do not accept",
    Verdict.MALFORMED: "MALFORMED: not a certificate code",
}


class UsageError(Exception):
    """Input the command cannot use; printed without a traceback, exit status 2."""


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

    check = commands.add_parser("verify", help="check a certificate offline against a trust list")
    check.add_argument(
        "input", metavar="INPUT", help="the QR text, or a certificate PDF, or a photo or scan of one (PNG, JPEG)"
    )
    check.add_argument("--trust-list", required=True, type=Path, metavar="FILE", help="a signed trust list")
    check.add_argument(
        "--operator-key",
        type=Path,
        metavar="PEM",
        help="the operator's public key the trust list must be signed with (default: the operator "
        "keyring under VERIFIER_KEYS_DIR)",
    )
    check.add_argument("--at", type=_moment, metavar="TIME", help="check as of this ISO 8601 time (default: now)")
    check.add_argument(
        "--max-age",
        type=_days,
        default=DEFAULT_MAX_AGE,
        metavar="DAYS",
        help="refuse a trust list older than this many days (default 7)",
    )
    check.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="remember the highest trust list version accepted here, and refuse an older one (a replay)",
    )
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.set_defaults(run=_verify)

    keys = commands.add_parser("keys", help="Ed25519 keyrings under VERIFIER_KEYS_DIR").add_subparsers(
        required=True, metavar="ACTION"
    )
    create = keys.add_parser("create", help="a new keyring with one active key")
    create.add_argument("owner", help="an issuer id, or 'operator'")
    create.set_defaults(run=_keys_create)
    rotate = keys.add_parser("rotate", help="a new active key; the old one stays, verify-only")
    rotate.add_argument("owner")
    rotate.set_defaults(run=_keys_rotate)
    public = keys.add_parser("public", help="print the active public key as PEM")
    public.add_argument("owner")
    public.set_defaults(run=_keys_public)

    seal = commands.add_parser("seal", help="seal a certificate JSON with an issuer's active key")
    seal.add_argument("certificate", type=Path, metavar="CERT.json")
    seal.add_argument("--issuer", required=True, help="the issuer whose active key signs")
    seal.add_argument("--number", help="the certificate number, when the file has none")
    seal.add_argument("--png", type=Path, metavar="FILE", help="also write the QR code as PNG")
    seal.add_argument("--svg", type=Path, metavar="FILE", help="also write the QR code as SVG")
    seal.add_argument("--json", action="store_true", help="print the QR text, version and content as JSON")
    seal.set_defaults(run=_seal)

    trust = commands.add_parser("trust-list", help="signed trust lists").add_subparsers(required=True, metavar="ACTION")
    build = trust.add_parser("build", help="sign a trust list of issuers' keyrings with the operator key")
    build.add_argument(
        "--issuers", required=True, type=Path, metavar="FILE", help='JSON: [{"id", "name", "name_en"}, ...]'
    )
    build.add_argument("--out", type=Path, metavar="FILE", help="write here instead of standard output")
    build.add_argument(
        "--days", type=_days, default=DEFAULT_VALIDITY, metavar="DAYS",
        help="how long the list stays valid (its signed expires_at; default 30)",
    )  # fmt: skip
    build.set_defaults(run=_trust_build)

    serve = commands.add_parser("serve", help="run the service")
    _listen_options(serve)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(run=_serve)

    migrate_ = commands.add_parser("migrate", help="bring the database to this version's schema, then exit")
    migrate_.set_defaults(run=_migrate)

    backup = commands.add_parser("backup", help="copy the SQLite database while the service runs")
    backup.add_argument("destination", type=Path, metavar="FILE", help="a new file (never overwritten)")
    backup.set_defaults(run=_backup)

    demo = commands.add_parser("demo", help="a demo issuer and the reference certificates, then serve")
    _listen_options(demo)
    demo.add_argument("--no-serve", action="store_true", help="set up and print, but do not serve")
    demo.add_argument("--out", type=Path, metavar="DIR", help="where the PDFs go (default: DATA_DIR/demo)")
    demo.set_defaults(run=_demo)

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
    return parser


def _listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _store(settings: Settings) -> KeyStore:
    return KeyStore(settings.keys_dir, settings.key_passphrase)


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    if args.operator_key:
        operator_keys = [load_public_key_pem(_read(args.operator_key))]
    else:
        store = _store(settings)
        if not store.exists(OPERATOR):
            raise UsageError("no operator key to check the trust list with: pass --operator-key PEM")
        operator_keys = [k.public_key for k in store.keyring(OPERATOR).keys]
    trust_list = TrustList.from_document(_read(args.trust_list), operator_keys)
    at = args.at or datetime.now(UTC)
    try:
        check_current(trust_list, at, args.max_age, _seen_version(args.state))
    except TrustListStale as exc:
        print(f"verifier: {args.trust_list}: {exc}", file=sys.stderr)
        return TRUST_LIST_REFUSED
    if args.state:
        _remember_version(args.state, trust_list)
    result = _check_input(args.input, trust_list, at)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(_describe(result))
    return 0 if result.verdict is Verdict.VALID else 1


def _days(text: str) -> timedelta:
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not 0 < days <= 3650:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}")
    return timedelta(days=days)


def _seen_version(state: Path | None) -> int | None:
    """The highest trust list version recorded in ``state``, or None when there is no such file yet."""
    if state is None or not state.exists():
        return None
    try:
        version = json.loads(_read(state))["trust_list_version"]
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"{state} is not a state file this command wrote; remove it to start afresh") from None
    if type(version) is not int:
        raise UsageError(f"{state} is not a state file this command wrote; remove it to start afresh")
    return version


def _remember_version(state: Path, trust_list: TrustList) -> None:
    """Record the list's version in ``state`` (written whole, then renamed), unless a higher one is there."""
    seen = _seen_version(state)
    if seen is not None and seen >= trust_list.version:
        return
    entry = {"trust_list_version": trust_list.version, "issued_at": trust_list.issued_at.isoformat()}
    partial = state.with_name(state.name + ".partial")
    try:
        partial.write_text(json.dumps(entry) + "\n", "utf-8")
        partial.replace(state)
    except OSError as exc:
        raise UsageError(f"cannot write {state}: {exc.strerror}") from None


def _check_input(given: str, trust_list: TrustList, at: datetime) -> VerificationResult:
    """QR text, or a file: a certificate PDF (its embedded seal, else its QR code) or a photo or scan."""
    path = Path(given)
    suffix = path.suffix.lower()
    if suffix not in (".pdf", ".png", ".jpg", ".jpeg") or not path.is_file():
        return verify(given.strip(), trust_list, at)
    data = _read(path)
    try:  # in a worker process under the service's limits: the file may come from anyone
        found = read_bounded("pdf" if suffix == ".pdf" else "image", data)
    except FileRefused as exc:
        raise UsageError(f"{path}: {exc}") from None
    if found.seal is not None:
        return verify_cose(found.seal, trust_list, at)
    if not found.qr_texts:
        raise UsageError(f"{path}: no certificate seal and no QR code found")
    return verify(found.qr_texts[0], trust_list, at)


def _describe(result: VerificationResult) -> str:
    headline = _HEADLINES[result.verdict]
    status = result.status
    if status.trust_list_issued_at is not None and result.verdict is Verdict.VALID:
        # Offline nothing says whether the issuer has suspended or revoked it: never "in force".
        headline = f"GENUINE SEAL: status not checked (offline; trust list {_age(status.trust_list_age_seconds)} old)"
    lines = [
        headline,
        f"  reason:      {result.reason.value}" + (f" ({result.detail})" if result.detail else ""),
    ]
    sig = result.signature
    if sig.valid is not None or sig.kid:
        owner = f" of {sig.issuer.id} ({sig.issuer.name_en})" if sig.issuer else ""
        state = {True: "valid", False: "does NOT verify", None: "not checked"}[sig.valid]
        lines.append(f"  signature:   {state}, key {sig.kid}{owner}")
    if result.validity:
        v = result.validity
        lines.append(f"  validity:    {v.valid_from} to {v.valid_until} ({v.state.value.replace('_', ' ')})")
    if status.trust_list_issued_at is not None:
        lines.append(
            f"  status:      {status.state.value} (offline check; trust list of "
            f"{status.trust_list_issued_at:%Y-%m-%d %H:%M} UTC, {_age(status.trust_list_age_seconds)} old)"
        )
    cert = result.certificate
    if cert:
        lines.append(f"  certificate: {cert.number} ({cert.scheme.value}), sealed {cert.issued_at:%Y-%m-%d}")
        lines.append(f"  holder:      {cert.holder_name_en} (credit code {cert.credit_code})")
        for product in cert.products:
            lines.append(f"  product:     {product.name_en}: {', '.join(product.models)} (HS {product.hs_code})")
        lines.append(f"  standards:   {'; '.join(cert.standards)}")
        lines.append(f"  markets:     {' '.join(cert.markets)}")
        if cert.exemption:
            e = cert.exemption
            lines.append(
                f"  exemption:   {e.quantity} {e.unit.value}, {e.purpose.value}, {e.amount} {e.currency}, "
                f"port {e.port_of_entry}"
            )
    return "\n".join(lines)


def _age(seconds: int | None) -> str:
    """A trust list's age in words: minutes, hours or days."""
    seconds = max(0, seconds or 0)
    if seconds < 7200:
        return f"{seconds // 60} minutes"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} hours"
    return f"{seconds // 86400} days"


def _keys_create(args: argparse.Namespace, settings: Settings) -> int:
    ring = _store(settings).create(args.owner, datetime.now(UTC))
    print(f"created keyring {args.owner} in {settings.keys_dir}, active key {ring.active.kid_hex}")
    return 0


def _keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    ring = _store(settings).rotate(args.owner, datetime.now(UTC))
    print(
        f"rotated {args.owner}: active key {ring.active.kid_hex}; {len(ring.keys) - 1} retired key(s) stay verify-only"
    )
    return 0


def _keys_public(args: argparse.Namespace, settings: Settings) -> int:
    sys.stdout.write(public_key_pem(_store(settings).keyring(args.owner).active.public_key).decode("ascii"))
    return 0


def _seal(args: argparse.Namespace, settings: Settings) -> int:
    try:
        data: Any = json.loads(_read(args.certificate))
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"{args.certificate} is not JSON: {exc}") from None
    if args.number:
        if not isinstance(data, dict):
            raise UsageError(f"{args.certificate} does not hold a JSON object")
        data["number"] = args.number
    try:
        certificate = parse_certificate(data)
    except CertificateInvalid as exc:
        raise UsageError("the certificate is not valid:\n  " + "\n  ".join(str(e) for e in exc.errors)) from None
    if certificate.number is None:
        raise UsageError("the certificate has no number: add one to the file or pass --number")
    key = _store(settings).signing_key(args.issuer)
    sealed = seal_certificate(certificate, key, settings.public_url, datetime.now(UTC))
    if args.png:
        args.png.write_bytes(qr_png(sealed.qr_text))
    if args.svg:
        args.svg.write_bytes(qr_svg(sealed.qr_text))
    if args.json:
        out = {
            "qr": sealed.qr_text,
            "qr_version": sealed.qr_version,
            "kid": key.kid.hex(),
            "certificate": sealed.content.to_json(),
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(sealed.qr_text)
    return 0


def _trust_build(args: argparse.Namespace, settings: Settings) -> int:
    try:
        entries = json.loads(_read(args.issuers))
        infos = [IssuerInfo(str(e["id"]), str(e["name"]), str(e["name_en"])) for e in entries]
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise UsageError(f'{args.issuers} must be JSON: [{{"id", "name", "name_en"}}, ...] ({exc})') from None
    store = _store(settings)
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


CLI_ACTOR = firstrun.CLI_ACTOR


def _registry(settings: Settings) -> Registry:
    """The registry on the configured database, migrated, with the operator key made if missing."""
    engine = make_engine(settings.database)
    migrate(engine)
    registry = Registry(engine, _store(settings), settings.admin_token)
    registry.issuers.ensure_operator_key(datetime.now(UTC))
    return registry


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from verifier.api.protocol import server_options

    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    log_config = logs.configure(settings.log_level, _secrets(settings))
    if args.workers > 1:
        _metrics_folder(settings)
    _registry(settings)  # migrate once, before the workers start
    uvicorn.run(
        "verifier.api.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=log_config,
        **server_options(settings),
    )
    return 0


def _secrets(settings: Settings) -> list[str]:
    """The configured secrets, which no log line may show."""
    found = [settings.admin_token, settings.metrics_token]
    if settings.key_passphrase:
        found.append(settings.key_passphrase.decode("utf-8"))
    return [s for s in found if s]


# What prometheus_client names its files in a multiprocess folder: counter_123.db, gauge_livesum_123.db, ...
_PROMETHEUS_FILE = re.compile(r"(counter|gauge_[a-z]+|histogram|summary)_[0-9]+\.db")


def _metrics_folder(settings: Settings) -> None:
    """Several workers share their metrics through files: a folder of their own, cleared of the last run's.

    Only prometheus_client's own files are deleted; a folder that is (or holds) the data folder, the
    keys folder or the database is refused, since clearing it would lose them.
    """
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.data_dir / "metrics").resolve()
    database = make_url(normalize_url(settings.database)).database if settings.database.startswith("sqlite") else None
    guarded = [settings.data_dir.resolve(), settings.keys_dir.resolve()]
    if any(folder == g or g.is_relative_to(folder) for g in guarded) or (
        database and Path(database).resolve().parent == folder
    ):
        raise UsageError(
            f"PROMETHEUS_MULTIPROC_DIR={folder} is where the service keeps its data or keys; "
            "give the metrics a folder of their own"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        if _PROMETHEUS_FILE.fullmatch(stale.name) and stale.is_file():
            stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def _issuer_create(args: argparse.Namespace, settings: Settings) -> int:
    record, token_id, token = _registry(settings).create_issuer(
        CLI_ACTOR, IssuerInfo(args.id, args.name, args.name_en), datetime.now(UTC)
    )
    print(f"issuer {args.id}: key {record.kid_hex}\ntoken {token_id} (shown once): {token}")
    return 0


def _issuer_rotate(args: argparse.Namespace, settings: Settings) -> int:
    record = _registry(settings).issuers.rotate_key(CLI_ACTOR, args.id, datetime.now(UTC))
    print(f"issuer {args.id}: new active key {record.kid_hex}; the old one stays, verify-only")
    return 0


def _issuer_withdraw_key(args: argparse.Namespace, settings: Settings) -> int:
    registry = _registry(settings)
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
    registry, at = _registry(settings), datetime.now(UTC)
    issuer = _owner(args.issuer)
    if issuer is None:
        token_id, token = registry.tokens.create_operator(CLI_ACTOR, args.label, at)
    else:
        token_id, token = registry.tokens.create(CLI_ACTOR, issuer, args.label, at)
    print(f"token {token_id} for {args.issuer} (shown once): {token}")
    return 0


def _token_list(args: argparse.Namespace, settings: Settings) -> int:
    for entry in _registry(settings).tokens.of(_owner(args.issuer)):
        state = f"withdrawn {entry['withdrawn_at']:%Y-%m-%d %H:%M}" if entry["withdrawn_at"] else "live"
        print(f"{entry['id']:<16} {entry['created_at']:%Y-%m-%d %H:%M}  {state:<26} {entry['label']}")
    return 0


def _token_withdraw(args: argparse.Namespace, settings: Settings) -> int:
    _registry(settings).tokens.withdraw(CLI_ACTOR, _owner(args.issuer), args.token_id, datetime.now(UTC))
    print(f"token {args.token_id} withdrawn")
    return 0


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database)
    before = schema_revision(engine)
    migrate(engine)
    after = schema_revision(engine)
    engine.dispose()
    print(f"schema {after}" + (f" (was {before or 'empty'})" if before != after else " (already current)"))
    return 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.store.backup import backup_sqlite

    done = backup_sqlite(settings.database, args.destination)
    print(f"backed up {done.certificates} certificates to {done.destination} ({done.size / 2**20:.1f} MiB)")
    print(f"the private keys are not in it: back up {settings.keys_dir} apart")
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    """The newcomer's first run: demo data, its files and links, then the service itself."""
    from verifier.api.app import create_app

    if not os.environ.get("VERIFIER_PUBLIC_URL"):  # the links must reach this very server
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104 - compared, not bound
        settings = replace(settings, public_url=check_public_url(f"http://{host}:{args.port}"))
    log_config = logs.configure(settings.log_level, _secrets(settings))
    app = create_app(settings)
    services = app.state.services
    demo = firstrun.set_up(
        services.registry, services.pdfs, settings.public_url, args.out or settings.data_dir / "demo", datetime.now(UTC)
    )
    print(firstrun.describe(demo, _program()), flush=True)
    if args.no_serve:
        return 0
    import uvicorn

    from verifier.api.protocol import server_options

    uvicorn.run(app, host=args.host, port=args.port, log_config=log_config, **server_options(settings))
    return 0


def _program() -> str:
    """How the user can call this command again: the script's path when it was run as one."""
    script = Path(sys.argv[0])
    on_path = shutil.which("verifier")
    if script.name != "verifier" or (on_path and Path(on_path).resolve() == script.resolve()):
        return "verifier"
    return os.path.relpath(script)
