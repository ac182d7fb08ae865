"""The second implementation (web/seal/, JavaScript) against the same vectors, and both command lines
through ``verifier conformance``; the spec's tables are the code's own."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from verifier import spec

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is installed by make test")  # make installs it


def test_the_published_tables_are_the_code_s_own() -> None:
    assert (REPO / "docs" / "spec" / "tables.json").read_text("utf-8") == spec.tables_json()
    assert (REPO / "web" / "seal" / "tables.js").read_text("utf-8") == spec.tables_module()
    tables = json.loads(spec.tables_json())
    assert [p["id"] for p in tables["purposes"]][:2] == ["research-and-development", "certification-testing"]
    assert tables["units"][0] == {"code": 1, "id": "pieces", "name_zh": "件", "name_en": "pieces"}
    assert len(tables["countries"]["codes"]) == 249 and "CN" in tables["countries"]["codes"]
    assert set(tables["reasons"].values()) >= {"valid", "malformed", "unknown_issuer"}


@needs_node
def test_the_javascript_verifier_passes_every_vector() -> None:
    """node --test: every seal and trust list vector, with WebCrypto and with @noble/curves."""
    done = subprocess.run([NODE or "node", "--test", "web/seal/test/"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 4" in done.stdout


def _conformance(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verifier", "conformance", "--", *command], cwd=REPO,
                          capture_output=True, text=True, timeout=900)  # fmt: skip


@needs_node
def test_the_spec_s_example_runs_the_javascript_command_line() -> None:
    """docs/spec/seal.md's one shell example, run as written from the checkout: every vector passes."""
    text = (REPO / "docs" / "spec" / "seal.md").read_text("utf-8")
    (example,) = re.findall(r"```sh\n(.*?)```", text, re.S)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", "set -euo pipefail\n" + example], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    passed = int(done.stdout.split()[0])
    assert done.stdout == f"{passed} passed, 0 failed\n" and passed > 130


def test_conformance_of_the_python_command_line() -> None:
    done = _conformance(sys.executable, "-m", "verifier", "verify", "--json")
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.splitlines()[-1].endswith(" passed, 0 failed")


def test_conformance_says_what_a_wrong_verifier_gets_wrong(tmp_path: Path) -> None:
    """A verifier that calls everything valid fails every other vector, named one per line."""
    liar = tmp_path / "liar.py"
    liar.write_text('import json; print(json.dumps({"verdict": "valid", "reason": "in_force"}))\n')
    done = _conformance(sys.executable, str(liar))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    passed, failed = (int(n) for n in lines[-1].replace(" passed,", "").replace(" failed", "").split())
    assert passed > 0 and failed > 100
    assert any(line.startswith("FAIL malformed: stray bits: expected malformed/bad_encoding") for line in lines)
    assert any("trust list: refused: another format: the list was accepted" in line for line in lines)
    empty = subprocess.run([sys.executable, "-m", "verifier", "conformance"], capture_output=True, text=True)
    assert empty.returncode == 2 and "give the command to test" in empty.stderr


@needs_node
def test_the_node_bench_runs() -> None:
    """bench/verify_js.py's Node half (its figures go to the closing note, never into an assertion)."""
    done = subprocess.run([NODE or "node", "bench/verify_js.mjs", "3"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == {"vectors", "rounds", "median_us", "valid_median_us", "backend"}
