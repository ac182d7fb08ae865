"""HTML → PDF: a certificate rendered from the templates by WeasyPrint as a PDF/A-3b document.

The same inputs give the same bytes: the dates in the document are the sealing time, the file
identifier is derived from the seal, and fonts are subset by content. The seal travels twice: as an
embedded file (``seal.cose``, the COSE_Sign1 bytes, relationship Source) and as the QR text in the XMP
metadata, so a verifier needs no pixels.
"""

from __future__ import annotations

import hashlib
import html
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2

from verifier.certificate.codes import PORTS
from verifier.certificate.days import SCHEME_TZ, scheme_time
from verifier.certificate.names import EXEMPTION_PURPOSES, TITLES, UNITS
from verifier.errors import FileRefused, VerifierError
from verifier.paper import wording
from verifier.paper.fonts import FAMILY, FontCut, cut_for
from verifier.paper.letterhead import Letterhead
from verifier.paper.pdfstreams import install as deflate_once
from verifier.paper.qr import QUIET_ZONE, qr_version
from verifier.paper.qrpdf import drawer
from verifier.paper.stamps import Stamp, checked_stamp
from verifier.resources import TEMPLATES
from verifier.seal.cose import SEAL_ATTACHMENT

XMP_NAMESPACE = "https://verifier.zhejiang-made.example/ns/seal/1.0/"

# A QR module at least this wide on paper (a worn print or a far phone still resolves it), and the
# symbol never smaller than it always was.
MIN_MODULE_MM = 0.56
MIN_QR_MM = 46.0

# The scheme's mark, as text: what a logo would say.
MARKS = {
    "zhejiang-made": ("浙江制造", "ZHEJIANG MADE"),
    "international-cooperation": ("国际合作", "INT’L COOPERATION"),
    "ccc-exemption": ("CCC 免办", "CCC EXEMPTION"),
    "ccc-self-declaration": ("CCC 自我声明", "CCC SELF-DECLARATION"),
}
# What the certificate attests, in both languages.
ATTESTATIONS = {
    "zhejiang-made": (
        "兹证明下列产品符合所列“浙江制造”标准的要求，特发此证。",
        "This is to certify that the products listed below conform to the requirements of the "
        "“Zhejiang Made” standards listed.",
    ),
    "international-cooperation": (
        "兹证明下列产品经评价符合所列标准的要求，该认证结果获下列机构承认。",
        "This is to certify that the products listed below have been assessed as conforming to the standards "
        "listed, and that this result is recognised by the bodies named below.",
    ),
    "ccc-exemption": (
        "兹证明下列货物免予办理强制性产品认证，仅限于下列用途、数量及入境口岸。",
        "This is to certify that the goods listed below are exempted from China Compulsory Certification, "
        "for the purpose, in the quantity and through the port of entry stated below only.",
    ),
    "ccc-self-declaration": (
        "持有人声明下列产品符合强制性产品认证自我声明评价方式的要求，本机构已登记该声明。",
        "The holder declares that the products listed below conform to the requirements of the CCC "
        "self-declaration procedure; the issuing body has registered this declaration.",
    ),
}


T = TypeVar("T")


@dataclass(frozen=True)
class Document:
    """Everything a certificate's PDF shows and carries."""

    record: dict[str, Any]
    qr_text: str
    cose: bytes
    issuer: Letterhead
    kid: str
    issued_at: datetime
    public_url: str
    preview: bool = False  # a clerk's look before issuing: marked across the page as no certificate


@dataclass(frozen=True)
class Rendered:
    """A rendered certificate: the PDF bytes and where its QR code lies on the page.

    ``qr_box`` is (left, top, width, height) in PDF points from the page's top-left corner, quiet zone
    included: what the self-test rasterises.
    """

    data: bytes
    qr_box: tuple[float, float, float, float]


POINTS_PER_CSS_PX = 0.75


