"""The page in a real browser: Debian's headless Chromium at 390×844 (a phone), for a valid, a revoked
and a forged code in English, Chinese and Arabic. No horizontal overflow; the verdict is visible
without scrolling. The screenshots are kept in tests/artefacts/ (not committed).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import DEMO
from tests.helpers.browser import Browser
from tests.helpers.server import Server
from verifier.certificate.model import parse_certificate
from verifier.seal.claims import claims_to_cbor, sealed_content
from verifier.seal.cose import encode_text, sign
from verifier.trust.keys import new_signing_key

ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts"
KETTLE = DEMO["zhejiang-made-kettle"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    home = tmp_path_factory.mktemp("browser")
    admin = secrets.token_urlsafe(32)
    server = Server(home, {"VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
                           "VERIFIER_ADMIN_TOKEN": admin, "VERIFIER_RENDER_PDFS": "0"})  # fmt: skip
    server.start()
    try:
        names = {"id": "zjcert", "name": "浙江省产品认证中心", "name_en": "Zhejiang Product Certification Centre"}
        made = httpx.post(f"{server.url}/api/v1/issuers", headers={"Authorization": f"Bearer {admin}"}, json=names)
        issuer = {"Authorization": f"Bearer {made.json()['token']}"}
        valid = httpx.post(f"{server.url}/api/v1/certificates", json=DEMO["international-cooperation-valve"],
                           headers=issuer).json()  # fmt: skip
        revoked = httpx.post(f"{server.url}/api/v1/certificates", json=KETTLE, headers=issuer).json()
        httpx.post(f"{server.url}/api/v1/certificates/{revoked['id']}/revoke", json={"reason": "non_conformity"},
                   headers=issuer)  # fmt: skip
        stranger = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
        forged = sign(claims_to_cbor(sealed_content(parse_certificate(KETTLE), datetime.now(UTC))), stranger)
        segment = lambda qr: qr.rsplit("/", 1)[1]  # noqa: E731
        yield (
            server.url,
            {
                "valid": segment(valid["qr"]),
                "revoked": segment(revoked["qr"]),
                "forged": segment(encode_text(forged, server.url)),
            },
        )
    finally:
        server.stop()


@pytest.mark.parametrize("language", ["en", "zh", "ar"])
@pytest.mark.parametrize("case", ["valid", "revoked", "forged"])
def test_phone_viewport(case: str, language: str, served: tuple[str, dict[str, str]], browser: Browser) -> None:
    url, codes = served
    ARTEFACTS.mkdir(exist_ok=True)
    shot = ARTEFACTS / f"page-{case}-{language}.png"
    measured: dict[str, Any] = browser.visit(f"{url}/c/{codes[case]}?lang={language}", 390, 844, shot)
    assert measured["scrollWidth"] <= measured["innerWidth"], measured  # no horizontal overflow
    assert measured["verdictTop"] >= 0 and measured["verdictBottom"] <= measured["innerHeight"], measured
    assert (measured["lang"], measured["dir"]) == (language, "rtl" if language == "ar" else "ltr")
    assert shot.stat().st_size > 1000


def test_api_docs_render_offline(served: tuple[str, dict[str, str]], browser: Browser) -> None:
    """/docs in Chromium: Swagger UI from the service itself (this machine reaches no CDN), operations listed."""
    url, _ = served
    ARTEFACTS.mkdir(exist_ok=True)
    shot = ARTEFACTS / "docs.png"
    operations = browser.wait_for(
        f"{url}/docs",
        "Array.from(document.querySelectorAll('.opblock-summary-path')).map(e => e.textContent.trim())",
        shot,
    )
    assert operations, "Swagger UI rendered no operation"
    assert "/api/v1/verify" in [o.replace("\u200b", "") for o in operations]
    page = httpx.get(f"{url}/docs")
    assert "cdn" not in page.text.lower()
    assert "script-src 'self' 'sha256-" in page.headers["content-security-policy"]
    assert httpx.get(f"{url}/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert httpx.get(f"{url}/docs/assets/index.html").status_code == 404  # only the files the page needs


# Every character of an element with the box Chromium drew it in, in the text's logical order.
GLYPHS = """const glyphs = (el) => {
    const out = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.data.length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const box = range.getClientRects()[0];
            if (box) out.push({c: node.data[i], x: box.left + box.width / 2, y: box.top + box.height / 2});
        }
    }
    return out;
};"""


def _one_line(glyphs: list[dict[str, Any]]) -> bool:
    return max(g["y"] for g in glyphs) - min(g["y"] for g in glyphs) < 4


def _tokens(glyphs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The glyphs in runs between spaces, in logical order."""
    runs: list[list[dict[str, Any]]] = [[]]
    for g in glyphs:
        if g["c"].isspace():
            runs.append([])
        else:
            runs[-1].append(g)
    return [run for run in runs if run]


