"""A newcomer's first run (``verifier demo``): a demo issuer, its certificates in the states worth seeing, files.

The packaged demo certificates are issued by a demo issuer, dated around the day of the first run
(one of them was issued when its validity began and has ended since, so it reads "expired"), and two
more copies are issued and then suspended and revoked, so that every status a buyer or customs officer
can meet is one click away. Each certificate's PDF, QR code and scanned text are written to a folder
with the trust list, the operator's public key, the issuer's signed status lists and an ``index.html``
of links. Running it again reuses what is there and gives fresh tokens, withdrawing the previous run's.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from verifier.certificate.model import parse_certificate
from verifier.certificate.status import STATUS_PURPOSES, Action
from verifier.demo.certificates import dated, demo_certificates, demo_stamp
from verifier.issuing.publish import signed_status_list
from verifier.issuing.recipe import PdfMaker, issue
from verifier.paper.qr import qr_png
from verifier.paper.stamps import checked_stamp
from verifier.store.records import CLI_ACTOR, CertificateRecord, Principal, Role
from verifier.store.registry import Registry
from verifier.store.tokens import FIRST_TOKEN
from verifier.trust.keys import public_key_pem
from verifier.trust.trustlist import TrustList
from verifier.verdict import IssuerInfo
from verifier.verification.check import verify

DEMO_ISSUER = IssuerInfo("demo-cert", "浙江制造认证联盟（演示）", "Zhejiang Made Certification Alliance (DEMO)")
# Its letterhead: made up, and saying so.
DEMO_LETTERHEAD = {
    "address": "浙江省杭州市西湖区示例路1号（演示）",
    "address_en": "1 Example Road, Xihu District, Hangzhou, Zhejiang, China (demo)",
    "contact": "+86 571 0000 0000 · demo@verify.example",
    "accreditation": "DEMO-0000",
    "signatory": "张示例 ZHANG Shili",
    "signatory_title": "认证部主任（演示）",
    "signatory_title_en": "Head of Certification (demo)",
}
DEMO_ISSUER_TOKEN = "demo token"  # noqa: S105 - labels, not secrets
DEMO_OPERATOR_TOKEN = "demo operator token"  # noqa: S105
DEMO_METRICS_TOKEN = "demo metrics token"  # noqa: S105
EXPIRED = "ccc-exemption-samples"  # issued when its validity began; it has ended since
ISSUING_SINCE = timedelta(days=366)
# Copies of two demo certificates under numbers of their own, given a status after issuance.
CHANGED = (
    ("zhejiang-made-kettle", "ZJM-2024-0318", "zhejiang-made-kettle-revoked", Action.REVOKE, "non_conformity"),
    ("international-cooperation-valve", "ZJM-IC-2024-0043", "valve-suspended", Action.SUSPEND, "surveillance_overdue"),
)  # fmt: skip


@dataclass(frozen=True)
class DemoCertificate:
    """One demo certificate: its name, the verdict a scan gives now, its page, and its files."""

    name: str
    number: str
    verdict: str
    page: str
    pdf: Path | None
    qr_png: Path
    qr_text: Path


@dataclass(frozen=True)
class Demo:
    """What the first run made: where it serves, the tokens (shown once), the certificates and the folder."""

    base: str
    folder: Path
    operator_token: str = field(repr=False)
    issuer_token: str = field(repr=False)
    metrics_token: str = field(repr=False)
    certificates: tuple[DemoCertificate, ...]
    status_lists: tuple[Path, ...] = ()  # the demo issuer's signed status lists, as /status/... serves them


def set_up(registry: Registry, pdfs: PdfMaker | None, base: str, folder: Path, now: datetime) -> Demo:
    """Register the demo issuer and its certificates (once), write their files, make fresh tokens."""
    # Each run prints fresh tokens and withdraws the previous run's: re-runs do not pile up live tokens.
    if registry.issuers.exists(DEMO_ISSUER.id):
        for label in (FIRST_TOKEN, DEMO_ISSUER_TOKEN):  # the first run's, printed then, and the later runs'
            registry.tokens.withdraw_labelled(CLI_ACTOR, DEMO_ISSUER.id, label, now)
        _, issuer_token = registry.tokens.create(CLI_ACTOR, DEMO_ISSUER.id, DEMO_ISSUER_TOKEN, now)
    else:
        # A body that has issued for a while: its key signed the certificate that has expired since.
        _, _, issuer_token = registry.create_issuer(CLI_ACTOR, DEMO_ISSUER, now - ISSUING_SINCE, DEMO_LETTERHEAD)
        registry.issuers.set_stamp(CLI_ACTOR, DEMO_ISSUER.id, checked_stamp(demo_stamp()), now)
    registry.tokens.withdraw_labelled(CLI_ACTOR, None, DEMO_OPERATOR_TOKEN, now)
    _, operator_token = registry.tokens.create_operator(CLI_ACTOR, DEMO_OPERATOR_TOKEN, now)
    registry.tokens.withdraw_labelled(CLI_ACTOR, None, DEMO_METRICS_TOKEN, now)
    _, metrics_token = registry.tokens.create_operator(CLI_ACTOR, DEMO_METRICS_TOKEN, now, Role.METRICS)
    principal = Principal("demo", Role.ISSUER, DEMO_ISSUER.id)
    today = now.date()
    # (name, certificate, status change, when it is issued): each in force today, but the one that
    # shows "expired", issued the day its validity began and ended a month ago.
    wanted: list[tuple[str, dict[str, Any], tuple[Action, str] | None, datetime]] = []
    for name, data in demo_certificates():
        if name == EXPIRED:
            old = dated(data, today, ended=True)
            wanted.append((name, old, None, datetime.combine(date.fromisoformat(old["valid_from"]), time(2), UTC)))
        else:
            wanted.append((name, dated(data, today), None, now))
    shipped = dict(demo_certificates())
    for source, number, name, action, reason in CHANGED:
        wanted.append((name, {**dated(shipped[source], today), "number": number}, (action, reason), now))

    _refuse_another_origin(registry, base, [data["number"] for _, data, _, _ in wanted])
    folder.mkdir(parents=True, exist_ok=True)
    trust_list = registry.issuers.trust_list((base,), now)
    made = []
    for name, data, change, at in wanted:
        record = registry.certificates.find_number(DEMO_ISSUER.id, data["number"])
        if record is None:
            (record,) = issue(registry, principal, [parse_certificate(data)], base, at, pdfs)
            if change is not None:
                registry.certificates.change_status(principal, record.id, change[0], change[1], "demo", now)
        made.append(_write(registry, record, name, folder, trust_list, now))
    (folder / "trust-list.json").write_bytes(trust_list.to_document(registry.issuers.operator_key()))
    (folder / "operator.pub.pem").write_bytes(public_key_pem(registry.issuers.operator_key().record.public_key))
    lists = _write_status_lists(registry, base, folder)
    demo = Demo(base, folder, operator_token, issuer_token, metrics_token, tuple(made), lists)
    (folder / "index.html").write_text(index_html(demo), "utf-8")
    return demo


def _write_status_lists(registry: Registry, base: str, folder: Path) -> tuple[Path, ...]:
    """The demo issuer's status lists, signed, beside the PDFs: what an offline check needs for status."""
    key = registry.issuers.signing_key(DEMO_ISSUER.id)
    written = []
    for issuer_id, number in registry.statuslists.published():
        if issuer_id != DEMO_ISSUER.id:
            continue
        for purpose in STATUS_PURPOSES:
            path = folder / (f"status-{purpose}.jwt" if number == 0 else f"status-{purpose}-{number}.jwt")
            path.write_text(signed_status_list(registry, base, issuer_id, purpose, number, key) + "\n", "ascii")
            written.append(path)
    return tuple(written)


