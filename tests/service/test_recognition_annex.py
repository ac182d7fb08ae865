"""The annex of recognitions (issue 28, item 4): a PDF the issuer prints beside the certificate, a block and a
QR code for each recognition in force, read back here from the page's pixels; it embeds the certificate's seal
and every recognition seal, and ``verifier verify`` checks them all offline from the file."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pypdfium2 as pdfium

from tests.helpers import Service
from tests.helpers.cli import run_cli
from tests.service.test_recognitions import Scene
from verifier.paper.selftest import decode_image, decode_image_zbar
from verifier.seal.cose import SEAL_ATTACHMENT, decode_segment
from verifier.trust.keys import KeyStore, public_key_pem


def _attachments(pdf: bytes) -> dict[str, bytes]:
    document = pdfium.PdfDocument(pdf)
    try:
        found = {}
        for index in range(document.count_attachments()):
            attachment = document.get_attachment(index)
            found[attachment.get_name()] = bytes(attachment.get_data())
        return found
    finally:
        document.close()


def _codes_on_pages(pdf: bytes, dpi: int = 150) -> list[set[str]]:
    """The QR texts both decoders read on each page, from pixels (a printed page, scanned)."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            zxing, zbar = set(decode_image(image)), set(decode_image_zbar(image))
            assert zxing == zbar
            pages.append(zxing)
        return pages
    finally:
        document.close()


def _recognised(scene: Scene) -> list[dict]:
    client, cid = scene.client, scene.certificate["id"]
    sgs = client.post("/api/v1/recognitions", headers=scene.sgs, json={
        "certificate_id": cid, "number": "SGS-DE-2026-0001", "markets": ["DE", "FR"],
        "basis": ["EN 12266-1:2012", "DIN 3230-5 (national deviation)"]})  # fmt: skip
    assert sgs.status_code == 201, sgs.text
    tuv = client.post(
        "/api/v1/recognitions",
        headers=scene.tuv,
        json={"certificate_id": cid, "seal": scene.signed_by(scene.tuv_key, scene.certificate)},
    )
    assert tuv.status_code == 201, tuv.text
    return [sgs.json(), tuv.json()]


def test_the_annex_prints_a_qr_code_for_each_recognition_and_carries_their_seals(pdf_service: Service,
                                                                                 tmp_path: Path) -> None:  # fmt: skip
    scene = Scene(pdf_service)
    client, cid = scene.client, scene.certificate["id"]
    url = f"/api/v1/certificates/{cid}/recognitions.pdf"
    none = client.get(url, headers=scene.issuer)
    assert none.status_code == 404 and "no body recognises" in none.json()["message"]
    made = _recognised(scene)
    answer = client.get(url, headers=scene.issuer)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf" and answer.headers["cache-control"] == "no-store"
    pdf = answer.content
    assert client.get(url, headers=scene.issuer).content == pdf  # the same recognitions, the same bytes
    (tmp_path / "annex.pdf").write_bytes(pdf)
    # Each recognition's own link, read from the printed page's pixels by two decoders.
    read = set().union(*_codes_on_pages(pdf))
    assert read == {r["link"] for r in made}
    # The certificate's seal and each recognition seal ride in the file.
    carried = _attachments(pdf)
    assert carried[SEAL_ATTACHMENT] == decode_segment(scene.certificate["qr"].rsplit("/", 1)[1])
    assert sorted(v for k, v in carried.items() if k.startswith("recognition-")) == sorted(
        base64.b64decode(r["seal"]) for r in made
    )
    # Offline, from the file alone: the certificate and both recognitions; with SGS's lists, SGS's status too.
    folder, env = _offline(pdf_service, tmp_path)
    ran = run_cli("verify", tmp_path / "annex.pdf", "--trust-list", folder / "trust.json", "--operator-key",
                  folder / "operator.pem", env=env)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    lines = [line for line in ran.stdout.splitlines() if line.startswith("  recognised:")]
    assert lines == [
        "  recognised:  GENUINE for DE FR by SGS (CH), their number SGS-DE-2026-0001, 2024-01-15 to 2027-01-14, "
        "signature verified; its status not checked (offline)",
        "  recognised:  GENUINE for DE by TÜV SÜD (DE), their number TUV-DE-2026-0001, 2024-01-15 to 2027-01-14, "
        "signature verified; its status not checked (offline)",
    ]
    index = made[0]["status_index"]
    for purpose in ("revocation", "suspension"):
        listed = client.get(f"/status/sgs/{purpose}/{index // 131072}", headers={"Accept": "application/vc+jwt"})
        (folder / f"{purpose}.jwt").write_text(listed.text)
    lists = ("--status-list", folder / "revocation.jwt", "--status-list", folder / "suspension.jwt")
    ran = run_cli("verify", tmp_path / "annex.pdf", "--trust-list", folder / "trust.json", "--operator-key",
                  folder / "operator.pem", *lists, "--json", env=env)  # fmt: skip
    shown = json.loads(ran.stdout)["recognitions"]
    assert [(r["verdict"], r["number"], (r["status"] or {}).get("state")) for r in shown] == [
        ("valid", "SGS-DE-2026-0001", "active"),
        ("valid", "TUV-DE-2026-0001", None),
    ]
    assert [base64.b64decode(r["seal"]) for r in shown] == [base64.b64decode(r["seal"]) for r in made]
    # Others' tokens: another issuer does not see it (404), a body is not an issuer here (403).
    other = pdf_service.issuer("other")
    assert client.get(url, headers=other).status_code == 404
    assert client.get(url, headers=scene.sgs).status_code == 403
    # A recognition revoked by its body leaves the annex; a certificate suspended has none.
    revoked = client.post(f"/api/v1/recognitions/{made[0]['id']}/revoke", headers=scene.sgs,
                          json={"reason": "superseded"})  # fmt: skip
    assert revoked.status_code == 200, revoked.text
    assert set().union(*_codes_on_pages(client.get(url, headers=scene.issuer).content)) == {made[1]["link"]}
    suspended = client.post(f"/api/v1/certificates/{cid}/suspend", headers=scene.issuer,
                            json={"reason": "investigation"})  # fmt: skip
    assert suspended.status_code == 200, suspended.text
    lapsed = client.get(url, headers=scene.issuer)
    assert lapsed.status_code == 409 and "lapsed" in lapsed.json()["message"]
    # The annex printed earlier still carries SGS's seal: the body's lists now say revoked, offline too.
    for purpose in ("revocation", "suspension"):
        listed = client.get(f"/status/sgs/{purpose}/{index // 131072}", headers={"Accept": "application/vc+jwt"})
        (folder / f"{purpose}.jwt").write_text(listed.text)
    ran = run_cli("verify", tmp_path / "annex.pdf", "--trust-list", folder / "trust.json", "--operator-key",
                  folder / "operator.pem", *lists, env=env)  # fmt: skip
    assert "  recognised:  REVOKED for DE FR by SGS (CH)" in ran.stdout, ran.stdout


def _offline(service: Service, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """What an officer has offline: the trust list and the operator's public key, in a folder of their own."""
    folder = tmp_path / "officer"
    folder.mkdir()
    (folder / "trust.json").write_bytes(service.client.get("/api/v1/trust-list").content)
    operator = KeyStore(service.settings.keys_dir).keyring("operator").active.public_key
    (folder / "operator.pem").write_bytes(public_key_pem(operator))
    return folder, {"VERIFIER_DATA_DIR": str(folder / "d"), "VERIFIER_KEYS_DIR": str(folder / "k")}