class Layout:
    """A page's templates and style loaded once per process: the certificate's, an annex's, a report's."""

    STYLE = "certificate.css"

    def __init__(self, templates: Path = TEMPLATES) -> None:
        deflate_once()  # every PDF stream deflated once per write, not twice (verifier.paper.pdfstreams)
        self.templates = templates
        self._jinja = template_environment(templates)
        self._css = (templates / self.STYLE).read_text("utf-8")

    def style(self, fonts: FontCut | None) -> str:
        """The page's style; with ``fonts``, set in that cut of the CJK font."""
        return self._css if fonts is None else fonts.css + self._css.replace(f'"{FAMILY}"', f'"{fonts.family}"')


class Renderer(Layout):
    """Templates and fonts loaded once; :meth:`pdf` renders one document (thread-safe per process)."""

    def html(self, doc: Document, fonts: FontCut | None = None) -> str:
        """The certificate as HTML (what WeasyPrint lays out); with ``fonts``, set in that cut of the CJK font."""
        css = self.style(fonts)
        record = doc.record
        scheme = record["scheme"]
        zh, en = TITLES[scheme]
        issued = doc.issued_at.astimezone(SCHEME_TZ).date()
        start, until = (date.fromisoformat(record[k]) for k in ("valid_from", "valid_until"))
        return self._jinja.get_template("certificate.html.j2").render(
            c=record,
            titles={"zh": zh, "en": en},
            mark=MARKS[scheme],
            attestation=ATTESTATIONS[scheme],
            markets=[(wording.country(m, "zh"), wording.country(m, "en"), m) for m in record["markets"]],
            countries={
                r["country"]: (wording.country(r["country"], "zh"), wording.country(r["country"], "en"))
                for r in record.get("recognitions", [])
            },
            exemption=_exemption(record.get("exemption")),
            issued={"zh": wording.calendar_date(issued, "zh"), "en": wording.calendar_date(issued, "en")},
            validity={
                lang: (wording.calendar_date(start, lang), wording.calendar_date(until, lang)) for lang in ("zh", "en")
            },
            issuer=doc.issuer,
            stamp=_stamp_uri(doc.issuer.stamp),
            fingerprint=" ".join(doc.kid[i : i + 4] for i in range(0, len(doc.kid), 4)),
            sealed_at=scheme_time(doc.issued_at),
            issued_at=_iso(doc.issued_at),
            qr_mm=qr_width_mm(doc.qr_text),
            verify_left_pt=_verify_left_pt(doc.qr_text, doc.public_url.split("://", 1)[1]),
            verify_host=doc.public_url.split("://", 1)[1],
            css=css,
            preview=doc.preview,
        )

    def pdf(self, doc: Document) -> bytes:
        """The certificate as PDF/A-3b bytes: deterministic for the same document."""
        return self.render(doc).data

    def render(self, doc: Document) -> Rendered:
        """The certificate as PDF/A-3b bytes, with the QR code's place on the page."""
        return laid_out(self.templates, lambda fonts: self.html(doc, fonts), lambda page: self._finish(doc, page))

    def _finish(self, doc: Document, rendered: Any) -> Rendered:
        """The laid-out page checked, with its seal attached and its metadata, written as PDF/A-3b."""
        from weasyprint import Attachment

        if len(rendered.pages) != 1:
            raise RenderError(f"the certificate's content does not fit on one page (it takes {len(rendered.pages)})")
        box = _qr_box(rendered.pages[0])
        rendered.metadata.xmp_metadata.append(xmp(doc.qr_text))
        seal = Attachment(
            string=doc.cose,
            name=SEAL_ATTACHMENT,
            description="The certificate's seal: a COSE_Sign1 (RFC 9052) over its CWT claims",
            created=doc.issued_at,
            modified=doc.issued_at,
            relationship="Source",
        )
        pdf: bytes = rendered.write_pdf(
            pdf_variant="pdf/a-3b",
            pdf_identifier=hashlib.sha256(doc.cose).hexdigest()[:32].encode("ascii"),
            attachments=[seal],
            finisher=drawer(doc.qr_text, box),  # the symbol as PDF operators, in the box left for it
        )
        return Rendered(pdf, box)


