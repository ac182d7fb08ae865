"""The verification page: the verdict first, naming what the certificate is, then everything it says.

Every piece of content carries where it comes from: **signed** (in the QR code's seal, its signature
checked just now) or **registry** (the issuer's full record, which the seal does not carry: Chinese
names, addresses, standard titles, recognitions). A code whose signature fails shows what it claims
marked **not verified**. Countries, money, dates and spans of time are worded by CLDR (Babel) in the
page's language. Every date, number, code and Latin list sits in its own bidirectional isolate
(``<bdi>``), so an Arabic page never reorders "2027-01-14" or breaks a model name across a line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import jinja2
from babel.lists import format_list
from markupsafe import Markup, escape

from verifier.api.i18n import LANGUAGES, Messages, catalogue
from verifier.certificate.codes import PORTS
from verifier.certificate.days import SCHEME_TZ, scheme_time
from verifier.paper import wording
from verifier.resources import TEMPLATES
from verifier.verdict import Verdict
from verifier.verification.result import VerificationResult

TONES = {
    Verdict.VALID: "good", Verdict.SUSPENDED: "warn", Verdict.EXPIRED: "warn", Verdict.NOT_YET_VALID: "warn",
    Verdict.REVOKED: "bad", Verdict.INVALID: "bad", Verdict.UNKNOWN_ISSUER: "bad", Verdict.UNREGISTERED: "bad",
    Verdict.MALFORMED: "grey",
}  # fmt: skip
JINJA = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=jinja2.StrictUndefined
)


@dataclass(frozen=True)
class Row:
    """One line of a section: a field's label and its value (HTML, its parts marked by source)."""

    key: str
    label: str
    value: Markup


@dataclass
class Section:
    """A titled block of rows; ``note`` is said before the rows (the shipment check)."""

    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    note: str = ""


def trusted(html: str) -> Markup:
    """HTML this module built: a catalogue message (ours) whose fields were escaped or isolated first."""
    return Markup(html)  # noqa: S704 - never a stranger's text: every field went through escape()


def ltr(text: object, css: str = "") -> Markup:
    """``text`` isolated left to right: codes, numbers, models, Latin names (``css`` a fixed class name)."""
    if css:
        return Markup('<bdi dir="ltr" class="{}">{}</bdi>').format(css, text)
    return Markup('<bdi dir="ltr">{}</bdi>').format(text)


def heading(text: str) -> str:
    """A scheme's name as a heading: its first letter a capital, in every language that has them.

    The catalogue writes the names as they stand inside a sentence ("this international cooperation
    certificate"); headings then read alike ("International cooperation certificate", "“Zhejiang Made”
    product certificate").
    """
    for place, char in enumerate(text):
        if char.isalpha():
            return text[:place] + char.upper() + text[place + 1 :]
    return text


def latin(text: object) -> Markup:
    """An English value (a company's name, an address, a title) isolated left to right, and kept whole.

    On a right-to-left page the box keeps its words in their order and together, even when it wraps
    (the page's style makes it an inline block there), rather than flowing around the badges beside it.
    """
    return ltr(text, "latin")


def isolated(text: object, css: str = "") -> Markup:
    """``text`` isolated in its own direction (a date or an amount in the page's language)."""
    if css:
        return Markup('<bdi class="{}">{}</bdi>').format(css, text)
    return Markup("<bdi>{}</bdi>").format(text)


def day(when: date, language: str) -> Markup:
    """A calendar date in words of ``language``, isolated so an Arabic line keeps it whole."""
    return isolated(wording.calendar_date(when, language), "date")


class _Marker:
    """Marks parts of a value as signed, registry or not verified, with a small badge after each."""

    def __init__(self, m: Messages, genuine: bool) -> None:
        self.m = m
        self.signed_badge = "signed" if genuine else "unverified"

    def signed(self, value: Markup) -> Markup:
        return self._badge(value, self.signed_badge)

    def registry(self, value: Markup) -> Markup:
        return self._badge(value, "registry")

    def _badge(self, value: Markup, source: str) -> Markup:
        return Markup('<span class="part {0}">{1} <small class="src">{2}</small></span>').format(
            source, value, self.m(f"badge_{source}")
        )


def _quantity(m: Messages, quantity: int, unit: str) -> str:
    language = m.language
    worded = wording.cldr_unit(quantity, unit, language)
    if worded is not None:
        return worded
    category = wording.plural_category(quantity, language)
    key = f"unit_{unit}_{category}"
    return m(key if m.has(key) else f"unit_{unit}_other", n=wording.number(quantity, language))


def _port(code: str, language: str) -> Markup:
    names = PORTS.get(code)
    if names is None:
        return ltr(code, "mono")
    name = names[0] if language == "zh" else names[1]
    return Markup("{} {}").format(isolated(name), ltr(code, "mono"))


