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
from pathlib import Path

from tests.helpers.server import Server

REPO = Path(__file__).resolve().parents[2]


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
from verifier.server.app import create_app
from verifier.config import load_settings
from verifier.resources import TEMPLATES

with TestClient(create_app(load_settings())) as client:
    page = client.get("/c/" + sys.argv[1], params={"lang": "en"})
print(TEMPLATES, page.status_code, page.text, sep="\\n")
"""
