"""HTML → PDF: a certificate rendered from the templates by WeasyPrint as a PDF/A-3b document.

The same inputs give the same bytes: the dates in the document are the sealing time, the file
identifier is derived from the seal, and fonts are subset by content. The seal travels twice: as an
embedded file (``seal.cose``, the COSE_Sign1 bytes, relationship Source) and as the QR text in the XMP
metadata, so a verifier needs no pixels.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from verifier.errors import VerifierError
from verifier.fonts import FAMILY, FontCut, cut_for
from verifier.model import ExemptionPurpose, QuantityUnit
from verifier.qr import qr_svg
from verifier.verdict import IssuerInfo


def _find_templates() -> Path:
    """``templates/``: inside the package when installed from a wheel, beside it in a source checkout."""
    here = Path(__file__).resolve().parent
    for folder in (here / "templates", here.parent / "templates"):
        if (folder / "certificate.html.j2").is_file():
            return folder
    raise FileNotFoundError(f"no templates/ in {here} or beside it: reinstall the package")


TEMPLATES = _find_templates()
SEAL_ATTACHMENT = "seal.cose"
XMP_NAMESPACE = "https://verifier.zhejiang-made.example/ns/seal/1.0/"

TITLES = {
    "zhejiang-made": ("浙江制造认证证书", "Zhejiang Made Certificate"),
    "international-cooperation": ("国际合作认证证书", "International Cooperation Certificate"),
    "ccc-exemption": ("免予办理强制性产品认证证明", "CCC Exemption Certificate"),
    "ccc-self-declaration": ("强制性产品认证自我声明", "CCC Self-Declaration"),
}
PURPOSES = {
    ExemptionPurpose.RESEARCH_AND_DEVELOPMENT.value: "科研测试 Research and development",
    ExemptionPurpose.CERTIFICATION_TESTING.value: "认证测试 Certification testing",
    ExemptionPurpose.PRODUCTION_LINE_PARTS.value: "整机生产零部件 Parts for production lines",
    ExemptionPurpose.EXHIBITION.value: "展览 Exhibition",
    ExemptionPurpose.AFTER_SALES_REPAIR.value: "售后维修 After-sales repair",
    ExemptionPurpose.RE_EXPORT.value: "复运出口 Re-export",
    ExemptionPurpose.OTHER.value: "其他 Other",
}
UNITS = {
    QuantityUnit.PIECES.value: "件 pieces",
    QuantityUnit.SETS.value: "套 sets",
    QuantityUnit.UNITS.value: "台 units",
    QuantityUnit.PAIRS.value: "双 pairs",
    QuantityUnit.KILOGRAMS.value: "千克 kg",
    QuantityUnit.METRES.value: "米 m",
    QuantityUnit.LITRES.value: "升 l",
}


@dataclass(frozen=True)
class Document:
    """Everything a certificate's PDF shows and carries."""

    record: dict[str, Any]
    qr_text: str
    cose: bytes
    issuer: IssuerInfo
    kid: str
    issued_at: datetime
    public_url: str


@dataclass(frozen=True)
class Rendered:
    """A rendered certificate: the PDF bytes and where its QR code lies on the page.

    ``qr_box`` is (left, top, width, height) in PDF points from the page's top-left corner, quiet zone
    included: what the self-test rasterises.
    """

    data: bytes
    qr_box: tuple[float, float, float, float]


_SVG = "{http://www.w3.org/2000/svg}svg"
_POINTS_PER_CSS_PX = 0.75


class Renderer:
    """Templates and fonts loaded once; :meth:`pdf` renders one document (thread-safe per process)."""

    def __init__(self, templates: Path = TEMPLATES) -> None:
        self.templates = templates
        self._jinja = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._css = (templates / "certificate.css").read_text("utf-8")

    def html(self, doc: Document, fonts: FontCut | None = None) -> str:
        """The certificate as HTML (what WeasyPrint lays out); with ``fonts``, set in that cut of the CJK font."""
        css = self._css if fonts is None else fonts.css + self._css.replace(f'"{FAMILY}"', f'"{fonts.family}"')
        record = doc.record
        zh, en = TITLES[record["scheme"]]
        return self._jinja.get_template("certificate.html.j2").render(
            c=record,
            titles={"zh": zh, "en": en},
            markets=" ".join(record["markets"]),
            purposes=PURPOSES,
            units=UNITS,
            issuer=doc.issuer,
            kid=doc.kid,
            issued_at=_iso(doc.issued_at),
            qr_svg=qr_svg(doc.qr_text, scale=1).decode("utf-8"),
            verify_host=doc.public_url.split("://", 1)[1],
            css=css,
        )

    def pdf(self, doc: Document) -> bytes:
        """The certificate as PDF/A-3b bytes: deterministic for the same document."""
        return self.render(doc).data

    def render(self, doc: Document) -> Rendered:
        """The certificate as PDF/A-3b bytes, with the QR code's place on the page."""
        from weasyprint import HTML, Attachment
        from weasyprint.text.fonts import FontConfiguration

        fonts = cut_for(self.html(doc))  # the CJK font cut to this page's characters
        page = HTML(string=self.html(doc, fonts), base_url=str(self.templates))
        rendered = page.render(font_config=FontConfiguration())  # a fresh one: cuts never pile up
        if len(rendered.pages) != 1:
            raise RenderError(f"the certificate takes {len(rendered.pages)} pages; it must fit one")
        box = _qr_box(rendered.pages[0])
        rendered.metadata.xmp_metadata.append(_xmp(doc.qr_text))
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
        )
        return Rendered(pdf, box)


class RenderError(VerifierError):
    """A certificate that cannot be laid out as one page with its QR code."""


def _qr_box(page: Any) -> tuple[float, float, float, float]:
    """The QR code's box on a laid-out page, in points from the top-left corner."""
    stack = [page._page_box]
    while stack:
        box = stack.pop()
        if getattr(box, "element_tag", None) == _SVG:
            return tuple(v * _POINTS_PER_CSS_PX for v in (box.position_x, box.position_y, box.width, box.height))
        stack.extend(getattr(box, "children", None) or ())
    raise RenderError("the template has no QR code")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _xmp(qr_text: str) -> bytes:
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