def template_environment(templates: Path) -> jinja2.Environment:
    """The paper's templates: autoescaped, every variable required."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def warm_up() -> None:
    """Load what rendering loads (WeasyPrint, fontconfig, the CJK font, the self-test's decoders) by rendering a line.

    A render worker does this before it says it is ready: no certificate's time limit pays for it.
    """
    from weasyprint import HTML

    from verifier.paper import selftest  # noqa: F401 - pdfium and the decoders

    with cut_for("浙江") as fonts:
        css = f"{fonts.css} p {{ font-family: '{fonts.family}'; }}"
        HTML(string=f"<style>{css}</style><p>浙江 Zhejiang</p>", url_fetcher=local_fetcher((fonts.folder,))).render()


class RenderError(VerifierError):
    """A certificate that cannot be drawn: laid out as one page with its QR code (invalid), or at all.

    The renderer's own failures (workers that failed, a service stopping) are raised as unavailable.
    """

    code = "render_failed"


def _stamp_uri(stamp: Stamp | None) -> str | None:
    """The stamp as a ``data:`` URI, checked again (and an SVG rebuilt again) as it is rendered.

    A stamp stored before its checks grew stricter is not passed on as it was uploaded.
    """
    if stamp is None:
        return None
    try:
        return checked_stamp(stamp.data, stored=True).data_uri()
    except FileRefused as refused:
        message = f"the issuer's stamp cannot be printed ({refused}); the operator must upload it again"
        raise RenderError(message) from None


_IMAGES = ("image/png", "image/svg+xml")


@cache
def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):  # type: ignore[misc]
        """WeasyPrint's fetcher held to the project's own files and ``data:`` images: no network, no other file."""

        def __init__(self, roots: Iterable[Path]) -> None:
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
            self.roots = tuple(Path(root).resolve() for root in roots)

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.partition(":")[0].lower()
            if scheme == "data":
                media_type = url[5:].partition(",")[0].partition(";")[0].strip().lower()
                if media_type not in _IMAGES:
                    raise ValueError(f"only PNG and SVG images are embedded, not {media_type[:40]!r}")
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if not any(path.is_relative_to(root) for root in self.roots):
                    raise ValueError("a certificate reads no file outside the templates and its fonts")
                if not stat.S_ISREG(path.stat().st_mode):
                    raise ValueError("a certificate reads regular files only")
                return URLFetcherResponse(path.as_uri(), path.read_bytes())
            raise ValueError(f"a certificate fetches nothing from the network ({scheme[:20]}:)")

    return LocalFetcher


def laid_out(templates: Path, html: Callable[[FontCut | None], str], finish: Callable[[Any], T]) -> T:
    """A page of ours laid out by WeasyPrint and finished by ``finish`` (its PDF written) while its fonts exist.

    ``html(fonts)`` is the page's HTML, set in the cut of the CJK font given (None: the font whole, to learn
    which characters it needs); only files under ``templates`` and the cut's folder may be read.
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    with cut_for(html(None)) as fonts:  # the CJK font cut to this page's characters
        fetcher = local_fetcher((templates, fonts.folder))
        page = HTML(string=html(fonts), base_url=str(templates), url_fetcher=fetcher)
        return finish(page.render(font_config=FontConfiguration()))  # a fresh one: cuts never pile up


def local_fetcher(roots: Iterable[Path]) -> Any:
    """A WeasyPrint URL fetcher that reads regular files under ``roots`` and ``data:`` images, and refuses the rest."""
    return _fetcher_class()(roots)


def boxes(page: Any) -> Any:
    """Every box laid out on ``page``."""
    stack = [page._page_box]
    while stack:
        box = stack.pop()
        yield box
        stack.extend(getattr(box, "children", None) or ())


