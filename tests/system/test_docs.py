"""The docs' examples, run: every ```sh block of docs/*.md against one live server.

Blocks run in order, each in a fresh bash with ``set -euo pipefail``, in one
working folder with the variables the docs name (``$BASE``, ``$QR``, ``$CODE``, ``$ADMIN_TOKEN``,
``$ISSUER_TOKEN``, ``$VECTORS``) and the files they name (``certificate.pdf``, ``certificate.json``,
``operator.pub.pem``). A block passes when it exits 0; what each block prints is checked further below
where the doc says what it answers. ```text blocks are not run.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.helpers import DEMO
from tests.helpers.databases import HEAD_REVISION
from tests.helpers.server import Server
from tests.helpers.service import register_issuer
from verifier.trust.keys import new_signing_key, private_key_pem, public_key_pem

REPO = Path(__file__).resolve().parents[2]
FIELDS = {"verdict", "reason", "detail", "checked_at", "signature", "validity", "certificate", "status", "registered"}


def blocks(doc: Path) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", doc.read_text("utf-8"), flags=re.S | re.M)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("docs")
    admin = secrets.token_urlsafe(32)
    env = {"VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
           "VERIFIER_ADMIN_TOKEN": admin, "VERIFIER_LOG_LEVEL": "warning"}  # fmt: skip
    server = Server(home, env)
    server.start()
    issuer = register_issuer(httpx.post, admin, server.url)
    issuer_token = issuer["Authorization"].removeprefix("Bearer ")
    certificate = httpx.post(f"{server.url}/api/v1/certificates", json=DEMO["zhejiang-made-kettle"],
                             headers=issuer, timeout=60).json()  # fmt: skip
    pdf = httpx.get(f"{server.url}/api/v1/certificates/{certificate['id']}/pdf", headers=issuer).content
    work = home / "work"
    work.mkdir()
    (work / "certificate.pdf").write_bytes(pdf)
    (work / "certificate.json").write_text(json.dumps(DEMO["ccc-self-declaration-socket"]), "utf-8")
    # Two partner bodies for the recognition examples: SGS (the service keeps its key), TÜV SÜD (keeps its own).
    remit = {"markets": ["DE", "FR", "GB"], "schemes": ["international-cooperation", "zhejiang-made"]}
    sgs = httpx.post(f"{server.url}/api/v1/issuers", headers={"Authorization": f"Bearer {admin}"},
                     json={"id": "sgs", "name": "通标", "name_en": "SGS", "country": "CH", "roles": ["recognise"],
                           "remit": remit}).json()  # fmt: skip
    tuv_key = new_signing_key(datetime.now(UTC) - timedelta(minutes=1))
    (work / "tuv.pem").write_bytes(private_key_pem(tuv_key.private_key))
    public = public_key_pem(tuv_key.record.public_key).decode()
    tuv = httpx.post(f"{server.url}/api/v1/issuers", headers={"Authorization": f"Bearer {admin}"},
                     json={"id": "tuv", "name": "南德", "name_en": "TÜV SÜD", "country": "DE", "roles": ["recognise"],
                           "remit": remit, "public_key": public}).json()  # fmt: skip
    command = [sys.executable, "-m", "verifier", "keys", "public", "operator"]
    operator_key = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=True)
    (work / "operator.pub.pem").write_text(operator_key.stdout)
    yield {
        **env,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "BASE": server.url,
        "QR": certificate["qr"],
        "CODE": certificate["qr"].rsplit("/", 1)[1],
        "ADMIN_TOKEN": admin,
        "ISSUER_TOKEN": issuer_token,
        "ID": certificate["id"],
        "NUMBER": certificate["number"],
        "HOLDER": DEMO["zhejiang-made-kettle"]["holder"]["credit_code"],
        "SGS_TOKEN": sgs["token"],
        "TUV_TOKEN": tuv["token"],
        "VECTORS": str(REPO / "tests" / "vectors"),
        "PDF_SHA256": certificate["pdf_sha256"],
        "WORK": str(work),
        "METRICS_TOKEN": (home / "data" / "metrics-token").read_text().strip(),
        "BACKUP_PASSPHRASE": secrets.token_urlsafe(16),
    }
    server.stop()


def values(printed: str) -> list[object]:
    """The JSON values a block printed one after another (curl adds no newline between answers)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(printed):
        if printed[at].isspace():
            at += 1
            continue
        value, at = decoder.raw_decode(printed, at)
        found.append(value)
    return found


