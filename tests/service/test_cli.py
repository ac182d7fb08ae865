"""The command line as a user runs it: keys, a trust list, a seal, and offline verification.

In process (``tests/helpers/cli.py``); ``tests/system/test_cli_process.py`` runs the real program.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import DEMO_DIR
from tests.helpers.cli import Ran, run_cli
from tests.helpers.databases import HEAD_REVISION

PUBLIC_URL = "https://verify.example.org"


def run(home: Path, *args: str) -> Ran:
    env = {**os.environ, "VERIFIER_KEYS_DIR": str(home / "keys"), "VERIFIER_PUBLIC_URL": PUBLIC_URL}
    return run_cli(*args, cwd=home, env=env)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cli")
    assert run(home, "keys", "create", "operator").returncode == 0
    assert run(home, "keys", "create", "zjcert").returncode == 0
    (home / "issuers.json").write_text(json.dumps([{"id": "zjcert", "name": "浙江认证", "name_en": "ZJ Cert"}]))
    # Valid for ten years: the cases check verdicts years ahead (with --max-age to match).
    built = run(home, "trust-list", "build", "--issuers", "issuers.json", "--out", "trust.json", "--days", "3650")
    assert built.returncode == 0, built.stderr
    (home / "operator.pem").write_text(run(home, "keys", "public", "operator").stdout)
    return home


@pytest.fixture(scope="module")
def sealed(home: Path) -> dict[str, Any]:
    out = run(
        home,
        "seal",
        str(DEMO_DIR / "zhejiang-made-kettle.json"),
        "--issuer",
        "zjcert",
        "--json",
        "--png",
        "qr.png",
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


def test_seal_then_verify_valid(home: Path, sealed: dict[str, Any]) -> None:
    assert sealed["qr"].startswith("HTTPS://VERIFY.EXAMPLE.ORG/C/1")
    assert sealed["qr_version"] <= 15
    assert (home / "qr.png").read_bytes().startswith(b"\x89PNG")
    out = run(home, "verify", sealed["qr"], "--trust-list", "trust.json", "--at", "2025-01-01T00:00:00Z")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("GENUINE SEAL: status not checked (offline; trust list ")  # never "in force"
    assert "Zhejiang Hengda Electric Appliance Co., Ltd." in out.stdout


def test_verify_json_and_exit_status_for_each_verdict(home: Path, sealed: dict[str, Any]) -> None:
    text = sealed["qr"]
    cases = {
        "valid": (text, "2025-01-01T00:00:00Z", 0),
        "expired": (text, "2030-01-01T00:00:00Z", 1),
        "not_yet_valid": (text, "2024-03-25T00:00:00Z", 1),
        "malformed": (text[:-2], "2025-01-01T00:00:00Z", 1),
        "invalid": (text[:40] + ("A" if text[40] != "A" else "B") + text[41:], "2025-01-01T00:00:00Z", 1),
    }
    for verdict, (qr, at, status) in cases.items():
        out = run(
            home, "verify", qr, "--trust-list", "trust.json", "--at", at, "--json", "--operator-key", "operator.pem",
            "--max-age", "3650",
        )  # fmt: skip
        assert out.returncode == status, (verdict, out.stderr)
        answer = json.loads(out.stdout)
        assert answer["verdict"] in (verdict, "malformed" if verdict == "invalid" else verdict)
        assert answer["status"]["state"] == "unknown"
        assert answer["status"]["trust_list_age_seconds"] is not None


def test_key_rotation_keeps_old_seal_valid(tmp_path: Path) -> None:
    for owner in ("operator", "zjcert"):
        assert run(tmp_path, "keys", "create", owner).returncode == 0
    (tmp_path / "issuers.json").write_text(json.dumps([{"id": "zjcert", "name": "浙江认证", "name_en": "ZJ Cert"}]))
    old = run(tmp_path, "seal", str(DEMO_DIR / "ccc-self-declaration-socket.json"), "--issuer", "zjcert").stdout.strip()
    rotated = run(tmp_path, "keys", "rotate", "zjcert")
    assert rotated.returncode == 0 and "1 retired key" in rotated.stdout
    new = run(tmp_path, "seal", str(DEMO_DIR / "ccc-self-declaration-socket.json"), "--issuer", "zjcert").stdout.strip()
    assert run(tmp_path, "trust-list", "build", "--issuers", "issuers.json", "--out", "trust.json").returncode == 0
    for text in (old, new):
        assert run(tmp_path, "verify", text, "--trust-list", "trust.json").returncode == 0


def test_usage_errors_exit_2_without_traceback(home: Path, sealed: dict[str, Any], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    data = json.loads((DEMO_DIR / "zhejiang-made-kettle.json").read_text())
    data["holder"]["credit_code"] = "91330100MA27XK3L0B"
    data["valid_until"] = "2020-01-01"
    bad.write_text(json.dumps(data))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000)
    cases = [
        (("verify", sealed["qr"], "--trust-list", "missing.json"), "cannot read"),
        (("seal", str(bad), "--issuer", "zjcert"), "holder.credit_code"),
        (("seal", str(bad), "--issuer", "zjcert"), "valid_until"),
        (("seal", str(deep), "--issuer", "zjcert"), "not JSON"),
        (("seal", str(DEMO_DIR / "zhejiang-made-kettle.json"), "--issuer", "nobody"), "no keyring"),
        (("keys", "create", "zjcert"), "already has a keyring"),
    ]
    for args, words in cases:
        out = run(home, *args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert words in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr


def test_a_trust_list_it_cannot_use_is_refused(home: Path, sealed: dict[str, Any], tmp_path: Path) -> None:
    """Exit 3, as for an expired one: the list is refused, whatever is wrong with it."""
    other = tmp_path / "other.pem"
    other.write_text(run(home, "keys", "public", "zjcert").stdout)
    for args, words in (
        (("--trust-list", "trust.json", "--operator-key", str(other)), "not a pinned operator key"),
        (("--trust-list", "issuers.json"), "not a trust list"),
    ):
        out = run(home, "verify", sealed["qr"], *args)
        assert (out.returncode, "Traceback" in out.stderr) == (3, False), out.stderr
        assert words in out.stderr


def test_verify_without_operator_key(tmp_path: Path, home: Path, sealed: dict[str, Any]) -> None:
    out = run(tmp_path, "verify", sealed["qr"], "--trust-list", str(home / "trust.json"))
    assert out.returncode == 2
    assert "--operator-key" in out.stderr


def test_the_packaged_demo_certificates_are_the_files_in_the_repository() -> None:
    from verifier.demo.certificates import demo_certificates

    shipped = dict(demo_certificates())
    reference = {p.stem: json.loads(p.read_text("utf-8")) for p in DEMO_DIR.glob("*.json")}
    assert shipped == reference


def test_issuer_commands_rotate_and_withdraw_keys(tmp_path: Path) -> None:
    made = run(tmp_path, "issuer", "create", "zjqc", "--name", "浙江质量", "--name-en", "Zhejiang Quality")
    assert made.returncode == 0, made.stderr
    first = re.search(r"key ([0-9a-f]{16})", made.stdout)
    assert first
    withdrawn = run(tmp_path, "issuer", "withdraw-key", "zjqc", first.group(1))
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "new active key" in withdrawn.stdout and "reissue" in withdrawn.stdout
    again = run(tmp_path, "issuer", "withdraw-key", "zjqc", first.group(1))
    assert again.returncode == 2 and "was withdrawn on" in again.stderr
    missing = run(tmp_path, "issuer", "withdraw-key", "zjqc", "0123456789abcdef")
    assert missing.returncode == 2 and "has no key" in missing.stderr
    assert run(tmp_path, "migrate").stdout == f"schema {HEAD_REVISION} (already current)\n"
