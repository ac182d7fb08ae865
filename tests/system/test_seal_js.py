"""The second implementation (web/seal/, JavaScript) against the same vectors, and both command lines
through ``verifier conformance``; the spec's tables are the code's own."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO
from verifier.seal import spec

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
    """node --test: every seal, trust list, status list and recognition vector, with WebCrypto and @noble/curves."""
    done = subprocess.run([NODE or "node", "--test", "web/seal/test/"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 13" in done.stdout


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


PAGE = b"""<!doctype html><meta charset="utf-8"><title>seal vectors</title>
<script type="module">
import { backend, publicKeyFromPem, readStatusList, readTrustList, verify, withStatusLists } from "/web/seal/index.js";
const bytes = async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer());
const vectors = await (await fetch("/tests/vectors/vectors.json")).json();
const operator = publicKeyFromPem(new TextDecoder().decode(await bytes("/tests/vectors/operator.pub.pem")));
const trustList = await readTrustList(await bytes("/tests/vectors/trust-list.json"), [operator]);
const wrong = [];
let count = 0;
for (const c of vectors.cases.filter((c) => c.input === "qr")) {
  const r = await verify(c.qr, trustList, new Date(c.at));
  count += 1;
  if (r.verdict !== c.expected.verdict || r.reason !== c.expected.reason) wrong.push(c.name);
}
for (const c of vectors.status_list_cases) {  // DecompressionStream("gzip") in the browser itself
  const result = await verify(c.qr, trustList, new Date(c.at));
  count += 1;
  try {
    const lists = await Promise.all(c.status_lists.map((jwt) => readStatusList(jwt, trustList)));
    const r = withStatusLists(result, trustList, lists);
    const e = c.expected;
    const got = [r.verdict, r.status.state, r.status.as_of].join(" ");
    if (e.refused || got !== [e.verdict, e.status.state, e.status.as_of].join(" ")) wrong.push(c.name);
  } catch (error) {
    if (!c.expected.refused) wrong.push(`${c.name}: ${error.message}`);
  }
}
document.body.textContent = `${count} vectors, ${wrong.length} wrong`;
window.outcome = { count, wrong, backend: await backend() };
</script>"""


def test_the_javascript_verifier_in_chromium(tmp_path: Path) -> None:
    """The same modules in a real browser (Debian's Chromium): WebCrypto Ed25519, every QR and status list
    vector right."""
    from tests.helpers.browser import Browser

    class Files(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(REPO), **kwargs)

        def do_GET(self) -> None:
            if self.path == "/vectors.html":
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(PAGE)
                return
            super().do_GET()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    browser = Browser()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/vectors.html"
        outcome = browser.wait_for(url, "window.outcome", tmp_path / "vectors.png", seconds=60)
    finally:
        browser.close()
        server.shutdown()
        server.server_close()
    assert outcome is not None, "the page never finished"
    assert (outcome["wrong"], outcome["backend"]) == ([], "webcrypto")
    assert outcome["count"] > 120
