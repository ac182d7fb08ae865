"""QR images: every demo certificate fits version 15 at M and decodes from its own pixels."""

from __future__ import annotations

import io
import itertools
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from tests.helpers import DEMO, PUBLIC_URL, SEALED_AT
from verifier.certificate.model import parse_certificate
from verifier.errors import SealTooLarge
from verifier.issuing.recipe import seal_certificate
from verifier.paper.qr import QUIET_ZONE, qr_code, qr_png, qr_svg, qr_version
from verifier.paper.selftest import QR_FORMAT
from verifier.seal.claims import MAX_STATUS_INDEX
from verifier.trust.keys import SigningKey

# A longer public origin than most services will have: the size bar must hold with room to spare.
LONG_ORIGIN = "https://verify.zhejiang-made.org.cn"


def test_demo_certificates_fit_version_15(demo_certificate: dict[str, Any], issuer_key: SigningKey) -> None:
    """With the status index too (spec 1.1), at its largest: it is what issuance seals today."""
    for origin, index in itertools.product((PUBLIC_URL, LONG_ORIGIN), (None, MAX_STATUS_INDEX)):
        sealed = seal_certificate(parse_certificate(demo_certificate), issuer_key, origin, SEALED_AT, index)
        assert sealed.qr_version <= 15, (origin, index, sealed.qr_version)
        assert qr_code(sealed.qr_text).mode == "alphanumeric"


def test_png_decodes_to_the_exact_text(demo_certificate: dict[str, Any], issuer_key: SigningKey) -> None:
    text = seal_certificate(parse_certificate(demo_certificate), issuer_key, PUBLIC_URL, SEALED_AT).qr_text
    image = Image.open(io.BytesIO(qr_png(text, scale=4)))
    found = zxingcpp.read_barcodes(image, formats=QR_FORMAT)
    assert [b.text for b in found] == [text]
    assert found[0].symbology_identifier == "]Q1"
    version = qr_version(text)
    modules = 17 + 4 * version + 2 * QUIET_ZONE
    assert image.size == (modules * 4, modules * 4)


def test_svg_is_one_square_path_with_quiet_zone(issuer_key: SigningKey, demo_certificate: dict[str, Any]) -> None:
    text = seal_certificate(parse_certificate(demo_certificate), issuer_key, PUBLIC_URL, SEALED_AT).qr_text
    root = ET.fromstring(qr_svg(text, scale=1))
    size = 17 + 4 * qr_version(text) + 2 * QUIET_ZONE
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.get("width"), root.get("height")) == (str(size), str(size))
    assert len(root.findall("{http://www.w3.org/2000/svg}path")) == 1


def test_too_large_for_any_allowed_version() -> None:
    with pytest.raises(SealTooLarge):
        qr_code("A" * 2000)


def test_a_certificate_too_large_for_the_qr_is_refused(issuer_key: SigningKey) -> None:
    data = json.loads(json.dumps(DEMO["international-cooperation-valve"]))
    product = data["products"][0]
    data["products"] = [
        {**product, "name_en": f"{product['name_en']} {i}", "models": [f"HT-BV{i}-{m}" for m in range(30)]}
        for i in range(10)
    ]
    with pytest.raises(SealTooLarge, match="QR version 25"):
        seal_certificate(parse_certificate(data), issuer_key, PUBLIC_URL, SEALED_AT)


def test_the_fast_mask_choice_is_segnos_for_every_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """verifier.paper.qrmask picks the very mask (and matrix) segno's own penalty evaluation picks: the same text
    gives the same symbol as before. Texts of every length up to version 25, in the seal's alphabet, and
    a few in byte mode; plus the matrices seen by each."""
    import random

    import segno
    import segno.encoder as encoder

    from verifier.paper import qrmask

    rng = random.Random(17)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$%*+-./:"
    compared: list[int] = []

    def both(matrix: Any, width: int, height: int, proposed: int | None = None) -> Any:
        copy = tuple(bytearray(row) for row in matrix)
        fast = qrmask.find_and_apply_best_mask(matrix, width, height, proposed)
        slow = qrmask._original(copy, width, height, proposed)
        assert fast[0] == slow[0] and [bytes(r) for r in fast[1]] == [bytes(r) for r in slow[1]]
        compared.append(width)
        return fast

    monkeypatch.setattr(encoder, "find_and_apply_best_mask", both)
    texts = [f"{PUBLIC_URL}/C/" + "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 1800)))
             for _ in range(60)]  # fmt: skip
    texts += ["https://example.org/" + "".join(rng.choice("abcxyz/?=&") for _ in range(n)) for n in (10, 200, 700)]
    for text in texts:
        segno.make_qr(text, error="M", boost_error=False)
    assert len(compared) == len(texts) and len(set(compared)) > 15  # many versions, each compared