def _centre(run: list[dict[str, Any]]) -> float:
    return sum(g["x"] for g in run) / len(run)


def _before(a: list[dict[str, Any]], b: list[dict[str, Any]], rtl: bool) -> bool:
    """Whether ``a`` is read before ``b``: an earlier line, or the same line and earlier in its direction."""
    ya, yb = a[0]["y"], b[0]["y"]
    if abs(ya - yb) >= 4:
        return ya < yb
    return _centre(a) > _centre(b) if rtl else _centre(a) < _centre(b)


def test_arabic_page_keeps_dates_and_models_intact(served: tuple[str, dict[str, str]], browser: Browser) -> None:
    """Read back from the Arabic page as drawn: each date of the validity line reads right to left day, month,
    year with its numbers left to right, the start before the end; each model sits whole on one line, its
    letters left to right, the list in its order. A narrow phone makes the list wrap."""
    url, codes = served
    ARTEFACTS.mkdir(exist_ok=True)
    drawn = browser.wait_for(
        f"{url}/c/{codes['valid']}?lang=ar",
        "(() => {"
        + GLYPHS
        + """
            const validity = document.querySelector('[data-field=validity] dd');
            const products = Array.from(document.querySelectorAll('[data-field=product] dd'));
            if (!validity || !products.length) return null;
            return {dates: Array.from(validity.querySelectorAll('bdi.date')).map(glyphs),
                    lists: products.map(p => Array.from(p.querySelectorAll('.model')).map(glyphs))};
        })()""",
        ARTEFACTS / "page-bidi-ar.png",
        size=(320, 700),
    )
    assert drawn, "the Arabic page has no validity or product row"
    dates, lists = drawn["dates"], drawn["lists"]
    assert ["".join(g["c"] for g in d) for d in dates] == ["15 يناير 2024", "14 يناير 2027"]
    for date in dates:
        assert _one_line(date), date
        day, month, year = _tokens(date)
        assert _before(day, month, rtl=True) and _before(month, year, rtl=True), date
        for number in (day, year):
            assert [g["x"] for g in number] == sorted(g["x"] for g in number), number  # digits left to right
    assert _before(dates[0], dates[1], rtl=True)
    assert [["".join(g["c"] for g in model) for model in models] for models in lists] == [
        ["HT-BV15", "HT-BV20", "HT-BV25", "HT-BV32"], ["HT-GV15", "HT-GV20"]]  # fmt: skip
    for models in lists:
        for model in models:
            assert _one_line(model), model
            assert [g["x"] for g in model] == sorted(g["x"] for g in model), model
        for first, second in itertools.pairwise(models):
            assert _before(first, second, rtl=False), (first, second)  # a list of models reads left to right
    wrapped = {round(model[0]["y"]) for model in lists[0]}
    assert len(wrapped) > 1, "the list did not wrap: the test would prove less"


def test_arabic_page_keeps_latin_values_whole(served: tuple[str, dict[str, str]], browser: Browser) -> None:
    """On the Arabic page, each English value (the holder, the address, a product, a standard's title, a
    recognising body) is drawn as one box that reads left to right, line after line, with no badge or
    Arabic word inside it; the issuer comes before what is certified."""
    url, codes = served
    drawn = browser.wait_for(
        f"{url}/c/{codes['valid']}?lang=ar",
        "(() => {"
        + GLYPHS
        + """
            const values = Array.from(document.querySelectorAll('main .latin'));
            if (!values.length) return null;
            const sections = Array.from(document.querySelectorAll('main section')).map(s => s.className);
            return {sections, values: values.map(el => {
                const box = el.getBoundingClientRect();
                const inside = Array.from(document.querySelectorAll('main .src, main dt')).filter(o => {
                    const r = o.getBoundingClientRect();
                    return r.top < box.bottom - 1 && r.bottom > box.top + 1 && r.left < box.right - 1
                        && r.right > box.left + 1;
                }).length;
                return {text: el.textContent, boxes: el.getClientRects().length, inside, glyphs: glyphs(el)};
            })};
        })()""",
        ARTEFACTS / "page-latin-ar.png",
        size=(320, 900),
    )
    assert drawn, "the Arabic page has no English values"
    assert drawn["sections"].index("issuer") < drawn["sections"].index("certificate")
    texts = [v["text"] for v in drawn["values"]]
    assert any("Valve Manufacturing" in t for t in texts) and any("ball valves" in t for t in texts), texts
    for value in drawn["values"]:
        assert value["boxes"] == 1 and value["inside"] == 0, value["text"]
        lines: dict[int, list[dict[str, Any]]] = {}
        for glyph in value["glyphs"]:
            lines.setdefault(round(glyph["y"] / 4), []).append(glyph)
        read = " ".join("".join(g["c"] for g in sorted(line, key=lambda g: g["x"])).strip()
                        for _, line in sorted(lines.items()))  # fmt: skip
        assert " ".join(read.split()) == " ".join(value["text"].split()), value["text"]
