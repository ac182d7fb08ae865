"""The command line: a thin face over the library. Only this layer reads the clock and the environment.

    verifier verify QR_TEXT --trust-list FILE [--operator-key PEM] [--at TIME] [--json]
    verifier keys create OWNER | keys rotate OWNER | keys public OWNER
    verifier seal CERT.json --issuer ID [--number N] [--png FILE] [--svg FILE] [--json]
    verifier trust-list build --issuers FILE [--out FILE]
    verifier demo

Exit status: 0 for a ``valid`` verdict (or a command that did its work), 1 for any other verdict,
2 for a usage error or input the command cannot use.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from verifier.check import verify
from verifier.config import Settings, load_settings
from verifier.errors import CertificateInvalid, VerifierError
from verifier.issuing import seal_certificate
from verifier.keys import KeyStore, load_public_key_pem, public_key_pem
from verifier.model import parse_certificate
from verifier.qr import qr_png, qr_svg
from verifier.trust import TrustList, build_trust_list
from verifier.verdict import IssuerInfo, Verdict, VerificationResult

OPERATOR = "operator"
DEMO_ISSUER = IssuerInfo("demo-cert", "浙江制造认证联盟（演示）", "Zhejiang Made Certification Alliance (DEMO)")

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
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        return int(args.run(args, settings))
    except (UsageError, VerifierError, ValueError) as exc:
        print(f"verifier: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="verifier", description="Sealed product certificates.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    check = commands.add_parser("verify", help="check a scanned QR text offline against a trust list")
    check.add_argument("input", metavar="QR_TEXT", help="the text the QR code holds")
    check.add_argument("--trust-list", required=True, type=Path, metavar="FILE", help="a signed trust list")
    check.add_argument(
        "--operator-key",
        type=Path,
        metavar="PEM",
        help="the operator's public key the trust list must be signed with (default: the operator "
        "keyring under VERIFIER_KEYS_DIR)",
    )
    check.add_argument("--at", type=_moment, metavar="TIME", help="check as of this ISO 8601 time (default: now)")
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
    build.set_defaults(run=_trust_build)

    demo = commands.add_parser("demo", help="seal the demo certificates, write their QR codes and check them")
    demo.set_defaults(run=_demo)
    return parser


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
    result = verify(args.input.strip(), trust_list, args.at or datetime.now(UTC))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(_describe(result))
    return 0 if result.verdict is Verdict.VALID else 1


def _describe(result: VerificationResult) -> str:
    lines = [
        _HEADLINES[result.verdict],
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
    status = result.status
    if status.trust_list_issued_at is not None:
        days = (status.trust_list_age_seconds or 0) // 86400
        lines.append(
            f"  status:      {status.state.value} (offline check; trust list of "
            f"{status.trust_list_issued_at:%Y-%m-%d %H:%M} UTC, {days} days old)"
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
        [(info, store.keyring(info.id)) for info in infos], [settings.public_url], datetime.now(UTC)
    )
    document = trust_list.to_document(store.signing_key(OPERATOR))
    if args.out:
        args.out.write_bytes(document)
        print(
            f"wrote {args.out}: {len(infos)} issuer(s), signed by operator key {store.keyring(OPERATOR).active.kid_hex}"
        )
    else:
        sys.stdout.buffer.write(document)
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    """Keys, a trust list, and the packaged demo certificates sealed, drawn as QR codes and checked."""
    now = datetime.now(UTC)
    store = _store(settings)
    for owner in (OPERATOR, DEMO_ISSUER.id):
        if not store.exists(owner):
            store.create(owner, now)
    out = settings.data_dir / "demo"
    out.mkdir(parents=True, exist_ok=True)
    trust_list = build_trust_list([(DEMO_ISSUER, store.keyring(DEMO_ISSUER.id))], [settings.public_url], now)
    (out / "trust-list.json").write_bytes(trust_list.to_document(store.signing_key(OPERATOR)))
    (out / "operator.pub.pem").write_bytes(public_key_pem(store.keyring(OPERATOR).active.public_key))
    key = store.signing_key(DEMO_ISSUER.id)
    print(f"keys in {settings.keys_dir}/, trust list and QR codes in {out}/\n")
    for name, data in demo_certificates():
        sealed = seal_certificate(parse_certificate(data), key, settings.public_url, now)
        (out / f"{name}.png").write_bytes(qr_png(sealed.qr_text))
        (out / f"{name}.svg").write_bytes(qr_svg(sealed.qr_text))
        (out / f"{name}.qr.txt").write_text(sealed.qr_text + "\n", "ascii")
        result = verify(sealed.qr_text, trust_list, now)
        print(f"{name:34} QR version {sealed.qr_version:2}  {result.verdict.value:14} {out / name}.png")
    print("\nCheck one yourself, offline (try the expired exemption too):")
    print(
        f'  {_program()} verify "$(cat {out}/zhejiang-made-kettle.qr.txt)" --trust-list {out}/trust-list.json '
        f"--operator-key {out}/operator.pub.pem"
    )
    return 0


def _program() -> str:
    """How the user can call this command again: the script's path when it was run as one."""
    script = Path(sys.argv[0])
    return os.path.relpath(script) if script.name == "verifier" else "verifier"


def demo_certificates() -> list[tuple[str, Any]]:
    """The demo certificates shipped with the package (copies of the reference certificates)."""
    folder = resources.files("verifier") / "demo"
    return [
        (entry.name.removesuffix(".json"), json.loads(entry.read_text("utf-8")))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]
