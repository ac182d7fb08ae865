"""The real program, one smoke test per command group: what only a process shows (the entry point, exit
statuses through the shell, output that is not a traceback). What each command does is tested in process
(``tests/service/test_cli.py`` and the tests of each capability); ``serve`` is run by every live-server
test, ``issue-batch`` by ``test_jobs_process.py``, ``conformance`` by ``test_seal_js.py``, ``backup`` by
``test_backup.py``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import DEMO_DIR
from tests.helpers.databases import HEAD_REVISION

PUBLIC_URL = "https://verify.example.org"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m verifier ARGS…`` in ``home``, with its keys there."""
    env = {**os.environ, "VERIFIER_KEYS_DIR": str(home / "keys"), "VERIFIER_PUBLIC_URL": PUBLIC_URL}
    return subprocess.run(
        [sys.executable, "-m", "verifier", *args], cwd=home, env=env, capture_output=True, text=True, timeout=120
    )


def test_keys_seal_trust_list_and_verify_as_programs(tmp_path: Path) -> None:
    """The groups keys (and seal), trust-list and verify, chained as the README chains them."""
    for owner in ("operator", "zjcert"):
        made = run(tmp_path, "keys", "create", owner)
        assert made.returncode == 0, made.stderr
    (tmp_path / "issuers.json").write_text(json.dumps([{"id": "zjcert", "name": "浙江认证", "name_en": "ZJ Cert"}]))
    built = run(tmp_path, "trust-list", "build", "--issuers", "issuers.json", "--out", "trust.json")
    assert built.returncode == 0, built.stderr
    (tmp_path / "operator.pem").write_text(run(tmp_path, "keys", "public", "operator").stdout)
    sealed = run(tmp_path, "seal", str(DEMO_DIR / "ccc-self-declaration-socket.json"), "--issuer", "zjcert")
    assert sealed.returncode == 0, sealed.stderr
    text = sealed.stdout.strip()
    checked = run(tmp_path, "verify", text, "--trust-list", "trust.json", "--operator-key", "operator.pem")
    assert (checked.returncode, checked.stdout.split(":")[0]) == (0, "GENUINE SEAL"), checked.stdout + checked.stderr
    broken = run(tmp_path, "verify", text[:-3], "--trust-list", "trust.json", "--operator-key", "operator.pem")
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    usage = run(tmp_path, "verify")
    assert usage.returncode == 2 and usage.stderr.startswith("usage: verifier verify")


def test_issuers_tokens_and_migrate_as_programs(tmp_path: Path) -> None:
    """The groups issuer (and tokens) and migrate, on the default SQLite file under ./data."""
    made = run(tmp_path, "issuer", "create", "zjqc", "--name", "浙江质量", "--name-en", "Zhejiang Quality")
    assert made.returncode == 0, made.stderr
    assert re.search(r"key [0-9a-f]{16}", made.stdout)
    listed = run(tmp_path, "token", "list", "zjqc")
    assert listed.returncode == 0, listed.stderr
    assert run(tmp_path, "migrate").stdout == f"schema {HEAD_REVISION} (already current)\n"
    assert (tmp_path / "data" / "verifier.db").stat().st_mode & 0o077 == 0


def test_demo_registers_the_packaged_certificates(tmp_path: Path) -> None:
    out = run(tmp_path, "demo", "--no-serve")
    assert out.returncode == 0, out.stderr
    for name, verdict in (("zhejiang-made-kettle", "valid"), ("ccc-exemption-samples", "expired"),
                          ("zhejiang-made-kettle-revoked", "revoked"), ("valve-suspended", "suspended")):  # fmt: skip
        assert re.search(rf"{name} +{verdict} +data/demo/{name}\.pdf", out.stdout), (name, out.stdout)
    tokens = re.findall(r"vrf_[A-Za-z0-9_-]{43}", out.stdout)
    assert len(set(tokens)) == 3  # the operator's, the issuer's and one that reads /metrics
    assert "vrf_" not in out.stderr  # the log lines hold no token
    demo = tmp_path / "data" / "demo"
    index = (demo / "index.html").read_text()
    assert index.count("verification page") == 6 and index.count('.pdf">PDF</a>') == 6
    link = re.search(r"(https?://\S+/c/1[A-Z2-7]+)\s", out.stdout)
    assert link and link.group(1) in index
    text = (demo / "zhejiang-made-kettle.qr.txt").read_text().strip()
    checked = run(tmp_path, "verify", text, "--trust-list", str(demo / "trust-list.json"), "--operator-key",
                  str(demo / "operator.pub.pem"))  # fmt: skip
    assert checked.returncode == 0, checked.stdout
    # The first offline try, as the demo prints it, on the revoked PDF: REVOKED, from the status lists
    # written beside it.
    offline = re.search(r"^  \S*verifier (verify \S+-revoked\.pdf .*--status-list .*)$", out.stdout, re.MULTILINE)
    assert offline, out.stdout
    revoked = run(tmp_path, *offline.group(1).split())
    assert revoked.returncode == 1, revoked.stdout + revoked.stderr
    assert "REVOKED" in revoked.stdout.splitlines()[0].upper()
    # Every certificate was issued in force: none has a date of issue after its validity ended.
    for name in ("zhejiang-made-kettle", "ccc-exemption-samples", "valve-suspended"):
        lines = run(tmp_path, "verify", str(demo / f"{name}.pdf"), "--trust-list", str(demo / "trust-list.json"),
                    "--operator-key", str(demo / "operator.pub.pem"), "--json")  # fmt: skip
        answer = json.loads(lines.stdout)
        issued_on = answer["certificate"]["issued_at"][:10]
        assert answer["certificate"]["valid_from"] <= issued_on <= answer["certificate"]["valid_until"], answer
    again = run(tmp_path, "demo", "--no-serve")
    assert again.returncode == 0, again.stderr
    assert (demo / "zhejiang-made-kettle.qr.txt").read_text().strip() == text
    assert (demo / "zhejiang-made-kettle.pdf").read_bytes().startswith(b"%PDF-1.7")