def run(block: str, served: dict[str, str]) -> str:
    out = subprocess.run(["bash", "-c", "set -euo pipefail\n" + block], cwd=served["WORK"],
                         env={**os.environ, **served}, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, f"{block}\nstdout: {out.stdout[-2000:]}\nstderr: {out.stderr[-2000:]}"
    return out.stdout


def test_verdict_doc(served: dict[str, str]) -> None:
    examples = blocks(REPO / "docs" / "verdict.md")
    assert len(examples) == 4
    for example in examples:
        printed = run(example, served)
        if "trust-list.json" in example:
            document = json.loads((Path(served["WORK"]) / "trust-list.json").read_text())
            assert document["signature"]["alg"] == "EdDSA"
            continue
        answer = json.loads(printed)
        assert set(answer) >= FIELDS, example
        assert answer["verdict"] == "valid", (example, answer)
        if "/verify/pdf" in example:
            assert answer["document"] == {"identical": True, "sha256": served["PDF_SHA256"], "source": "embedded"}


def test_integration_doc(served: dict[str, str]) -> None:
    examples = blocks(REPO / "docs" / "integration.md")
    assert len(examples) == 12
    link, text, pdf, offline, remembered, vectors, issuing, jobs, asked, uploaded, listed, annex = (
        run(example, served) for example in examples
    )
    for printed in (link, text, pdf):
        assert json.loads(printed)["verdict"] == "valid"
    assert json.loads(offline)["verdict"] == "valid"  # the last command prints the offline verdict
    assert json.loads(offline)["status"]["state"] == "unknown"
    assert remembered.startswith("GENUINE SEAL: status not checked (offline")
    seen = json.loads((Path(served["WORK"]) / "seen.json").read_text())
    assert (
        seen["trust_list_version"]
        == json.loads((Path(served["WORK"]) / "trust-list.json").read_text())["trust_list"]["version"]
    )
    assert re.fullmatch(r"1[0-9]{2} vectors pass\n", vectors)
    suspended, reinstated, listing = values(issuing)  # type: ignore[misc]
    assert (suspended["status"], reinstated["status"]) == ("suspended", "active")
    assert [c["status"] for c in listing["certificates"]] == ["active", "active"]
    issued = [p for p in Path(served["WORK"]).glob("*.pdf") if p.name not in ("certificate.pdf", "annex.pdf")]
    assert len(issued) == 1 and issued[0].read_bytes().startswith(b"%PDF-")
    job, *numbers = jobs.splitlines()
    assert job == "succeeded 3 3 3"
    assert len(numbers) == 3 and all(
        n.startswith(("ZJM-ZJCERT-", "CCCE-ZJCERT-", "CCCSD-ZJCERT-", "ZJM-IC-ZJCERT-")) for n in numbers
    )  # generated numbers
    pending, signed, declined = values(asked)  # type: ignore[misc]
    assert [(r["recogniser"], r["markets"]) for r in pending] == [("sgs", ["DE", "FR"])]
    assert signed["signed_here"] is True and signed["status"]["state"] == "active"
    assert declined["state"] == "declined" and declined["reason"].startswith("the EN 60335-2-15")
    found, offline, stored = values(uploaded)  # type: ignore[misc]
    assert [c["certificate_id"] for c in found] == [served["ID"]]
    assert offline["recognition"]["markets"] == ["DE"]  # what `verifier recognise` signed
    assert stored["recogniser"] == "tuv" and stored["signed_here"] is False
    assert sorted(r["recogniser"] for r in json.loads(listed)) == ["sgs", "tuv"]
    printed, _, published = annex.partition("{")
    assert sorted(line.split(" by ")[1].split(",")[0] for line in printed.splitlines()) == ["SGS (CH)", "TÜV SÜD (DE)"]
    assert all(line.startswith("  recognised:  GENUINE for DE") for line in printed.splitlines())
    credentials = {r["recogniser"]: r["credential"] for r in json.loads("{" + published)["recognitions"]}
    assert credentials["tuv"] is None and f"/credentials/{served['ID']}/recognitions/" in credentials["sgs"]


def test_operator_doc(served: dict[str, str]) -> None:
    examples = [b for b in blocks(REPO / "docs" / "operator.md") if "pg_dump" not in b]  # PostgreSQL's: test_backup
    assert len(examples) == 9
    from verifier.demo.certificates import demo_stamp

    (Path(served["WORK"]) / "stamp.svg").write_bytes(demo_stamp())  # the stamp the letterhead example uploads
    printed = []
    for example in examples:
        if "$KID" in example:  # the key the rotation retired, as an operator would read it off the trust list
            listed = json.loads(httpx.get(f"{served['BASE']}/api/v1/trust-list").content)["trust_list"]
            (zjqc,) = [i for i in listed["parties"] if i["id"] == "zjqc"]
            retired = next(k["kid"] for k in zjqc["keys"] if k["not_after"] is not None)
            printed.append(run(example, {**served, "KID": retired}))
            continue
        printed.append(run(example, served))
    issuers, operator_tokens, letterhead, bodies, rotation, withdrawal, metrics, backup, migrate = printed
    made, end = json.JSONDecoder().raw_decode(bodies)  # the API's answer, the command's lines, the API's answer
    said, _, rest = bodies[end:].partition("{")
    narrowed = json.loads("{" + rest)
    assert made["id"] == "bv" and made["token"].startswith("vrf_")
    assert re.search(r"^recognise dekra: key [0-9a-f]{16} \(its private key stays with it\)$", said, flags=re.M)
    remit = {"markets": ["BE", "FR", "LU"], "schemes": ["international-cooperation", "zhejiang-made"]}
    assert narrowed["remit"] == remit
    parties = json.loads(httpx.get(f"{served['BASE']}/api/v1/trust-list").content)["trust_list"]["parties"]
    assert {p["id"]: p["roles"] for p in parties if p["id"] in ("bv", "dekra")} == {
        "bv": ["recognise"],
        "dekra": ["recognise"],
    }
    patched, stamped, shown = values(letterhead)  # type: ignore[misc]
    assert patched["accreditation"] == "CNAS C123-P" and patched["stamp"] is None
    assert stamped["stamp"]["media_type"] == "image/svg+xml" and shown == stamped
    clerk, listed_tokens = values(operator_tokens)  # type: ignore[misc]
    assert clerk["token"].startswith("vrf_")
    assert clerk["id"] in [t["id"] for t in listed_tokens]
    assert json.loads(withdrawal)["withdrawn_kid"] == retired
    listed = json.loads(httpx.get(f"{served['BASE']}/api/v1/trust-list").content)["trust_list"]
    assert retired not in [k["kid"] for i in listed["parties"] for k in i["keys"]]
    first, token, tokens = values(issuers)  # type: ignore[misc]
    assert first["id"] == "zjqc" and first["token"].startswith("vrf_")
    assert token["token"].startswith("vrf_") and len(tokens) == 2
    assert json.loads(rotation)["issuer"] == "zjqc"
    assert re.search(r'^verifier_verifications_total\{.*verdict="valid".*\} [1-9]', metrics, flags=re.M)
    assert re.search(r'^verifier_certificates_issued_total\{scheme="zhejiang-made"\} 1\.0$', metrics, flags=re.M)
    assert re.match(r"backed up \d+ certificates to backups/verifier-\d{8}T\d{6}Z\.db", backup)
    saved = list((Path(served["WORK"]) / "backups").glob("keys-*.tar.gz.enc"))
    assert len(saved) == 1
    assert saved[0].stat().st_mode & 0o777 == 0o600  # the private keys: readable by the operator alone
    assert not saved[0].read_bytes().startswith(b"\x1f\x8b")  # encrypted, not a plain gzip
    listing = subprocess.run(
        f"openssl enc -d -aes-256-cbc -pbkdf2 -pass env:BACKUP_PASSPHRASE -in {saved[0]} | tar -tzf -",
        shell=True, env={**os.environ, **served}, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "./operator/keyring.json" in listing.split()
    assert len(re.findall(r"^\./zjqc/[0-9a-f]{16}\.pem$", listing, flags=re.M)) == 2  # before and after rotation
    assert migrate == f"schema {HEAD_REVISION} (already current)\n"


def test_import_doc(served: dict[str, str]) -> None:
    """After the operator's doc, which counts the certificates issued before it."""
    checked, imported, again = (run(example, served) for example in blocks(REPO / "docs" / "import.md"))
    summary, problems = checked.rsplit("\n", 2)[-2].split("} ")
    assert "'rows': 2, 'ready': 2" in summary and problems == "[]"
    assert (Path(served["WORK"]) / "checked.xlsx").read_bytes().startswith(b"PK")
    started, found = values(imported)  # type: ignore[misc]
    assert started["state"] == "running" and started["total"] == 2
    (certificate,) = found["certificates"]
    assert (certificate["number"], certificate["status"]) == ("ZJM-2024-00102", "suspended")
    assert again == ""  # the dry run again says every row is registered (on standard error) and exits 0


def test_customs_doc(served: dict[str, str]) -> None:
    """A batch with its report, the report read and checked offline, a batch file offline, the issuer's feed."""
    batch, report, offline, feed = (run(example, served) for example in blocks(REPO / "docs" / "customs.md"))
    assert batch.split() == ["3", "malformed"]
    assert report.splitlines()[0] == "True 2026-ZJ-0042" and "GENUINE REPORT V" in report
    assert "2 checked offline:" in offline and "malformed 1" in offline
    assert feed.startswith("<?xml") and "<feed" in feed


def test_every_reason_is_documented() -> None:
    from verifier.verdict import Reason, Verdict

    text = (REPO / "docs" / "verdict.md").read_text("utf-8")
    for reason in Reason:
        assert f"`{reason.value}`" in text, reason
    for verdict in Verdict:
        assert f"`{verdict.value}`" in text, verdict


def test_docs_name_every_setting_and_metric() -> None:
    """The README lists every VERIFIER_* setting the code reads; operator.md every metric it exports."""
    from verifier.api.observe import Metrics
    from verifier.config import SETTINGS

    readme = (REPO / "README.md").read_text("utf-8")
    for setting in SETTINGS:
        assert f"`{setting.variable}`" in readme, setting.variable
    operator = (REPO / "docs" / "operator.md").read_text("utf-8")
    for family in Metrics().registry.collect():
        if family.name.startswith("verifier_"):
            shown = family.name + ("_total" if family.type == "counter" else "")
            assert f"`{shown}`" in operator, shown
    assert shutil.which("curl"), "curl is needed by the docs' examples"


def test_docs_set_the_variables_the_service_reads() -> None:
    """No doc sets a variable the service knows without its VERIFIER_ prefix (it would silently not apply)."""
    from verifier.config import KNOWN_VARIABLES

    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for line in path.read_text("utf-8").splitlines():
            for name in KNOWN_VARIABLES:
                assert not re.match(rf"\s*(export\s+)?{name}=", line), f"{path.name}: {line}"
