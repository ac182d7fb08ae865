"""The issuer's letterhead and stamp, as the operator sets them (API and command line), on the paper after.

Bad stamps are refused with a clear 4xx and lose nothing: the stamp stored before stays.
"""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from tests.helpers import DEMO, Service
from tests.helpers.cli import Ran, run_cli
from verifier.demo.certificates import demo_stamp

KETTLE = DEMO["zhejiang-made-kettle"]
LETTERHEAD = {
    "address": "浙江省杭州市西湖区文三路90号",
    "address_en": "90 Wensan Road, Xihu District, Hangzhou, Zhejiang, China",
    "contact": "+86 571 8765 4321 · cert@zjcert.example",
    "accreditation": "CNAS C123-P",
    "signatory": "王建国 WANG Jianguo",
    "signatory_title": "认证部主任",
    "signatory_title_en": "Head of Certification",
}
SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100">'


def png(side: int = 200) -> bytes:
    """A red ring, as a stamp is."""
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((4, 4, side - 4, side - 4), outline=(200, 16, 46, 255), width=max(1, side // 20))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def put(service: Service, data: bytes, name: str = "stamp.png", issuer: str = "zjcert") -> Any:
    return service.client.put(f"/api/v1/issuers/{issuer}/stamp", files={"file": (name, data, "image/png")},
                              headers=service.admin)  # fmt: skip


def test_letterhead_set_at_registration_then_updated_and_cleared(service: Service) -> None:
    body = {"id": "zjcert", "name": "浙江认证", "name_en": "ZJ Cert", **LETTERHEAD}
    made = service.client.post("/api/v1/issuers", headers=service.admin, json=body)
    assert made.status_code == 201, made.text
    shown = service.client.get("/api/v1/issuers/zjcert", headers=service.admin).json()
    assert {k: shown[k] for k in LETTERHEAD} == LETTERHEAD and shown["stamp"] is None
    changed = service.client.patch("/api/v1/issuers/zjcert", headers=service.admin,
                                   json={"contact": "cert@zjcert.example", "signatory_title_en": None})  # fmt: skip
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert after["contact"] == "cert@zjcert.example" and after["signatory_title_en"] == ""
    assert after["address"] == LETTERHEAD["address"]  # left out: unchanged
    assert service.client.get("/api/v1/issuers/zjcert", headers=service.admin).json() == after


@pytest.mark.parametrize(
    ("body", "field"),
    [({"contact": "line one\nline two"}, "contact"), ({"address": ""}, "address"), ({"accreditation": "x" * 101},
     "accreditation"), ({"name": "renamed"}, "name"), ({"stamp": "x"}, "stamp")],
)  # fmt: skip
def test_bad_letterhead_is_refused_and_changes_nothing(service: Service, body: dict[str, Any], field: str) -> None:
    service.issuer()
    before = service.client.get("/api/v1/issuers/zjcert", headers=service.admin).json()
    answer = service.client.patch("/api/v1/issuers/zjcert", headers=service.admin, json=body)
    assert answer.status_code == 422, answer.text
    assert [f["field"] for f in answer.json()["fields"]] == [field]
    assert service.client.get("/api/v1/issuers/zjcert", headers=service.admin).json() == before


def test_only_the_operator_sets_letterheads(service: Service) -> None:
    issuer = service.issuer()
    assert service.client.patch("/api/v1/issuers/zjcert", headers=issuer, json={"contact": "x"}).status_code == 403
    assert service.client.put("/api/v1/issuers/zjcert/stamp", headers=issuer,
                              files={"file": ("s.png", png(), "image/png")}).status_code == 403  # fmt: skip
    assert (
        service.client.patch("/api/v1/issuers/nobody", headers=service.admin, json={"contact": "x"}).status_code == 404
    )
    assert put(service, png(), issuer="nobody").status_code == 404


def _red(pdf: bytes) -> int:
    pixels = pdfium.PdfDocument(pdf)[0].render(scale=50 / 72).to_pil().convert("RGB").tobytes()
    return sum(1 for i in range(0, len(pixels), 3) if pixels[i] > 150 and pixels[i + 1] < 90 and pixels[i + 2] < 90)


def test_the_next_certificate_prints_the_letterhead_and_stamp(pdf_service: Service) -> None:
    """What the operator sets is on the paper issued after it; a certificate issued before keeps its bytes."""
    issuer = pdf_service.issuer()
    before = pdf_service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).json()
    old_pdf = pdf_service.client.get(f"/api/v1/certificates/{before['id']}/pdf", headers=issuer).content
    assert pdf_service.client.patch("/api/v1/issuers/zjcert", headers=pdf_service.admin,
                                    json=LETTERHEAD).status_code == 200  # fmt: skip
    stamped = put(pdf_service, png())
    assert stamped.status_code == 200, stamped.text
    assert stamped.json()["stamp"]["media_type"] == "image/png"
    after = pdf_service.client.post("/api/v1/certificates", json=dict(KETTLE, number="ZJM-2024-0400"),
                                    headers=issuer).json()  # fmt: skip
    pdf = pdf_service.client.get(f"/api/v1/certificates/{after['id']}/pdf", headers=issuer).content
    text = _pdftotext(pdf)
    assert all(value.replace(" ", "") in text for value in LETTERHEAD.values()), text
    assert _red(pdf) > 100 and _red(old_pdf) == 0
    assert pdf_service.client.get(f"/api/v1/certificates/{before['id']}/pdf", headers=issuer).content == old_pdf
    assert LETTERHEAD["accreditation"].replace(" ", "") not in _pdftotext(old_pdf)


def _pdftotext(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return "".join(out.decode("utf-8").split())


def test_svg_stamp_accepted_then_removed(service: Service) -> None:
    service.issuer()
    answer = put(service, demo_stamp(), "stamp.svg")
    assert answer.status_code == 200, answer.text
    assert answer.json()["stamp"]["media_type"] == "image/svg+xml"  # by its bytes, not the declared type
    assert service.client.delete("/api/v1/issuers/zjcert/stamp", headers=service.admin).status_code == 204
    assert service.client.get("/api/v1/issuers/zjcert", headers=service.admin).json()["stamp"] is None


HOSTILE_SVGS = {
    "script": f"{SVG_HEAD}<script>alert(1)</script><circle r='40' cx='50' cy='50'/></svg>",
    "event attribute": f"{SVG_HEAD}<circle r='40' cx='50' cy='50' onload='alert(1)'/></svg>",
    "external image": f"{SVG_HEAD}<image href='https://evil.example/x.png' width='10' height='10'/></svg>",
    "external use": f"{SVG_HEAD}<use xlink:href='https://evil.example/a.svg#x'/></svg>",
    "external fill": f"{SVG_HEAD}<rect width='9' height='9' fill='url(https://evil.example/p.svg#g)'/></svg>",
    "style import": f"{SVG_HEAD}<style>@import url(https://evil.example/s.css);</style></svg>",
    "data uri": f"{SVG_HEAD}<rect width='9' height='9' style='fill:url(data:image/png;base64,AAAA)'/></svg>",
    "foreign object": f"{SVG_HEAD}<foreignObject width='9' height='9'><p>hi</p></foreignObject></svg>",
    "entities": '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    f"{SVG_HEAD}<text>&b;</text></svg>",
    "other vocabulary": f'{SVG_HEAD}<x:thing xmlns:x="urn:x"/></svg>',
    "not well formed": f"{SVG_HEAD}<circle r='40'",
    "no size": '<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>',
    "not svg namespace": '<svg viewBox="0 0 9 9"><circle r="4"/></svg>',
}


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [(b"hello, this is not an image", 415, "unsupported_type"), (b"", 422, "empty"),
     (b"GIF89a" + bytes(100), 415, "unsupported_type"),
     (b"\x89PNG\r\n\x1a\n" + os.urandom(70_000), 413, "too_large"),
     (png()[:200], 422, "unreadable_image"), (png(16), 422, "bad_size"), (png(1700)[:60_000], 422, "bad_size")]
    + [(svg.encode(), 422, None) for svg in HOSTILE_SVGS.values()],
    ids=["text", "empty", "gif", "too big", "truncated png", "tiny png", "huge png", *HOSTILE_SVGS],
)  # fmt: skip
def test_bad_stamps_are_refused_and_lose_nothing(service: Service, data: bytes, status: int, code: str | None) -> None:
    service.issuer()
    assert put(service, demo_stamp(), "stamp.svg").status_code == 200
    before = service.client.get("/api/v1/issuers/zjcert", headers=service.admin).json()["stamp"]
    answer = put(service, data)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["message"] and (code is None or body["error"] == code), body
    if status == 422 and code is None:
        assert body["error"] in ("unsafe_svg", "unreadable_image"), body
    assert service.client.get("/api/v1/issuers/zjcert", headers=service.admin).json()["stamp"] == before


def run(home: Path, *args: str) -> Ran:
    env = {**os.environ, "VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys")}
    return run_cli(*args, cwd=home, env=env)


