"""``verifier verify``: a certificate checked offline against a signed trust list, as a customs officer would.

Many at once (``--batch``) and verification reports: :mod:`verifier.cli.verifymany`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verifier.certificate.days import scheme_time
from verifier.cli.common import OPERATOR, TRUST_LIST_REFUSED, Commands, UsageError, days, key_store, moment, read_bytes
from verifier.cli.verifymany import batch_items, check_batch, check_report, report_in
from verifier.config import Settings
from verifier.errors import FileRefused, TrustListError
from verifier.verdict import StatusState, Verdict

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

if TYPE_CHECKING:
    from verifier.trust.trustlist import TrustList
    from verifier.verification.result import VerificationResult


def register(commands: Commands) -> None:
    """Add ``verify`` to the command line."""
    from verifier.trust.trustlist import DEFAULT_MAX_AGE

    check = commands.add_parser(
        "verify", help="check a certificate (or a batch of them) offline against a trust list, or a verification report"
    )
    what = check.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "input",
        metavar="INPUT",
        nargs="?",
        help="the QR text, or a certificate PDF, or a photo or scan of one (PNG, JPEG), or a certificate's "
        "credential (a .jwt file, or the enveloped .json); or a verification report (its PDF, .jwt or .json), "
        "checked with the operator's key alone",
    )
    what.add_argument(
        "--batch",
        type=Path,
        metavar="FILE",
        help="check every item of FILE instead: a QR text or credential a line (or a .json batch, "
        '{"items": [...]}); exit status 0 only when every item is valid',
    )
    check.add_argument("--trust-list", type=Path, metavar="FILE", help="a signed trust list (for certificates)")
    check.add_argument(
        "--operator-key",
        type=Path,
        metavar="PEM",
        help="the operator's public key the trust list must be signed with (default: the operator "
        "keyring under VERIFIER_KEYS_DIR)",
    )
    check.add_argument("--at", type=moment, metavar="TIME", help="check as of this ISO 8601 time (default: now)")
    check.add_argument(
        "--max-age",
        type=days,
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
    check.add_argument(
        "--status-list",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="a downloaded status list (/status/ISSUER/revocation/N and .../suspension/N, JWT or JSON) for the "
        "status offline of a credential, or of a seal that carries its status index; give both purposes",
    )
    check.add_argument(
        "--log-proof",
        type=Path,
        metavar="FILE",
        help="the certificate's proof of inclusion in the transparency log (C2SP tlog-proof; a PDF carries its "
        "own), checked against the log the trust list names",
    )
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.set_defaults(run=_verify)


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.credentials.check import StatusListRefused
    from verifier.trust.keys import load_public_key_pem
    from verifier.trust.trustlist import TrustList, check_current

    if args.operator_key:
        operator_keys = [load_public_key_pem(read_bytes(args.operator_key))]
    else:
        store = key_store(settings)
        if not store.exists(OPERATOR):
            raise UsageError("no operator key to check the trust list with: pass --operator-key PEM")
        operator_keys = [k.public_key for k in store.keyring(OPERATOR).keys]
    report = report_in(args.input) if args.input is not None else None
    if report is not None:
        return check_report(report, operator_keys, args.json)
    if args.trust_list is None:
        raise UsageError("checking a certificate needs --trust-list FILE (a signed trust list)")
    document, at, seen = read_bytes(args.trust_list), args.at or datetime.now(UTC), _seen_version(args.state)
    try:  # a list that is not one, not signed by a pinned key, expired, too old or replayed: refused (3)
        trust_list = TrustList.from_document(document, operator_keys)
        check_current(trust_list, at, args.max_age, seen)
    except TrustListError as exc:
        print(f"verifier: {args.trust_list}: {exc}", file=sys.stderr)
        return TRUST_LIST_REFUSED
    if args.state:
        _remember_version(args.state, trust_list)
    lists = tuple(_read_list(path) for path in args.status_list)
    proof = _read_proof(args.log_proof) if args.log_proof else None
    try:
        if args.batch is not None:
            return check_batch(batch_items(args.batch), trust_list, at, lists, args.json)
        result = _check_input(args.input, trust_list, at, lists, proof)
    except StatusListRefused as exc:
        raise UsageError(f"a status list: {exc}") from None
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(_describe(result))
    return 0 if result.verdict is Verdict.VALID else 1


def _seen_version(state: Path | None) -> int | None:
    """The highest trust list version recorded in ``state``, or None when there is no such file yet."""
    if state is None or not state.exists():
        return None
    try:
        version = json.loads(read_bytes(state))["trust_list_version"]
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


def _read_list(path: Path) -> str:
    """A downloaded status list file's text, size-checked before it is read."""
    from verifier.credentials.check import MAX_CREDENTIAL_CHARS

    if not path.is_file():
        raise UsageError(f"no file {path}")
    if path.stat().st_size > MAX_CREDENTIAL_CHARS:
        raise UsageError(f"{path}: a status list is limited to {MAX_CREDENTIAL_CHARS} bytes")
    return read_bytes(path).decode("utf-8", "replace")


