"""The rough edges a first user hit: link forms, pages that say what they know, messages in words, the
command line without tracebacks, the demo elsewhere, and the package installed outside the repository."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import venv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import PUBLIC_URL, REFERENCE, Service
from tests.server import Server

REPO = Path(__file__).resolve().parents[1]
KETTLE = REFERENCE["zhejiang-made-kettle"]


def issued(service: Service, number: str = "ZJM-2024-9001") -> dict[str, str]:
    made = service.client.post("/api/v1/certificates", json=dict(KETTLE, number=number), headers=service.issuer())
    assert made.status_code == 201, made.text
    return dict(made.json())


def forms(qr: str) -> dict[str, str]:
    """The same link as browsers, scanners and people write it."""
    segment = qr.rsplit("/", 1)[1]
    return {
        "as printed": qr,
        "lower-case scheme and host": f"{PUBLIC_URL}/C/{segment}",
        "lower-case path": f"{PUBLIC_URL}/c/{segment}",
        "explicit default port": f"{PUBLIC_URL}:443/C/{segment}",
        "wholly lower case": qr.lower(),
        "CR LF after it": qr + "\r\n",
    }


def test_every_form_of_a_link_is_the_same_link(service: Service) -> None:
    qr = issued(service)["qr"]
    for name, text in forms(qr).items():
        answer = service.client.post("/api/v1/verify", json={"qr": text}).json()
        assert (answer["verdict"], name) == ("valid", name)
        page = service.client.get("/check", params={"qr": text, "lang": "en"})
        assert "genuine and in force" in page.text, name
    elsewhere = "https://Verify.Zhejiang-Made.example.com/C/" + qr.rsplit("/", 1)[1]
    answer = service.client.post("/api/v1/verify", json={"qr": elsewhere}).json()
    assert (answer["verdict"], answer["reason"]) == ("malformed", "not_a_certificate_url")


def test_pages_say_only_what_they_know(service: Service) -> None:
    certificate = issued(service)
    qr = certificate["qr"]
    flipped = qr[:-10] + ("A" if qr[-10] != "A" else "B") + qr[-9:]
    forged = service.client.get(f"/c/{flipped.rsplit('/', 1)[1]}?lang=en").text
    assert "FORGED OR ALTERED" in forged
    assert "Issued by" not in forged  # the issuer did not issue this
    assert "does not verify with that key" in forged
    issuer = service.client.post(
        "/api/v1/issuers", json={"id": "other", "name": "另一", "name_en": "Other"}, headers=service.admin
    ).json()
    again = service.client.post(
        "/api/v1/certificates", json=dict(KETTLE, number="ZJM-2024-9002"),
        headers={"Authorization": f"Bearer {issuer['token']}"},
    ).json()  # fmt: skip
    service.client.post(
        f"/api/v1/certificates/{again['id']}/revoke", json={"reason": "fraud"},
        headers={"Authorization": f"Bearer {issuer['token']}"},
    )  # fmt: skip
    revoked = service.client.get(f"/c/{again['qr'].rsplit('/', 1)[1]}?lang=en").text
    assert "REVOKED on" in revoked
    assert "fraud" in revoked
    assert "Ask the issuer for the reason" not in revoked  # the page shows the reason already


def test_a_file_that_is_not_the_one_issued_says_so(pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    made = pdf_service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).json()
    pdf = pdf_service.client.get(f"/api/v1/certificates/{made['id']}/pdf", headers=issuer).content
    for data, notice in ((pdf, False), (pdf + b"\n% re-saved\n", True)):
        page = pdf_service.client.post(
            "/check/pdf?lang=en", files={"file": ("c.pdf", data, "application/pdf")}
        ).text  # fmt: skip
        assert "genuine and in force" in page
        assert ("this file is not the one issued" in page) is notice


def test_messages_in_words(service: Service) -> None:
    lower = service.client.post("/api/v1/certificates", json=dict(KETTLE, number="zjm-1"), headers=service.issuer())
    assert lower.status_code == 422
    (field,) = lower.json()["fields"]
    assert field == {
        "field": "number",
        "message": "may hold only upper-case letters, digits and . / -, at most 40 characters, "
        "starting and ending with a letter or digit",
    }
    unknown = service.client.post("/api/v1/verify", json={"qr": "x", "text": "y"}).json()
    assert unknown["fields"] == [{"field": "text", "message": "is not a field of this request"}]
    broken = service.client.post("/api/v1/verify", content=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422
    assert broken.json()["fields"][0]["field"] == "body"
    assert "not valid JSON" in broken.json()["message"]
    documented = service.client.get("/openapi.json").json()["paths"]["/api/v1/verify"]["post"]["responses"]
    assert {"413", "422"} <= set(documented)


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, program: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [program, "-m", "verifier", *args], cwd=cwd, env={**os.environ, **(env or {})},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_command_line_never_prints_a_traceback(tmp_path: Path) -> None:
    vectors = REPO / "tests" / "vectors"
    qr = __import__("json").loads((vectors / "vectors.json").read_text())["cases"][0]["qr"]
    piped = subprocess.run(
        f"{sys.executable} -m verifier verify '{qr}' --trust-list {vectors}/trust-list.json "
        f"--operator-key {vectors}/operator.pub.pem --at 2024-06-01T00:00:00Z --max-age 3650 --json | head -1",
        shell=True, capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert piped.stdout == "{\n"
    assert "Traceback" not in piped.stderr and "BrokenPipe" not in piped.stderr
    missing = run("verify", "x", "--trust-list", "nowhere.json", cwd=tmp_path)
    assert (missing.returncode, "Traceback" in missing.stderr) == (2, False)
    assert missing.stderr.count("\n") == 1
    server = Server(tmp_path, {"VERIFIER_ADMIN_TOKEN": "x" * 8 + "abcdefghijklmnopqrstuvwxyz"})
    server.start()
    assert server.process is not None
    server.process.send_signal(signal.SIGINT)  # Ctrl-C
    server.process.wait(timeout=30)
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log
    assert server.process.returncode in (0, 130)


def test_the_demo_elsewhere_says_what_to_do(tmp_path: Path) -> None:
    first = run("demo", "--no-serve", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    index = (tmp_path / "data" / "demo" / "index.html").read_text()
    again = run("demo", "--no-serve", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (
        (tmp_path / "data" / "demo" / "index.html").read_text().count('.pdf">PDF</a>')
        == index.count('.pdf">PDF</a>')
        == 6
    )  # a re-run keeps the PDFs and their links
    moved = run("demo", "--no-serve", "--port", "8001", cwd=tmp_path)
    assert moved.returncode == 2
    assert "made for http://127.0.0.1:8000" in moved.stderr
    assert "VERIFIER_DATA_DIR" in moved.stderr
    suggested = re.search(r"VERIFIER_DATA_DIR=(\S+)", moved.stderr)
    assert suggested, moved.stderr
    ignored = subprocess.run(["git", "check-ignore", "-q", f"{suggested.group(1)}/verifier.db"], cwd=REPO, check=False)
    assert ignored.returncode == 0, f"{suggested.group(1)} is not git-ignored"
    assert "malformed" not in moved.stdout + moved.stderr
    elsewhere = run("demo", "--no-serve", "--port", "8001", cwd=tmp_path, env={"VERIFIER_DATA_DIR": "data-8001"})
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert "http://127.0.0.1:8001/c/" in elsewhere.stdout
    assert " malformed " not in elsewhere.stdout


def test_the_wheel_works_outside_the_repository(tmp_path: Path) -> None:
    """Built, installed in a fresh environment far from the checkout: the demo renders, a file verifies."""
    source = tmp_path / "source"  # built from a copy: setuptools leaves build/ and *.egg-info/ behind
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "data", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "artefacts"
    ))  # fmt: skip
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert "SetuptoolsDeprecationWarning" not in built.stderr
    (wheel,) = (tmp_path / "dist").glob("verifier-*.whl")
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    # The dependencies come from the project's environment (no second download); the package from the wheel.
    import fastapi

    ours = str(Path(fastapi.__file__).parents[1])
    (Path(site) / "project-dependencies.pth").write_text(ours + "\n")
    installed = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)],
                               capture_output=True, text=True, timeout=300)  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    home = tmp_path / "far" / "away"
    home.mkdir(parents=True)
    where = subprocess.run([str(python), "-c", "import verifier; print(verifier.__file__)"], cwd=home,
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert where.startswith(site), where  # the wheel's copy, not the checkout
    demo = run("demo", "--no-serve", cwd=home, program=str(python))
    assert demo.returncode == 0, demo.stderr
    folder = home / "data" / "demo"
    checked = run("verify", str(folder / "zhejiang-made-kettle.pdf"), "--trust-list", str(folder / "trust-list.json"),
                  "--operator-key", str(folder / "operator.pub.pem"), cwd=home, program=str(python))  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("GENUINE SEAL: status not checked (offline")
    # The public page, rendered from the wheel's own templates/ (the checkout keeps them at its top level).
    script = home / "page.py"
    script.write_text(PAGE_FROM_THE_WHEEL, "utf-8")
    segment = (folder / "zhejiang-made-kettle.qr.txt").read_text("ascii").strip().rsplit("/", 1)[1]
    page = subprocess.run([str(python), str(script), segment], cwd=home, capture_output=True, text=True, timeout=120)
    assert page.returncode == 0, page.stderr
    templates, status, html = page.stdout.split("\n", 2)
    assert templates == str(Path(site) / "verifier" / "templates"), templates
    assert status == "200"
    assert "genuine and in force" in html


PAGE_FROM_THE_WHEEL = """
import sys
from fastapi.testclient import TestClient
from verifier.api.app import create_app
from verifier.config import load_settings
from verifier.resources import TEMPLATES

