"""The README's pictures, made from the real thing: a live server, Debian's Chromium, a rendered PDF.

    .venv/bin/python scripts/screenshots.py        (writes docs/images/*.png)

A `verifier serve` on a temporary folder issues the reference kettle certificate and a revoked copy;
Chromium (tests/helpers/browser.py) opens their verification pages at a phone's 390×844; the kettle's PDF,
as issued, is rasterised at 100 dpi by pypdfium2.
"""

from __future__ import annotations

import secrets
import shutil
import sys
import tempfile
from pathlib import Path

import httpx
import pypdfium2

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers import DEMO  # noqa: E402
from tests.helpers.browser import Browser  # noqa: E402
from tests.helpers.server import Server  # noqa: E402
from verifier.demo.certificates import demo_stamp  # noqa: E402

IMAGES = REPO / "docs" / "images"
# A made-up letterhead (the stamp is the demo's SPECIMEN).
LETTERHEAD = {
    "address": "浙江省杭州市西湖区文三路90号",
    "address_en": "90 Wensan Road, Xihu District, Hangzhou, Zhejiang, China",
    "contact": "+86 571 8765 4321 · cert@zhejiang-made.example",
    "accreditation": "CNAS C123-P",
    "signatory": "王建国 WANG Jianguo",
    "signatory_title": "认证部主任",
    "signatory_title_en": "Head of Certification",
}


def main() -> None:
    """Write docs/images/page-valid.png, page-revoked-zh.png and certificate.png."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="verifier-screenshots-"))
    admin = secrets.token_urlsafe(32)
    server = Server(home, {"VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
                           "VERIFIER_ADMIN_TOKEN": admin, "VERIFIER_LOG_LEVEL": "warning",
                           "VERIFIER_PUBLIC_URL": "https://verify.zhejiang-made.example"})  # fmt: skip
    server.start()
    browser = Browser()
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            body = {"id": "zjmade", "name": "浙江制造认证联盟", "name_en": "Zhejiang Made Alliance", **LETTERHEAD}
            operator = {"Authorization": f"Bearer {admin}"}
            made = client.post("/api/v1/issuers", headers=operator, json=body)
            stamp = client.put("/api/v1/issuers/zjmade/stamp", headers=operator,
                               files={"file": ("stamp.svg", demo_stamp(), "image/svg+xml")})  # fmt: skip
            assert stamp.status_code == 200, stamp.text
            issuer = {"Authorization": f"Bearer {made.json()['token']}"}
            kettle = client.post("/api/v1/certificates", json=DEMO["zhejiang-made-kettle"], headers=issuer).json()
            copy = {**DEMO["zhejiang-made-kettle"], "number": "ZJM-2024-0318"}
            revoked = client.post("/api/v1/certificates", json=copy, headers=issuer).json()
            client.post(f"/api/v1/certificates/{revoked['id']}/revoke", json={"reason": "non_conformity"},
                        headers=issuer)  # fmt: skip
            for name, certificate, language in (("page-valid", kettle, "en"), ("page-revoked-zh", revoked, "zh")):
                url = f"{server.url}/c/{certificate['qr'].rsplit('/', 1)[1]}?lang={language}"  # as if at the origin
                browser.visit(url, 390, 844, IMAGES / f"{name}.png")
                print(IMAGES / f"{name}.png")
            pdf = client.get(f"/api/v1/certificates/{kettle['id']}/pdf", headers=issuer).content
        document = pypdfium2.PdfDocument(pdf)
        document[0].render(scale=100 / 72).to_pil().save(IMAGES / "certificate.png", optimize=True)
        print(IMAGES / "certificate.png")
    finally:
        browser.close()
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
