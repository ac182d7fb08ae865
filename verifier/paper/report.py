"""A verification report on one A4 page: what was checked, when, each verdict, and a QR code to the report's page.

The page a customs officer files with a declaration. It prints the report's id, the time of the checks
(Beijing time and UTC), the count by verdict, and a row per item (every item that is not ``valid`` first
when they do not all fit), with a QR code holding the report's link (``HTTPS://HOST/R/V...``). The file
embeds the signed report itself (``report.json`` and its detached JWS ``report.jws``, see
:mod:`verifier.paper.reportfile`), so ``verifier verify`` checks it offline; the page's words are only
what the credential says.

Rendered in a render worker as certificates are (:mod:`verifier.paper.pool`), its QR code read back
from the pixels before the file is handed out. Every field comes from the report's credential, which
quotes what issuers wrote (holder names): each cell is cut to its column, never wrapped onto a second
page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from verifier.certificate.days import SCHEME_TZ
from verifier.paper.fonts import FontCut
from verifier.paper.qrpdf import codes_drawer
from verifier.paper.render import (
    POINTS_PER_CSS_PX,
    Layout,
    RenderError,
    boxes,
    classed,
    laid_out,
    qr_width_mm,
)
from verifier.paper.reportfile import REPORT_CREDENTIAL, REPORT_SIGNATURE, detach, resolved

MAX_ROWS = 30  # items a page lists; past it, the rest are counted and left to the link and the attachment
MAX_CELL = 60  # characters of a cell (a holder's name, a number) before it is cut
# The verdicts in the report's words, Chinese and English, with the colour of their mark.
VERDICTS = {
    "valid": ("有效", "VALID", "good"),
    "suspended": ("暂停", "SUSPENDED", "warn"),
    "revoked": ("撤销", "REVOKED", "bad"),
    "expired": ("过期", "EXPIRED", "warn"),
    "not_yet_valid": ("尚未生效", "NOT YET VALID", "warn"),
    "invalid": ("无效", "INVALID", "bad"),
    "unknown_issuer": ("签发者未知", "UNKNOWN ISSUER", "bad"),
    "unregistered": ("未登记", "UNREGISTERED", "bad"),
    "malformed": ("非证书码", "MALFORMED", "bad"),
}


@dataclass(frozen=True)
class ReportRow:
    """One item as the page prints it."""

    position: int
    number: str
    holder: str
    issuer: str
    verdict: str
    since: str  # the day of a suspension or revocation, Beijing time, or ""


@dataclass(frozen=True)
class ReportSheet:
    """A report to print: its id and link, when it was checked and kept until, its rows, its signed bytes."""

    report_id: str
    link: str  # the QR text
    checked_at: datetime
    kept_until: datetime
    kid: str  # the operator key that signed it (hex)
    host: str
    rows: tuple[ReportRow, ...]
    counts: tuple[tuple[str, int], ...]
    jwt: str
    reference: str | None = None

    @classmethod
    def of(cls, credential: dict[str, Any], jwt: str, kid: str, public_url: str, kept_until: datetime) -> ReportSheet:
        """The sheet of a report's (verified) credential."""
        subject = credential["credentialSubject"]
        report_id = str(credential["id"]).rsplit("/", 1)[-1]
        issuers = subject.get("issuers") if isinstance(subject.get("issuers"), dict) else {}
        rows = tuple(_row(item, issuers) for item in resolved(subject["items"]))
        counts = tuple((v, int(n)) for v, n in subject.get("verdicts", {}).items() if v in VERDICTS)
        checked_at = datetime.fromisoformat(str(subject["checkedAt"]).replace("Z", "+00:00"))
        reference = _cut(str(subject["reference"])) if subject.get("reference") else None
        return cls(report_id, f"{public_url.upper()}/R/{report_id}", checked_at, kept_until, kid,
                   public_url.split("://", 1)[1], rows, counts, jwt, reference)  # fmt: skip

    def shown(self) -> tuple[list[ReportRow], int, int]:
        """The rows the page lists, how many are left out, and of those how many are not valid.

        When not all fit, every item that is not valid comes first.
        """
        if len(self.rows) <= MAX_ROWS:
            return list(self.rows), 0, 0
        ordered = sorted(self.rows, key=lambda r: (r.verdict == "valid", r.position))
        listed, omitted = ordered[: MAX_ROWS - 1], ordered[MAX_ROWS - 1 :]
        return sorted(listed, key=lambda r: r.position), len(omitted), sum(r.verdict != "valid" for r in omitted)