with TestClient(create_app(load_settings())) as client:
    page = client.get("/c/" + sys.argv[1], params={"lang": "en"})
print(TEMPLATES, page.status_code, page.text, sep="\\n")
"""


def test_the_words_a_reader_meets(service: Service) -> None:
    """One full stop after a Russian date, the credit code named for what it is, headings capitalised alike,
    the upload advice only where there is an upload, what an Authorization header and a body must be."""
    service.clock.now = datetime(2024, 6, 1, tzinfo=UTC)
    issuer = service.issuer()
    made = service.client.post("/api/v1/certificates", json=REFERENCE["ccc-exemption-samples"], headers=issuer)
    assert made.status_code == 201, made.text
    segment = made.json()["qr"].rsplit("/", 1)[1]
    service.clock.now = datetime(2024, 12, 1, tzinfo=UTC)  # expired
    russian = service.client.get(f"/c/{segment}?lang=ru").text
    assert re.search(r"ИСТЁК <bdi class=\"date\">5 ноября 2024\s?г\.</bdi> Больше", russian), russian
    for language, words in (("en", "Unified social credit code"), ("fr", "crédit social"), ("es", "crédito social"),
                            ("ru", "социального кредита"), ("ar", "الموحد"), ("zh", "统一社会信用代码")):  # fmt: skip
        assert words in service.client.get(f"/c/{segment}?lang={language}").text, language
    valve = service.client.post("/api/v1/certificates", json=REFERENCE["international-cooperation-valve"],
                                headers=issuer).json()  # fmt: skip
    page = service.client.get(f"/c/{valve['qr'].rsplit('/', 1)[1]}?lang=en").text
    assert "<h2>International cooperation certificate</h2>" in page
    assert "<h2>Certificado de cooperación internacional</h2>" in service.client.get(
        f"/c/{valve['qr'].rsplit('/', 1)[1]}?lang=es").text  # fmt: skip
    malformed = service.client.get("/c/1AAAA?lang=en").text
    assert "Scan the QR code on the certificate again" in malformed and "upload" not in malformed.lower()
    token = issuer["Authorization"].removeprefix("Bearer ")
    bare = service.client.get("/api/v1/certificates", headers={"Authorization": token})
    assert bare.status_code == 401 and "must read Bearer <token>" in bare.json()["message"]
    assert token not in bare.text
    form = service.client.post("/api/v1/certificates", data={"scheme": "zhejiang-made"}, headers=issuer)
    assert form.status_code == 422
    assert "must be JSON, sent with Content-Type: application/json" in form.json()["message"]
    assert "application/x-www-form-urlencoded" in form.json()["message"]


def test_help_is_plain_text_and_ages_are_counted_right(capsys: pytest.CaptureFixture[str]) -> None:
    from verifier.cli import main
    from verifier.cli.verify import _age

    for command in ([], ["issue-batch"], ["conformance"], ["verify"], ["demo"], ["serve"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        shown = capsys.readouterr().out
        assert "``" not in shown and ":func:" not in shown and ":mod:" not in shown, command
    assert [_age(s) for s in (0, 59, 60, 119, 120, 7200, 86400 * 3)] == [
        "0 seconds", "59 seconds", "1 minute", "1 minute", "2 minutes", "2 hours", "3 days"]  # fmt: skip
