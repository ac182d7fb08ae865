"""``verifier keys`` and ``verifier seal``: keyrings in the keys folder, and a certificate sealed with one."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from verifier.cli.common import Commands, UsageError, key_store, read_bytes
from verifier.config import Settings
from verifier.errors import CertificateInvalid


def register(commands: Commands) -> None:
    """Add ``keys`` and ``seal`` to the command line."""
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


def _keys_create(args: argparse.Namespace, settings: Settings) -> int:
    ring = key_store(settings).create(args.owner, datetime.now(UTC))
    print(f"created keyring {args.owner} in {settings.keys_dir}, active key {ring.active.kid_hex}")
    return 0


def _keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    ring = key_store(settings).rotate(args.owner, datetime.now(UTC))
    print(
        f"rotated {args.owner}: active key {ring.active.kid_hex}; {len(ring.keys) - 1} retired key(s) stay verify-only"
    )
    return 0


def _keys_public(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.trust.keys import public_key_pem

    sys.stdout.write(public_key_pem(key_store(settings).keyring(args.owner).active.public_key).decode("ascii"))
    return 0


def _seal(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.certificate.model import parse_certificate
    from verifier.issuing.recipe import seal_certificate
    from verifier.paper.qr import qr_png, qr_svg

    try:
        data: Any = json.loads(read_bytes(args.certificate))
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
    key = key_store(settings).signing_key(args.issuer)
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
