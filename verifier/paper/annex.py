"""A certificate's annex of recognitions: one block a recognition, each with its own QR code, as a PDF/A-3b.

The issued certificate's PDF never changes (its SHA-256 is recorded, and the credential names it), and
partner bodies recognise a certificate after it is issued; so their recognitions travel in a document of
their own. Each block prints what the body signed and a QR code holding the recognition's link
(``/R/1...``, spec section 11); the file embeds the certificate's seal (``seal.cose``) and every
recognition seal (``recognition-N.cose``), so ``verifier verify`` checks them all offline, from the file.

Rendered in a render worker as certificates are (:mod:`verifier.paper.pool`), each QR code read back from
the page's pixels by two decoders before the annex is handed out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from verifier.certificate.days import SCHEME_TZ, scheme_time
from verifier.certificate.names import TITLES
from verifier.paper import wording
from verifier.paper.fonts import FontCut
from verifier.paper.letterhead import Letterhead
from verifier.paper.qrpdf import codes_drawer
from verifier.paper.render import (
    POINTS_PER_CSS_PX,
    Layout,
    RenderError,
    boxes,
    classed,
    laid_out,
    qr_width_mm,
    xmp,
)
from verifier.seal.cose import SEAL_ATTACHMENT
from verifier.seal.recognition import Recognition, recognition_attachment

MAX_ANNEXED = 40  # recognitions in one annex: as many as a scan's answer lists (reads.recognitions.MAX_SHOWN)
MAX_ANNEX_PAGES = 20


@dataclass(frozen=True)
class AnnexEntry:
    """One recognition as the annex prints it: the body (as the trust list names it) and what it signed."""

    body: str
    body_en: str
    country: str
    content: Recognition  # what the seal says
    kid: str  # hex
    link: str  # the recognition's QR text
    cose: bytes


@dataclass(frozen=True)
class Annex:
    """A certificate's recognitions in force, to print: the certificate as issued, and each recognition."""

    record: dict[str, Any]
    qr_text: str  # the certificate's own
    cose: bytes  # the certificate's seal
    issuer: Letterhead
    entries: tuple[AnnexEntry, ...]
    public_url: str

    @property
    def as_of(self) -> datetime:
        """The newest recognition's signing time: the annex's own date (the same recognitions, the same bytes)."""
        return max(entry.content.issued_at for entry in self.entries)


@dataclass(frozen=True)
class RenderedAnnex:
    """The annex's PDF bytes and where each QR code lies: (page index, box in points from the top-left, text)."""

    data: bytes
    codes: tuple[tuple[int, tuple[float, float, float, float], str], ...]


class AnnexRenderer(Layout):
    """The annex's template and style loaded once; :meth:`render` draws one annex (per process, as Renderer)."""

    STYLE = "annex.css"

    def html(self, annex: Annex, fonts: FontCut | None = None) -> str:
        """The annex as HTML; with ``fonts``, set in that cut of the CJK font."""
        if not annex.entries:
            raise RenderError("an annex of recognitions needs at least one recognition")
        if len(annex.entries) > MAX_ANNEXED:
            raise RenderError(f"an annex prints at most {MAX_ANNEXED} recognitions")
        css = self.style(fonts)
        zh, en = TITLES[annex.record["scheme"]]
        as_of = annex.as_of.astimezone(SCHEME_TZ).date()
        return self._jinja.get_template("annex.html.j2").render(
            c=annex.record,
            titles={"zh": zh, "en": en},
            issuer=annex.issuer,
            as_of=annex.as_of.isoformat().replace("+00:00", "Z"),
            as_of_day={lang: wording.calendar_date(as_of, lang) for lang in ("zh", "en")},
            entries=[_entry(entry) for entry in annex.entries],
            host=annex.public_url.split("://", 1)[1],
            css=css,
        )

    def render(self, annex: Annex) -> RenderedAnnex:
        """The annex as PDF/A-3b bytes, deterministic for the same recognitions, with its QR codes' places."""
        return laid_out(self.templates, lambda fonts: self.html(annex, fonts), lambda page: self._finish(annex, page))

    def _finish(self, annex: Annex, rendered: Any) -> RenderedAnnex:
        from weasyprint import Attachment

        if len(rendered.pages) > MAX_ANNEX_PAGES:
            raise RenderError(f"the annex takes {len(rendered.pages)} pages, more than {MAX_ANNEX_PAGES}")
        codes = tuple(_codes(rendered.pages, annex.entries))
        rendered.metadata.xmp_metadata.append(xmp(annex.qr_text))
        moment = annex.as_of
        attachments = [
            Attachment(string=annex.cose, name=SEAL_ATTACHMENT, created=moment, modified=moment, relationship="Source",
                       description="The certificate's seal: a COSE_Sign1 (RFC 9052) over its CWT claims"),
        ] + [
            Attachment(string=entry.cose, name=recognition_attachment(i), created=moment, modified=moment,
                       relationship="Source",
                       description=f"{entry.body_en}'s recognition seal ({entry.content.number}): a COSE_Sign1")
            for i, entry in enumerate(annex.entries, 1)
        ]  # fmt: skip
        digest = hashlib.sha256(annex.cose + b"".join(entry.cose for entry in annex.entries))
        data: bytes = rendered.write_pdf(
            pdf_variant="pdf/a-3b",
            pdf_identifier=digest.hexdigest()[:32].encode("ascii"),
            attachments=attachments,
            finisher=codes_drawer([(page, text, box) for page, box, text in codes]),
        )
        return RenderedAnnex(data, codes)


def _entry(entry: AnnexEntry) -> dict[str, Any]:
    said = entry.content
    return {
        "body": entry.body,
        "body_en": entry.body_en,
        "country": entry.country,
        "country_zh": wording.country(entry.country, "zh"),
        "country_en": wording.country(entry.country, "en"),
        "number": said.number,
        "markets": [(wording.country(m, "zh"), wording.country(m, "en"), m) for m in said.markets],
        "basis": said.basis,
        "validity": {
            lang: (wording.calendar_date(said.valid_from, lang), wording.calendar_date(said.valid_until, lang))
            for lang in ("zh", "en")
        },
        "signed": scheme_time(said.issued_at),
        "fingerprint": " ".join(entry.kid[i : i + 4] for i in range(0, len(entry.kid), 4)),
        "qr_mm": qr_width_mm(entry.link),
    }


def _codes(
    pages: Sequence[Any], entries: Sequence[AnnexEntry]
) -> list[tuple[int, tuple[float, float, float, float], str]]:
    """Each recognition's QR box: on which page, where, and the text to draw there; every one, once."""
    found: dict[int, tuple[int, tuple[float, float, float, float]]] = {}
    for number, page in enumerate(pages):
        for box in boxes(page):
            if classed(box, "code") and box.element.get("data-qr") is not None:
                index = int(box.element.get("data-qr"))
                place = tuple(v * POINTS_PER_CSS_PX for v in (box.position_x, box.position_y, box.width, box.height))
                found.setdefault(index, (number, place))
    if sorted(found) != list(range(len(entries))):
        raise RenderError("the annex's layout lost a recognition's QR code")
    return [(found[i][0], found[i][1], entries[i].link) for i in range(len(entries))]