class DemoElsewhere(ValueError):
    """The data folder holds demo certificates whose QR codes point to another address."""


def _refuse_another_origin(registry: Registry, base: str, numbers: list[str]) -> None:
    """Refuse to serve demo certificates whose links name another origin (they would all read malformed)."""
    for number in numbers:
        record = registry.certificates.find_number(DEMO_ISSUER.id, number)
        if record is None:
            continue
        origin = record.qr_text.rsplit("/", 2)[0].lower()
        if origin != base:
            raise DemoElsewhere(
                f"the demo data in this data folder was made for {origin}: its QR codes point there, not to "
                f"{base}. Serve it there again (make run with that PORT, HOST or PUBLIC_URL), or use a data folder "
                f"of its own for {base} (VERIFIER_DATA_DIR=data-other make run ...), or delete the data folder"
            )


def _write(
    registry: Registry, record: CertificateRecord, name: str, folder: Path, trust_list: TrustList, now: datetime
) -> DemoCertificate:
    base = trust_list.public_urls[0]
    png, text = folder / f"{name}.png", folder / f"{name}.qr.txt"
    png.write_bytes(qr_png(record.qr_text))
    text.write_text(record.qr_text + "\n", "ascii")
    pdf_path = None
    if record.pdf_sha256:
        pdf_path = folder / f"{name}.pdf"
        pdf_path.write_bytes(registry.certificates.pdf(DEMO_ISSUER.id, record.id))
    verdict = verify(record.qr_text, trust_list, now, registry.seals.lookup).verdict.value
    page = f"{base}/c/{record.qr_text.rsplit('/', 1)[1]}"
    return DemoCertificate(name, record.number, verdict, page, pdf_path, png, text)