def _day_end(day: date) -> datetime:
    """The first moment after ``day`` in China Standard Time: where a validity period ends."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), SCHEME_TZ)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), SCHEME_TZ)


def content_sections(
    m: Messages, c: dict[str, Any], record: dict[str, Any] | None, genuine: bool, at: datetime
) -> list[Section]:
    """What the certificate certifies, in sections of rows, each part marked by where it comes from."""
    language = m.language
    mark = _Marker(m, genuine)
    main = Section("certificate", heading(m(f"scheme_{c['scheme']}")))
    rows = main.rows
    rows.append(Row("number", m("number"), mark.signed(ltr(c["number"], "mono"))))
    holder = record["holder"] if record else None
    names = [mark.registry(isolated(holder["name"]))] if holder else []
    names.append(mark.signed(latin(c["holder"]["name_en"])))
    rows.append(Row("holder", m("holder"), Markup("<br>").join(names)))
    rows.append(Row("credit_code", m("credit_code"), mark.signed(ltr(c["holder"]["credit_code"], "mono"))))
    if holder:
        address = Markup("<br>").join([isolated(holder["address"]), latin(holder["address_en"])])
        rows.append(Row("address", m("address"), mark.registry(address)))
        site = record.get("site") if record else None
        if site:
            where = Markup("<br>").join([isolated(site["address"]), latin(site["address_en"])])
            rows.append(Row("site", m("site"), mark.registry(where)))
    for i, product in enumerate(c["products"]):
        parts = []
        if record:
            parts.append(mark.registry(isolated(record["products"][i]["name"])))
        models = Markup(", ").join(ltr(model, "model") for model in product["models"])
        parts.append(
            mark.signed(
                Markup("{}<br>{}: {} · {} {}").format(
                    latin(product["name_en"]),
                    m("models"),
                    Markup('<bdi dir="ltr" class="models">{}</bdi>').format(models),
                    m("hs_code"),
                    ltr(product["hs_code"], "mono"),
                )
            )
        )
        rows.append(Row("product", m("products"), Markup("<br>").join(parts)))
    titles = {s["code"]: s for s in record["standards"]} if record else {}
    for standard in c["standards"]:
        parts = [mark.signed(ltr(standard["code"], "mono"))]
        full = titles.get(standard["code"])
        if full:
            title = isolated(full["title"]) if language == "zh" else latin(full["title_en"])
            parts.append(mark.registry(title))
        rows.append(Row("standard", m("standards"), Markup("<br>").join(parts)))  # the title whole, on a line
    countries = [
        str(Markup("{} {}").format(isolated(wording.country(code, language)), ltr(code, "code")))
        for code in c["markets"]
    ]
    rows.append(Row("markets", m("markets"), mark.signed(trusted(format_list(countries, locale=language)))))
    start, until = date.fromisoformat(c["valid_from"]), date.fromisoformat(c["valid_until"])
    span = m(
        "validity_range",
        **{"from": str(day(start, language)), "until": str(day(until, language))},
    )  # fmt: skip
    if at < _day_start(start):
        when = m("starts", when=wording.span(at, _day_start(start), language))
    elif at < _day_end(until):
        when = m("ends", when=wording.span(at, _day_end(until), language))
    else:
        when = m("ended", when=wording.span(at, _day_end(until), language))
    validity = Markup('{} <span class="when">{}</span>').format(trusted(span), isolated(when))
    rows.append(Row("validity", m("validity"), mark.signed(validity)))
    issued = datetime.fromisoformat(c["issued_at"].replace("Z", "+00:00")).astimezone(SCHEME_TZ).date()
    rows.append(Row("issued", m("issued"), mark.signed(day(issued, language))))
    sections = [main]
    exemption = c.get("exemption")
    if exemption:
        goods = Section("goods", m("goods"), note=m("compare"))
        value = exemption["declared_value"]
        goods.rows += [
            Row("purpose", m("purpose"), mark.signed(isolated(m(f"purpose_{exemption['purpose']}")))),
            Row("quantity", m("quantity"),
                mark.signed(isolated(_quantity(m, exemption["quantity"], exemption["unit"])))),
            Row("declared_value", m("declared_value"),
                mark.signed(isolated(wording.money(value["amount"], value["currency"], language)))),
            Row("port_of_entry", m("port_of_entry"), mark.signed(_port(exemption["port_of_entry"], language))),
        ]  # fmt: skip
        sections.append(goods)
    return sections


REC_TONES = {"valid": "rec-good", "lapsed": "rec-warn", "suspended": "rec-warn", "expired": "rec-warn",
             "not_yet_valid": "rec-warn", "declared": "rec-warn"}  # fmt: skip  # anything else: rec-bad


def recognition_section(m: Messages, recognitions: tuple[dict[str, Any], ...]) -> Section | None:
    """The certificate's recognitions, each in a sentence of its verdict: signed by the body, or only declared.

    The body's name comes from the trust list for a recognition whose key it holds (and from the issuer's
    record for one only declared, which says so); a recognition that does not verify names nobody.
    """
    if not recognitions:
        return None
    language = m.language
    section = Section("recognitions", m("recognitions"))
    for r in recognitions:
        body = r["recogniser"]
        name = body["name_en"] or body["id"] or "?"
        shown = f"{name} ({body['country']})" if body["country"] else name
        markets = format_list([wording.country(code, language) for code in r["markets"]], locale=language)
        fields = {"body": latin(shown), "markets": isolated(markets), "number": ltr(r["number"], "mono")}
        for edge in ("from", "until"):
            if r[f"valid_{edge}"]:
                fields[edge] = day(date.fromisoformat(r[f"valid_{edge}"]), language)
        text = trusted(m(f"rec_{r['verdict']}", **{k: str(v) for k, v in fields.items()}))
        marked = Markup('<span class="rec {}">{}</span>').format(REC_TONES.get(r["verdict"], "rec-bad"), text)
        section.rows.append(Row(f"recognition-{r['verdict']}", ltr(shown), marked))
    return section


def sentence(m: Messages, result: VerificationResult) -> Markup:
    """The verdict in one sentence, naming what the certificate is; dates in words, isolated."""
    status, c = result.status, result.certificate
    language = m.language
    reason = m(f"reason_{status.reason}") if status.reason and m.has(f"reason_{status.reason}") else ""
    fields = {
        "kind": escape(m(f"scheme_{c.scheme.value}")) if c else "",
        "since": day(status.since.astimezone(SCHEME_TZ).date(), language) if status.since else "",
        "reason": escape(reason),
        "until": day(c.valid_until, language) if c else "",
        "from": day(c.valid_from, language) if c else "",
    }
    return trusted(m(result.verdict.value, **{k: str(v) for k, v in fields.items()}))


def page(result: VerificationResult, language: str, identical: bool | None = None) -> str:
    """The verification page: the verdict first, in plain words of ``language``, then what is certified.

    ``identical`` is False for an uploaded file whose seal the registry issued but whose bytes are not
    the PDF it issued: the page says so first of all. A forged or altered code never shows an issuer
    as having issued it, only the key it claims.
    """
    m = Messages(language)
    c = result.certificate.to_json() if result.certificate else None
    record = result.registered.record if result.registered else None
    genuine = result.signature.valid is True
    as_of = scheme_time(result.status.as_of or result.checked_at)
    recognised = [s for s in [recognition_section(m, result.recognitions)] if s is not None]
    return JINJA.get_template("page.html.j2").render(
        m=m,
        tone=TONES[result.verdict],
        sentence=sentence(m, result),
        next_step=_next_step(m, result),
        sections=[*content_sections(m, c, record, genuine, result.checked_at), *recognised] if c else [],
        issuer=result.signature.issuer,
        kid=result.signature.kid,
        claimed=_claimed(m, result) if result.verdict is Verdict.INVALID and result.signature.issuer else None,
        not_identical=m("not_identical") if identical is False and result.registered else None,
        footer=trusted(m("as_of", as_of=str(isolated(as_of)))) + Markup(" · ") + m("time_zone"),
        credential=f"/credentials/{result.registered.certificate_id}" if result.registered and genuine else None,
        logged=_logged(m, result),
        languages=[(code, catalogue(code)["language"]) for code in LANGUAGES],
    )


def _next_step(m: Messages, result: VerificationResult) -> str | None:
    """What the reader should do next.

    For a certificate the registry issued with a key withdrawn since: what happened to the key, and that
    the holder should have it reissued (whatever the verdict).
    """
    if result.registered is not None and result.signature.key_withdrawn_at is not None:
        return m("key_withdrawn")
    return None if result.verdict is Verdict.VALID else m(f"next_{result.verdict.value}")


LOG_TONES = {"witnessed": "rec-good", "refused": "rec-bad"}  # anything else: rec-warn


def _logged(m: Messages, result: VerificationResult) -> Markup | None:
    """The transparency log's word on the issuance, in a sentence (none offline without a proof: nothing to say)."""
    log = result.log
    if log is None or log.state.value == "unchecked":
        return None
    fields = {"index": ltr(str(log.index), "mono"), "witnesses": latin(", ".join(log.cosigned))}
    text = trusted(m(f"log_{log.state.value}", **{k: str(v) for k, v in fields.items()}))
    return Markup('<span class="rec {}">{}</span>').format(LOG_TONES.get(log.state.value, "rec-warn"), text)


def _claimed(m: Messages, result: VerificationResult) -> str:
    """For a code whose signature fails: the key and issuer it names, and that they did not sign it."""
    issuer = result.signature.issuer
    assert issuer is not None
    return m(
        "claimed_key", kid=result.signature.kid or "", issuer=issuer.name if m.language == "zh" else issuer.name_en
    )
