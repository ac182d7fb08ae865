"""The page in a real browser: Debian's headless Chromium at 390×844 (a phone), for a valid, a revoked
and a forged code in English, Chinese and Arabic. No horizontal overflow; the verdict is visible
without scrolling. The screenshots are kept in tests/artefacts/ (not committed).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import Browser
from tests.conftest import REFERENCE
from tests.server import Server
from verifier.claims import claims_to_cbor, sealed_content
from verifier.keys import new_signing_key
from verifier.model import parse_certificate
from verifier.seal import encode_text, sign

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
KETTLE = REFERENCE["zhejiang-made-kettle"]


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
        valid = httpx.post(f"{server.url}/api/v1/certificates", json=REFERENCE["international-cooperation-valve"],
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    running = Browser()
    yield running
    running.close()


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