def _row(item: dict[str, Any], issuers: dict[str, Any]) -> ReportRow:
    certificate = item.get("certificate") or {}
    status = item.get("status") or {}
    since = ""
    if status.get("since") and status.get("state") in ("suspended", "revoked"):
        moment = datetime.fromisoformat(str(status["since"]).replace("Z", "+00:00"))
        since = moment.astimezone(SCHEME_TZ).strftime("%Y-%m-%d")
    issuer = issuers.get(str(certificate.get("issuer"))) or {}
    return ReportRow(
        position=int(item.get("position", 0)),
        number=_cut(str(certificate.get("number") or "—")),
        holder=_cut(str(certificate.get("holder") or "—")),
        issuer=_cut(str(issuer.get("nameEn") or certificate.get("issuer") or "—")),
        verdict=str(item.get("verdict")) if item.get("verdict") in VERDICTS else "malformed",
        since=since,
    )


def _cut(text: str) -> str:
    text = " ".join(text.split())  # no line breaks or tabs from a field
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


@dataclass(frozen=True)
class RenderedReport:
    """The report's PDF bytes and its QR code's box (points from the top-left of the first page)."""

    data: bytes
    qr_box: tuple[float, float, float, float]


class ReportRenderer(Layout):
    """The report's template and style loaded once; :meth:`render` draws one report (per process, as Renderer)."""

    STYLE = "report.css"

    def html(self, sheet: ReportSheet, fonts: FontCut | None = None) -> str:
        """The report as HTML; with ``fonts``, set in that cut of the CJK font."""
        css = self.style(fonts)
        rows, left_out, not_valid = sheet.shown()
        local = sheet.checked_at.astimezone(SCHEME_TZ)
        return self._jinja.get_template("report.html.j2").render(
            r=sheet,
            rows=rows,
            left_out=left_out,
            not_valid=not_valid,
            words=VERDICTS,
            total=len(sheet.rows),
            beijing=local.strftime("%Y-%m-%d %H:%M:%S"),
            utc=sheet.checked_at.strftime("%Y-%m-%d %H:%M:%SZ"),
            iso=sheet.checked_at.isoformat().replace("+00:00", "Z"),
            kept_until=sheet.kept_until.astimezone(SCHEME_TZ).strftime("%Y-%m-%d"),
            fingerprint=" ".join(sheet.kid[i : i + 4] for i in range(0, len(sheet.kid), 4)),
            qr_mm=qr_width_mm(sheet.link),
            css=css,
        )

    def render(self, sheet: ReportSheet) -> RenderedReport:
        """The report as a one-page PDF/A-3b, the same bytes for the same report, with its QR code's box."""
        return laid_out(self.templates, lambda fonts: self.html(sheet, fonts), lambda page: self._finish(sheet, page))

    def _finish(self, sheet: ReportSheet, rendered: Any) -> RenderedReport:
        from weasyprint import Attachment

        if len(rendered.pages) != 1:
            raise RenderError(f"the report takes {len(rendered.pages)} pages, not one")
        box = None
        for found in boxes(rendered.pages[0]):
            if classed(found, "code"):
                box = tuple(v * POINTS_PER_CSS_PX for v in (found.position_x, found.position_y, found.width,
                                                            found.height))  # fmt: skip
                break
        if box is None:
            raise RenderError("the report's layout lost its QR code")
        moment = sheet.checked_at
        payload, detached = detach(sheet.jwt)
        attachments = [
            Attachment(string=payload, name=REPORT_CREDENTIAL, created=moment, modified=moment, relationship="Source",
                       description="The verification report: a VC 2.0 credential, the bytes its JWS signs"),
            Attachment(string=detached.encode("ascii"), name=REPORT_SIGNATURE, created=moment, modified=moment,
                       relationship="Source", description="The report's detached JWS (EdDSA, the operator's key)"),
        ]  # fmt: skip
        data: bytes = rendered.write_pdf(
            pdf_variant="pdf/a-3b",
            pdf_identifier=hashlib.sha256(sheet.jwt.encode("ascii")).hexdigest()[:32].encode("ascii"),
            attachments=attachments,
            finisher=codes_drawer([(0, sheet.link, box)]),
        )
        return RenderedReport(data, box)
