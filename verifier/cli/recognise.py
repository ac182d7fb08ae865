"""``verifier recognise``: a partner body signs its recognition of a certificate offline, with its own key.

The body's private key never has to leave it: the recognition seal (section 11 of docs/spec/seal.md) is
made here from the certificate's exact seal (its link, or its PDF) and handed over as a file. Check the
certificate first (``verifier verify``): a recognition names these very bytes, genuine or not.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path

from verifier.cli.common import Commands, UsageError, read_bytes
from verifier.config import Settings
from verifier.errors import CheckFailed, FileRefused, KeyStoreError


def register(commands: Commands) -> None:
    """Add ``recognise`` to the command line."""
    recognise = commands.add_parser(
        "recognise", help="sign a recognition of a certificate for markets with a partner body's own key"
    )
    recognise.add_argument("certificate", metavar="QR-TEXT|FILE", help="the certificate's link, or its PDF")
    recognise.add_argument("--key", type=Path, required=True, metavar="FILE", help="the body's private key (PEM)")
    recognise.add_argument("--number", required=True, help="the body's own certificate number")
    recognise.add_argument("--markets", required=True, help="ISO 3166-1 alpha-2 codes, comma-separated: DE,FR")
    recognise.add_argument("--basis", action="append", required=True, metavar="TEXT",
                           help="a standard or national deviation assessed (repeat for each, up to 10)")  # fmt: skip
    recognise.add_argument("--valid-from", type=date.fromisoformat, help="default: the certificate's")
    recognise.add_argument("--valid-until", type=date.fromisoformat, help="default: the certificate's")
    recognise.add_argument("--status-index", type=int, help="its place in the body's own status lists")
    recognise.add_argument("--out", type=Path, required=True, metavar="FILE", help="where the recognition goes")
    recognise.set_defaults(run=_recognise)


def _recognise(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.seal.claims import ClaimsError, claims_from_cbor
    from verifier.seal.cose import decode_cose
    from verifier.seal.recognition import Recognition, base_digest, recognition_from_cbor, seal_recognition
    from verifier.trust.keys import load_private_key_pem, new_signing_key

    now = datetime.now(UTC).replace(microsecond=0)
    base_cose = _base_seal(args.certificate)
    try:
        base = claims_from_cbor(decode_cose(base_cose).payload)
        key = new_signing_key(now, load_private_key_pem(read_bytes(args.key), settings.key_passphrase))
    except (CheckFailed, ClaimsError) as exc:
        raise UsageError(f"not a certificate's seal: {exc}") from None
    except KeyStoreError as exc:
        raise UsageError(f"{args.key}: {exc}") from None
    markets = tuple(m.strip().upper() for m in args.markets.split(",") if m.strip())
    content = Recognition(base_digest(base_cose), args.number, markets, tuple(args.basis),
                          args.valid_from or base.valid_from, args.valid_until or base.valid_until, now,
                          args.status_index)  # fmt: skip
    if content.valid_from < base.valid_from or content.valid_until > base.valid_until:
        raise UsageError(
            f"a recognition lies within the certificate's validity ({base.valid_from} to {base.valid_until})"
        )
    try:
        cose = seal_recognition(content, key)
        recognition_from_cbor(decode_cose(cose).payload)  # what a verifier reads: refuse here what it would refuse
    except (ClaimsError, CheckFailed) as exc:
        raise UsageError(f"the recognition is not well formed: {exc}") from None
    args.out.write_bytes(cose)
    shown = {"file": str(args.out), "bytes": len(cose), "kid": key.record.kid_hex, "certificate": base.number,
             "recognition": content.to_json()}  # fmt: skip
    print(json.dumps(shown, ensure_ascii=False, indent=2))
    return 0


def _base_seal(given: str) -> bytes:
    """The certificate's exact seal: from its link (the last path segment), or from its PDF."""
    from verifier.seal.cose import decode_segment
    from verifier.uploads.readers import read_bounded

    path = Path(given)
    if path.suffix.lower() == ".pdf" and path.is_file():
        try:  # in a worker process under the service's limits: the file may come from anyone
            found = read_bounded("pdf", read_bytes(path))
        except FileRefused as exc:
            raise UsageError(f"{path}: {exc}") from None
        if found.seal is not None:
            return found.seal
        if not found.qr_texts:
            raise UsageError(f"{path}: no certificate seal and no QR code found")
        given = found.qr_texts[0]
    try:
        return decode_segment(given.strip().rsplit("/", 1)[-1])
    except CheckFailed as exc:
        raise UsageError(f"not a certificate link: {exc}") from None