def classed(box: Any, name: str) -> bool:
    """Whether a laid-out box is of an element with the class ``name``."""
    element = getattr(box, "element", None)
    return element is not None and name in (element.get("class") or "").split()


def _qr_box(page: Any) -> tuple[float, float, float, float]:
    """The QR code's box on a laid-out page, in points from the top-left corner.

    Raises :class:`RenderError` when the content runs into the seal at the foot of the page.
    """
    qr = content = seal = None
    for box in boxes(page):
        if classed(box, "code") and qr is None:
            qr = box
        elif classed(box, "content") and content is None:
            content = box
        elif classed(box, "seal") and seal is None:
            seal = box
    if qr is None:
        raise RenderError("the template has no QR code")
    if content is not None and seal is not None and content.position_y + content.margin_height() > seal.position_y:
        raise RenderError("the certificate's content does not fit on one page above its seal and signature")
    return tuple(v * POINTS_PER_CSS_PX for v in (qr.position_x, qr.position_y, qr.width, qr.height))


# The seal's text starts this far right of the QR code's column.
SEAL_GAP_PT = 5 * 72 / 25.4
# DejaVu Sans Mono's advance (1233 of 2048 units per em), the same for every ASCII character, at the
# 8.5 pt of the host printed under the QR code.
_HOST_CHARACTER_PT = 8.5 * 1233 / 2048


def _verify_left_pt(text: str, host: str) -> float:
    """Where the seal's text starts: past the QR code's column (the symbol, or the host under it when wider)."""
    column = max(qr_width_mm(text) * 72 / 25.4, len(host) * _HOST_CHARACTER_PT)
    return round(column + SEAL_GAP_PT, 3)


def qr_width_mm(text: str) -> float:
    """The QR code's printed width, quiet zone included: modules of at least :data:`MIN_MODULE_MM`."""
    modules = 17 + 4 * qr_version(text) + 2 * QUIET_ZONE
    return round(max(MIN_QR_MM, modules * MIN_MODULE_MM), 1)


def _exemption(exemption: dict[str, Any] | None) -> dict[str, str] | None:
    """A CCC exemption's goods in both languages: purpose, quantity, value, port."""
    if not exemption:
        return None
    value = exemption["declared_value"]
    port = exemption["port_of_entry"]
    zh_port, en_port = PORTS.get(port, ("", ""))
    return {
        "purpose": EXEMPTION_PURPOSES[exemption["purpose"]],
        "quantity": f"{wording.number(exemption['quantity'], 'en')} {UNITS[exemption['unit']]}",
        "value": f"{value['currency']} {wording.decimal(value['amount'], 'en')}",
        "currency": " ".join(wording.currency_name(value["currency"], language) for language in ("zh", "en")),
        "port": f"{zh_port} {en_port}".strip(),
        "port_code": port,
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def xmp(qr_text: str) -> bytes:
    """The QR text as an XMP property, with the PDF/A extension schema that declares it."""
    text = html.escape(qr_text)
    return f"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
   xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
  <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
   <pdfaSchema:schema>Certificate seal</pdfaSchema:schema>
   <pdfaSchema:namespaceURI>{XMP_NAMESPACE}</pdfaSchema:namespaceURI>
   <pdfaSchema:prefix>seal</pdfaSchema:prefix>
   <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
    <pdfaProperty:name>qr</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType>
    <pdfaProperty:category>external</pdfaProperty:category>
    <pdfaProperty:description>The text of the certificate's QR code</pdfaProperty:description>
   </rdf:li></rdf:Seq></pdfaSchema:property>
  </rdf:li></rdf:Bag></pdfaExtension:schemas>
 </rdf:Description>
 <rdf:Description rdf:about="" xmlns:seal="{XMP_NAMESPACE}"><seal:qr>{text}</seal:qr></rdf:Description>
</rdf:RDF>""".encode()
