"""The log's proof in the PDF (issue 29): appended as an incremental update once a witness cosigned, the
issued bytes a prefix; read back by the service, by ``verifier verify`` offline, and refused when it is
another certificate's or anything else was appended."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.helpers import Service
from tests.helpers.cli import run_cli
from tests.service.test_log import integrate
from tests.service.test_recognitions import VALVE
from verifier.paper.pdfupdate import with_log_proof
from verifier.paper.selftest import decode_image
from verifier.tlog.note import COSIGNATURE, NoteKey, cosign
from verifier.tlog.proof import PROOF_ATTACHMENT
from verifier.trust.keys import public_key_pem


def _witness(service: Service) -> tuple[NoteKey, Ed25519PrivateKey]:
    witness = Ed25519PrivateKey.generate()
    key = NoteKey.of("sgs.example/witness", COSIGNATURE, witness)
    service.client.post("/api/v1/log/witnesses", json={"vkey": key.vkey()}, headers=service.admin)
    return key, witness


def _cosigned(service: Service, key: NoteKey, witness: Ed25519PrivateKey) -> None:
    """The witness's cosignature of the newest checkpoint taken."""
    note = integrate(service)
    line = cosign(note.text, key.name, witness, int(datetime.now(UTC).timestamp()))
    sent = note.text + "\n" + "".join(s.line() + "\n" for s in (*note.signatures, line))
    assert service.client.post("/log/cosignatures", content=sent).status_code == 200
    service.client.app.state.services.ledger.refresh(service.clock())  # type: ignore[attr-defined]


def test_the_pdf_carries_its_proof_and_stays_the_issued_pdf(pdf_service: Service, tmp_path: Path) -> None:
    service = pdf_service
    headers = service.issuer()
    key, witness = _witness(service)
    made = service.client.post("/api/v1/certificates", json=VALVE, headers=headers).json()
    other = service.client.post("/api/v1/certificates", json=dict(VALVE, number="ZJM-IC-2026-0007"),
                                headers=headers).json()  # fmt: skip
    url = f"/api/v1/certificates/{made['id']}/pdf"
    before = service.client.get(url + "?log_proof=true", headers=headers)
    assert before.headers["x-log-proof"] == "pending"  # its one witness has not cosigned yet
    _cosigned(service, key, witness)
    exact = service.client.get(url, headers=headers)
    issued = exact.content
    assert hashlib.sha256(issued).hexdigest() == made["pdf_sha256"] and exact.headers["x-log-proof"] == "available"
    answer = service.client.get(url + "?log_proof=true", headers=headers)
    pdf = answer.content
    assert answer.headers["x-log-proof"] == "attached" and pdf.startswith(issued)
    assert len(pdf) - len(issued) < 2600  # the proof (~1 KB with one witness) and the update around it
    document = pdfium.PdfDocument(pdf)
    names = [document.get_attachment(i).get_name() for i in range(document.count_attachments())]
    assert names == [PROOF_ATTACHMENT, "seal.cose"]
    proof = bytes(document.get_attachment(0).get_data())
    assert len(proof) < 2048 and proof.startswith(b"c2sp.org/tlog-proof@v1\n")
    assert decode_image(document[0].render(scale=150 / 72).to_pil()) == [made["qr"]]  # the page is untouched
    # The service: the same document, and the log's word.
    checked = service.client.post("/api/v1/verify/pdf", files={"file": ("c.pdf", pdf, "application/pdf")}).json()
    assert checked["document"]["identical"] is True and checked["verdict"] == "valid"
    assert checked["log"]["state"] == "witnessed"
    # Offline: verifier verify reads the proof the PDF carries and checks it against the trust list's log.
    folder = tmp_path / "offline"
    folder.mkdir()
    (folder / "c.pdf").write_bytes(pdf)
    (folder / "trust-list.json").write_bytes(service.client.get("/api/v1/trust-list").content)
    operator = service.client.app.state.services.registry.issuers.operator_key()  # type: ignore[attr-defined]
    (folder / "operator.pem").write_bytes(public_key_pem(operator.record.public_key))
    common = ("--trust-list", folder / "trust-list.json", "--operator-key", folder / "operator.pem")
    ran = run_cli("verify", folder / "c.pdf", *common, "--json")
    assert ran.returncode == 0, ran.stderr
    log = json.loads(ran.stdout)["log"]
    assert (log["state"], log["index"], log["witnesses"]) == ("witnessed", made["log_index"], ["sgs.example/witness"])
    words = run_cli("verify", folder / "c.pdf", *common).stdout
    assert "  log:         witnessed (entry " in words
    qr_only = json.loads(run_cli("verify", made["qr"], *common, "--json").stdout)["log"]
    assert qr_only["state"] == "unchecked"
    (folder / "proof.txt").write_bytes(proof)
    with_file = json.loads(run_cli("verify", made["qr"], *common, "--log-proof", folder / "proof.txt", "--json").stdout)
    assert with_file["log"]["state"] == "witnessed"
    # The attacker's side: another certificate's proof on this PDF; anything else appended to it.
    theirs = service.client.get(f"/api/v1/certificates/{other['id']}/log", headers=headers).json()["proof"]
    swapped = with_log_proof(issued, theirs.encode())
    (folder / "swapped.pdf").write_bytes(swapped)
    refused = json.loads(run_cli("verify", folder / "swapped.pdf", *common, "--json").stdout)["log"]
    assert refused["state"] == "refused" and "another seal" in refused["detail"]
    drawn = pdfium.PdfDocument(pdf)
    drawn.new_attachment("note.txt").set_data(b"changed after issue")
    buffer = io.BytesIO()
    drawn.save(buffer, flags=pdfium_c.FPDF_INCREMENTAL)
    assert buffer.getvalue().startswith(pdf)
    again = service.client.post("/api/v1/verify/pdf", files={"file": ("c.pdf", buffer.getvalue(), "application/pdf")})
    assert again.json()["document"]["identical"] is False