def _read_proof(path: Path) -> bytes:
    """A log proof file's bytes, size-checked before it is read."""
    from verifier.tlog.proof import MAX_PROOF_BYTES

    if not path.is_file():
        raise UsageError(f"no file {path}")
    if path.stat().st_size > MAX_PROOF_BYTES:
        raise UsageError(f"{path}: a log proof is limited to {MAX_PROOF_BYTES} bytes")
    return read_bytes(path)


def _check_input(
    given: str, trust_list: TrustList, at: datetime, lists: tuple[str, ...] = (), proof: bytes | None = None
) -> VerificationResult:
    """QR text, or a file: a certificate PDF (its seal, else its QR code), a photo or scan, or a credential.

    A credential, or a seal that carries its status index, is checked against the downloaded status ``lists`` too;
    a seal's issuance against the log the trust list names, with the ``proof`` given or the one a PDF carries.
    """
    from verifier.credentials.check import MAX_CREDENTIAL_CHARS, verify_credential_offline, with_status_lists

    path = Path(given)
    suffix = path.suffix.lower()
    if suffix in (".jwt", ".json") and path.is_file():
        if path.stat().st_size > MAX_CREDENTIAL_CHARS:
            raise UsageError(f"{path}: a credential is limited to {MAX_CREDENTIAL_CHARS} bytes")
        data = read_bytes(path)
        return verify_credential_offline(data.decode("utf-8", "replace"), trust_list, at, lists)
    result, seal, recognitions, carried = _check_seal(given, path, suffix, trust_list, at)
    result = with_status_lists(result, trust_list, lists)
    if recognitions and seal is not None and result.signature.valid:
        result = replace(result, recognitions=tuple(_recognitions(recognitions, seal, result, trust_list, lists)))
    return _logged(result, seal, proof or carried, trust_list)


def _logged(
    result: VerificationResult, seal: bytes | None, proof: bytes | None, trust_list: TrustList
) -> VerificationResult:
    """The log's word (LOG-3 to LOG-9) on a seal that verified, when the trust list names a log."""
    from verifier.verification.logcheck import check_issuance

    if trust_list.log is None or result.signature.valid is not True or seal is None or result.signature.kid is None:
        return result
    return replace(result, log=check_issuance(proof, seal, bytes.fromhex(result.signature.kid), trust_list.log))


def _check_seal(
    given: str, path: Path, suffix: str, trust_list: TrustList, at: datetime
) -> tuple[VerificationResult, bytes | None, tuple[bytes, ...], bytes | None]:
    """QR text, or the seal of a certificate PDF (else its QR code), a photo or a scan.

    With the verdict: the seal's COSE bytes (None when the text holds none), the recognition seals the
    file carries (an annex's) and the log proof it carries.
    """
    from verifier.uploads.readers import read_bounded
    from verifier.verification.check import verify, verify_cose

    if suffix not in (".pdf", ".png", ".jpg", ".jpeg") or not path.is_file():
        return verify(given, trust_list, at), _seal_of(given, trust_list), (), None  # the check trims white space
    data = read_bytes(path)
    try:  # in a worker process under the service's limits: the file may come from anyone
        found = read_bounded("pdf" if suffix == ".pdf" else "image", data)
    except FileRefused as exc:
        raise UsageError(f"{path}: {exc}") from None
    if found.seal is not None:
        return verify_cose(found.seal, trust_list, at), found.seal, found.recognitions, found.log_proof
    if not found.qr_texts:
        raise UsageError(f"{path}: no certificate seal and no QR code found")
    text = found.qr_texts[0]
    return verify(text, trust_list, at), _seal_of(text, trust_list), (), found.log_proof


