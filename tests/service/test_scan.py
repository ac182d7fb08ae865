"""The printed QR survives a cheap scan: 150 dpi, then rotated, blurred, JPEG-compressed, downscaled, skewed.

And the command line reads a certificate PDF and a photo of one.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageFilter

from tests.helpers import DEMO, PUBLIC_URL, SEALED_AT
from tests.helpers.cli import run_cli
from verifier.certificate.model import certificate_json, parse_certificate
from verifier.issuing.recipe import seal_certificate
from verifier.paper.letterhead import Letterhead
from verifier.paper.render import Document, Renderer
from verifier.paper.selftest import decode_image
from verifier.trust.keys import new_signing_key


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue()))


def _skew(image: Image.Image) -> Image.Image:
    """A 10 % perspective skew: the top edge narrowed by a tenth, as a phone held at an angle sees it."""
    w, h = image.size
    d = 0.10 * w / 2
    source = [(0, 0), (w, 0), (w, h), (0, h)]
    target = [(d, 0), (w - d, 0), (w, h), (0, h)]
    return image.transform((w, h), Image.Transform.PERSPECTIVE, _coefficients(target, source), fillcolor="white")


def _coefficients(target: list[tuple[float, float]], source: list[tuple[float, float]]) -> list[float]:
    """PIL's eight perspective coefficients mapping ``target`` corners to ``source`` (Gaussian elimination)."""
    rows: list[list[float]] = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    n = 8
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][n] / rows[i][i] for i in range(n)]


TRANSFORMS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "as scanned at 150 dpi": lambda image: image,
    "rotated 5°": lambda image: image.rotate(5, expand=True, fillcolor="white"),
    "Gaussian blur radius 1": lambda image: image.filter(ImageFilter.GaussianBlur(1)),
    "JPEG quality 40": lambda image: _jpeg(image, 40),
    "downscaled to 100 dpi": lambda image: image.resize((image.width * 2 // 3, image.height * 2 // 3)),
    "10% perspective skew": _skew,
}


@pytest.fixture(scope="module")
def scans() -> dict[str, tuple[str, Image.Image, bytes]]:
    key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    renderer = Renderer()
    made = {}
    for name, data in sorted(DEMO.items()):
        certificate = parse_certificate(data)
        sealed = seal_certificate(certificate, key, PUBLIC_URL, SEALED_AT)
        doc = Document(certificate_json(certificate), sealed.qr_text, sealed.cose,
                       Letterhead("zjcert", "浙江", "ZJ"), key.kid.hex(), SEALED_AT, PUBLIC_URL)  # fmt: skip
        pdf = renderer.pdf(doc)
        made[name] = (sealed.qr_text, pdfium.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil(), pdf)
    return made


@pytest.mark.parametrize("transform", sorted(TRANSFORMS), ids=str)
@pytest.mark.parametrize("name", sorted(DEMO))
def test_qr_survives(name: str, transform: str, scans: dict[str, Any]) -> None:
    text, image, _ = scans[name]
    changed = TRANSFORMS[transform](image)
    if transform != "as scanned at 150 dpi":
        assert changed.size != image.size or changed.convert("L").tobytes() != image.convert("L").tobytes()
    assert decode_image(changed) == [text]


def test_cli_reads_a_pdf_and_a_photo(tmp_path: Path, scans: dict[str, Any]) -> None:
    """A trust list vouching for no key: the seal is found and read, its issuer unknown (exit 1)."""
    env = {**os.environ, "VERIFIER_KEYS_DIR": str(tmp_path / "keys"), "VERIFIER_PUBLIC_URL": PUBLIC_URL}
    run = lambda *a: run_cli(*a, cwd=tmp_path, env=env)  # noqa: E731
    assert run("keys", "create", "operator").returncode == 0
    (tmp_path / "issuers.json").write_text("[]")
    assert run("trust-list", "build", "--issuers", "issuers.json", "--out", "trust.json").returncode == 0
    _, image, pdf = scans["zhejiang-made-kettle"]
    (tmp_path / "c.pdf").write_bytes(pdf)
    _jpeg(TRANSFORMS["rotated 5°"](image), 60).save(tmp_path / "photo.jpg")
    for name in ("c.pdf", "photo.jpg"):
        out = run("verify", name, "--trust-list", "trust.json", "--json")
        assert out.returncode == 1, out.stderr
        answer = json.loads(out.stdout)
        assert answer["verdict"] == "unknown_issuer"
        assert answer["signature"]["kid"]
    (tmp_path / "blank.png").write_bytes(_png_blank())
    out = run("verify", "blank.png", "--trust-list", "trust.json")
    assert out.returncode == 2
    assert "no QR code" in out.stderr


def _png_blank() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (100, 100), "white").save(out, format="PNG")
    return out.getvalue()