def test_the_command_line_sets_letterhead_and_stamp(tmp_path: Path) -> None:
    made = run(tmp_path, "issuer", "create", "zjqc", "--name", "浙江质量", "--name-en", "Zhejiang Quality",
               "--accreditation", "CNAS C999-P", "--address", "浙江省杭州市")  # fmt: skip
    assert made.returncode == 0, made.stderr
    updated = run(tmp_path, "issuer", "update", "zjqc", "--signatory", "李明 LI Ming", "--address", "")
    assert updated.returncode == 0, updated.stderr
    assert "李明 LI Ming" in updated.stdout and "CNAS C999-P" in updated.stdout
    (tmp_path / "stamp.svg").write_bytes(demo_stamp())
    assert run(tmp_path, "issuer", "stamp", "zjqc", "stamp.svg").returncode == 0
    shown = run(tmp_path, "issuer", "show", "zjqc").stdout
    assert "image/svg+xml" in shown and "\naddress              -\n" in shown
    (tmp_path / "evil.svg").write_text(HOSTILE_SVGS["script"])
    refused = run(tmp_path, "issuer", "stamp", "zjqc", "evil.svg")
    assert refused.returncode == 2 and "<script> is not allowed" in refused.stderr
    assert "image/svg+xml" in run(tmp_path, "issuer", "show", "zjqc").stdout  # the old stamp stays
    nothing = run(tmp_path, "issuer", "update", "zjqc")
    assert nothing.returncode == 2 and "nothing to set" in nothing.stderr
    assert run(tmp_path, "issuer", "stamp", "zjqc", "--remove").returncode == 0
    assert "\nstamp                -\n" in run(tmp_path, "issuer", "show", "zjqc").stdout + "\n"