def _seal_of(text: str, trust_list: TrustList) -> bytes | None:
    """The COSE bytes a QR text holds (None when it holds none: its verdict says why)."""
    from verifier.errors import VerifierError
    from verifier.seal.cose import decode_text

    try:
        return decode_text(text.strip(), trust_list.origins)
    except VerifierError:
        return None


def _recognitions(
    coses: tuple[bytes, ...], seal: bytes, result: VerificationResult, trust_list: TrustList, lists: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The recognition seals a file carries, each checked offline; their own status from the bodies' lists given."""
    from verifier.credentials.check import listed_state
    from verifier.verification.recognition import carried

    def status_of(party_id: str, index: int) -> tuple[StatusState, datetime] | None:
        return listed_state(party_id, index, trust_list, lists, result.checked_at) if lists else None

    return carried(coses, seal, result.verdict, trust_list.recognisers, result.checked_at, status_of)


def _describe(result: VerificationResult) -> str:
    headline = _HEADLINES[result.verdict]
    status = result.status
    listed = status.trust_list_issued_at is not None and status.as_of is not None  # offline, with status lists
    if status.trust_list_issued_at is not None and result.verdict is Verdict.VALID and not listed:
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
    if listed and status.as_of is not None:
        lines.append(f"  status:      {status.state.value} (from the downloaded status lists, changed last "
                     f"{scheme_time(status.as_of)})")  # fmt: skip
    elif status.trust_list_issued_at is not None:
        lines.append(
            f"  status:      {status.state.value} (offline check; trust list of "
            f"{scheme_time(status.trust_list_issued_at)}, {_age(status.trust_list_age_seconds)} old)"
        )
    cert = result.certificate
    if cert:
        lines.append(f"  certificate: {cert.number} ({cert.scheme.value}), sealed {scheme_time(cert.issued_at)}")
        lines.append(f"  holder:      {cert.holder_name_en} (unified social credit code {cert.credit_code})")
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
    lines.extend(_recognition_line(r) for r in result.recognitions)
    if result.log is not None:
        lines.append(f"  log:         {result.log.state.value.replace('_', '-')} ({result.log.detail})")
    return "\n".join(lines)


def _recognition_line(shown: dict[str, Any]) -> str:
    """One recognition the file carries: its verdict, by whom, for which markets, and what its status rests on."""
    body = shown["recogniser"]
    who = f"{body['name_en']} ({body['country']})" if body else "an unknown body"
    verdict = shown["verdict"].upper().replace("_", " ")
    if shown["verdict"] == "valid" and shown["status"] is None:
        verdict = "GENUINE"  # offline, without the body's lists, nothing says it was not suspended or revoked
    if shown["verdict"] in ("valid", "not_yet_valid", "lapsed", "revoked", "suspended", "expired"):
        said = (f"for {' '.join(shown['markets'])} by {who}, their number {shown['number']}, "
                f"{shown['valid_from']} to {shown['valid_until']}, signature verified")  # fmt: skip
        status = shown["status"]
        said += "; status from the body's status lists" if status else "; its status not checked (offline)"
    else:
        said = f"{who}: {shown['detail']}"
    return f"  recognised:  {verdict} {said}"


def _age(seconds: int | None) -> str:
    """A trust list's age in words: minutes, hours or days."""
    seconds = max(0, seconds or 0)
    if seconds < 120:
        return "1 minute" if seconds >= 60 else f"{seconds} seconds"
    if seconds < 7200:
        return f"{seconds // 60} minutes"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} hours"
    return f"{seconds // 86400} days"