def index_html(demo: Demo) -> str:
    """A page of links for the demo folder: each certificate's verification page, PDF and QR code."""
    rows = "\n".join(
        f"<tr><td>{html.escape(c.name)}</td><td>{html.escape(c.number)}</td><td>{c.verdict}</td>"
        f'<td><a href="{html.escape(c.page)}">verification page</a></td>'
        f"<td>{_link(c.pdf.name, 'PDF') if c.pdf else ''}</td><td>{_link(c.qr_png.name, 'QR code')}</td></tr>"
        for c in demo.certificates
    )
    base = html.escape(demo.base)
    return f"""<!doctype html>
<html lang="en"><meta charset="utf-8"><title>verifier demo</title>
<style>body{{font:16px system-ui,sans-serif;margin:2rem;max-width:60rem}}td{{padding:.3rem .8rem}}</style>
<h1>verifier demo</h1>
<p>The service: <a href="{base}/">{base}/</a> (the public landing page) ·
<a href="{base}/scan">the officers' scanner</a> · <a href="{base}/docs">API documentation</a> ·
<a href="{base}/metrics">metrics</a></p>
<table><tr><th>certificate</th><th>number</th><th>a scan says</th><th></th><th></th><th></th></tr>
{rows}
</table>
<p>Offline: <code>verifier verify FILE.pdf --trust-list trust-list.json --operator-key operator.pub.pem
--status-list status-revocation.jwt --status-list status-suspension.jwt</code></p>
</html>
"""


def _link(href: str, words: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(words)}</a>'


def describe(demo: Demo, program: str) -> str:
    """What the newcomer reads in the terminal: links to open, the files, the tokens, commands to try."""
    folder = demo.folder
    lines = [
        f"verifier demo: a certification body's registry at {demo.base}",
        "",
        "Open in a browser:",
        f"  {demo.base}/             the public page: paste a scanned QR text or upload a certificate PDF",
        f"  {demo.base}/scan         the officers' scanner: the camera, checked on the device, offline too",
        f"  {demo.base}/docs         the HTTP API, with examples to run",
        f"  {(folder / 'index.html').resolve().as_uri()}",
        "      every demo certificate: its verification page, PDF and QR code",
        "",
        f"Demo certificates (PDF, QR code and QR text in {folder}/):",
    ]
    width = max(len(c.name) for c in demo.certificates)
    for c in demo.certificates:
        lines.append(f"  {c.name:<{width}}  {c.verdict:<10} {c.pdf or c.qr_png}")
    kettle = next(c for c in demo.certificates if c.name == "zhejiang-made-kettle")
    lines += [
        "",
        "A phone scanning the kettle's QR code opens (one long link, as in the QR code):",
        f"  {kettle.page}",
        "",
        "Tokens (shown this once; the demo makes new ones each run):",
        f"  {'operator:':<19} {demo.operator_token}",
        f"  {'issuer ' + DEMO_ISSUER.id + ':':<19} {demo.issuer_token}",
        f"  {'metrics:':<19} {demo.metrics_token}",
        "",
        "Try:",
        f"  curl -s -H 'Accept: application/json' {demo.base}/c/$(cut -d/ -f5 {kettle.qr_text})",
        f"  curl -s -H 'Authorization: Bearer {demo.issuer_token}' {demo.base}/api/v1/certificates",
        f"  curl -s -H 'Authorization: Bearer {demo.metrics_token}' {demo.base}/metrics",
        f"  {program} verify {kettle.pdf or kettle.qr_png} --trust-list {folder}/trust-list.json "
        f"--operator-key {folder}/operator.pub.pem",
        "",
        "Offline, with the status lists downloaded beside the trust list (the revoked kettle says REVOKED):",
        f"  {offline_command(demo, program)}",
        "",
    ]
    if program != "verifier":
        lines += [f"(`verifier` is {program}: `. {Path(program).parent}/activate` puts it on this shell's PATH.)", ""]
    return "\n".join(lines)


def offline_command(demo: Demo, program: str = "verifier") -> str:
    """The command that checks the revoked demo PDF offline: trust list, operator key and status lists."""
    revoked = next(c for c in demo.certificates if c.name == "zhejiang-made-kettle-revoked")
    lists = " ".join(f"--status-list {path}" for path in demo.status_lists)
    return (
        f"{program} verify {revoked.pdf or revoked.qr_text} --trust-list {demo.folder}/trust-list.json "
        f"--operator-key {demo.folder}/operator.pub.pem {lists}"
    )
