"""``verifier verify`` of many at once (``--batch FILE``), and of a verification report (its PDF or its JWT).

A batch file holds one item a line: a QR text, a credential's JWT, or an enveloped credential's JSON on
one line (a ``.json`` file may instead hold ``{"items": [...]}`` as the service's batch takes it, QR texts
and credentials). Each is checked offline as ``verifier verify`` checks one; a line each is printed, or
with ``--json`` one document; the exit status is 0 only when every item is valid.

A report is checked with the operator's keys alone: genuine (signed by the operator, unaltered) or not,
and what it says.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from verifier.certificate.days import scheme_time
from verifier.cli.common import UsageError, read_bytes
from verifier.times import parse_time
from verifier.verdict import Verdict

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from verifier.trust.trustlist import TrustList
    from verifier.verification.result import VerificationResult

MAX_BATCH_FILE = 50 * 1024 * 1024
MAX_LINES = 100_000
REPORT_SUFFIXES = (".pdf", ".jwt", ".json")


def report_in(given: str) -> str | None:
    """The signed report ``given`` names (a report's PDF, or its .jwt / enveloped .json), or None when it is none."""
    from verifier.credentials.report import is_report
    from verifier.errors import FileRefused
    from verifier.paper.reportfile import MAX_REPORT_BYTES
    from verifier.uploads.readers import read_bounded

    path = Path(given)
    if path.suffix.lower() not in REPORT_SUFFIXES or not path.is_file():
        return None
    if path.suffix.lower() == ".pdf":
        try:  # in a worker process under the service's limits: the file may come from anyone
            return read_bounded("pdf", read_bytes(path)).report
        except FileRefused:
            return None  # not a report: the certificate's reading says what is wrong with it
    if path.stat().st_size > MAX_REPORT_BYTES:
        return None
    text = read_bytes(path).decode("utf-8", "replace")
    return text if is_report(text) else None


def check_report(text: str, operator_keys: list[Ed25519PublicKey], as_json: bool) -> int:
    """Print whether the report is genuine and what it says; 0 when genuine, 1 when refused."""
    from verifier.credentials.report import ReportRefused, read_report
    from verifier.paper.reportfile import resolved

    try:
        read = read_report(text, operator_keys)
    except ReportRefused as refused:
        if as_json:
            print(json.dumps({"genuine": False, "reason": str(refused)}, indent=2))
        else:
            print(f"NOT A GENUINE REPORT: {refused}")
        return 1
    subject = read.subject
    if as_json:
        print(json.dumps({"genuine": True, "id": read.report_id, "kid": read.kid, "report": subject},
                         ensure_ascii=False, indent=2))  # fmt: skip
        return 0
    checked = parse_time(str(subject.get("checkedAt")))
    counts = ", ".join(f"{verdict} {n}" for verdict, n in subject.get("verdicts", {}).items())
    lines = [
        f"GENUINE REPORT {read.report_id}: signed by the operator's key {read.kid}",
        f"  checked at:  {scheme_time(checked)} ({subject.get('checkedAt')})",
        f"  items:       {subject.get('itemCount')} ({counts})",
    ]
    for item in resolved(subject["items"]):
        certificate = item.get("certificate") or {}
        what = (f"{certificate.get('number')}  {certificate.get('holder')} ({certificate.get('issuer')})"
                if certificate else f"no certificate read ({item.get('input', '?')} given)")  # fmt: skip
        twin = f"  (the same as {item['duplicateOf']})" if item.get("duplicateOf") else ""
        lines.append(f"  {item.get('position', '?'):>4}  {str(item.get('verdict')).upper():<15} {what}{twin}")
    print("\n".join(lines))
    return 0


def batch_items(path: Path) -> list[object]:
    """The items of a batch file: a line each, or a JSON batch's ``items``."""
    if not path.is_file():
        raise UsageError(f"no file {path}")
    if path.stat().st_size > MAX_BATCH_FILE:
        raise UsageError(f"{path}: a batch file is limited to {MAX_BATCH_FILE // (1024 * 1024)} MB")
    text = read_bytes(path).decode("utf-8", "replace")
    if text.lstrip().startswith("{") and path.suffix.lower() == ".json":
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            raise UsageError(f"{path}: not JSON") from None
        items = document.get("items") if isinstance(document, dict) else None
        if not isinstance(items, list):
            raise UsageError(f'{path}: a JSON batch is {{"items": [...]}}')
        return [i.get("qr", i.get("credential")) if isinstance(i, dict) else i for i in items][:MAX_LINES]
    lines: list[object] = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return lines[:MAX_LINES]


def check_batch(items: list[object], trust_list: TrustList, at: datetime, lists: tuple[str, ...], as_json: bool) -> int:
    """Check each item offline, print a line each (or one JSON document); 0 only when every one is valid."""
    from verifier.credentials.check import is_credential, verify_credential_offline, with_status_lists
    from verifier.verification.check import verify

    if not items:
        raise UsageError("the batch file holds no item")
    results: list[VerificationResult] = []
    for item in items:
        if isinstance(item, (dict, str)) and is_credential(item):
            given = item if isinstance(item, str) else json.dumps(item)
            results.append(verify_credential_offline(given, trust_list, at, lists))
        else:
            text = item if isinstance(item, str) else ""
            results.append(with_status_lists(verify(text, trust_list, at), trust_list, lists))
    counts = Counter(r.verdict.value for r in results)
    if as_json:
        print(json.dumps({"checked_at": at.isoformat().replace("+00:00", "Z"), "count": len(results),
                          "verdicts": dict(sorted(counts.items())),
                          "results": [{"position": n, **r.to_json()} for n, r in enumerate(results, 1)]},
                         ensure_ascii=False, indent=2))  # fmt: skip
    else:
        for n, result in enumerate(results, 1):
            cert = result.certificate
            what = f"{cert.number}  {cert.holder_name_en}" if cert else result.detail
            print(f"{n:>5}  {result.verdict.value.upper():<15} {what}")
        print(f"{len(results)} checked offline: " + ", ".join(f"{v} {n}" for v, n in sorted(counts.items())))
    return 0 if all(r.verdict is Verdict.VALID for r in results) else 1
