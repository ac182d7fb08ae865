"""A partner body's witness against a running service (issue 29): `verifier witness init`, the operator
registers it, `verifier witness run` replays the log and cosigns; the served checkpoint then carries the
cosignature. An insider who rewrites an entry in the database is refused by the witness; so is a log that
shrank or a checkpoint signed by another key."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from tests.helpers.certificates import CURRENT
from tests.helpers.server import Server
from tests.helpers.service import register_issuer
from verifier.tlog.note import parse_note
from verifier.trust.keys import KeyStore, public_key_pem


def operator_pem(keys: Path) -> str:
    """The operator's public key, as the operator hands it to those who check its trust list."""
    return public_key_pem(KeyStore(keys).keyring("operator").active.public_key).decode()


def witness(*args: str | Path, cwd: Path, command: str = "witness") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verifier", command, *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def wait_for(size: int, url: str) -> str:
    """The checkpoint once it covers ``size`` entries (the service signs one every second)."""
    for _ in range(100):
        served = httpx.get(f"{url}/log/checkpoint").text
        if int(served.split("\n")[1]) >= size:
            return served
        time.sleep(0.1)
    raise AssertionError(f"no checkpoint of {size} entries")


def test_a_witness_replays_the_log_cosigns_it_and_refuses_a_rewritten_entry(tmp_path: Path) -> None:
    admin = secrets.token_urlsafe(32)
    env = {"VERIFIER_DATA_DIR": str(tmp_path / "data"), "VERIFIER_KEYS_DIR": str(tmp_path / "keys"),
           "VERIFIER_ADMIN_TOKEN": admin, "VERIFIER_RENDER_PDFS": "0"}  # fmt: skip
    server = Server(tmp_path, env)
    server.start()
    try:
        issuer = register_issuer(httpx.post, admin, server.url)
        made = httpx.post(f"{server.url}/api/v1/certificates", json=CURRENT["zhejiang-made-kettle"], headers=issuer)
        assert made.status_code == 201, made.text
        body = tmp_path / "sgs"
        body.mkdir()
        init = witness("init", "--name", "sgs.example/witness", "--key", "w.pem", cwd=body)
        assert init.returncode == 0, init.stderr
        vkey = init.stdout.strip()
        assert vkey.startswith("sgs.example/witness+") and (body / "w.pem").stat().st_mode & 0o777 == 0o600
        added = httpx.post(f"{server.url}/api/v1/log/witnesses", json={"vkey": vkey, "party": "zjcert"},
                           headers={"Authorization": f"Bearer {admin}"})  # fmt: skip
        assert added.status_code == 201, added.text
        log_key = httpx.get(f"{server.url}/api/v1/log").json()["key"]
        wait_for(3, server.url)
        run = ["run", "--log", server.url, "--name", "sgs.example/witness", "--key", "w.pem", "--state", "state.json"]
        first = witness(*run, "--log-key", log_key, "--once", cwd=body)
        assert first.returncode == 0 and "cosigned 3 entries: 200" in first.stdout, (first.stdout, first.stderr)
        note = parse_note(httpx.get(f"{server.url}/log/checkpoint").text)
        assert [s.name for s in note.signatures] == [f"127.0.0.1:{server.port}/log", "sgs.example/witness"]
        assert httpx.get(f"{server.url}/api/v1/log").json()["witnessed_size"] == 3
        # Nothing new: a round cosigns nothing and says nothing.
        again = witness(*run, "--once", cwd=body)
        assert again.returncode == 0 and again.stdout == "", again.stdout
        # The issuer's monitor: its records (an export) hold the one certificate it issued and its key.
        (body / "trust-list.json").write_bytes(httpx.get(f"{server.url}/api/v1/trust-list").content)
        (body / "operator.pem").write_text(operator_pem(tmp_path / "keys"))
        kid = httpx.post(f"{server.url}/api/v1/verify", json={"qr": made.json()["qr"]}).json()["signature"]["kid"]
        (body / "known.txt").write_text(f"# zjcert's certificates\n{made.json()['qr']}\nkey {kid}\n")
        watch = ["--log", server.url, "--issuer", "zjcert", "--known", "known.txt", "--trust-list", "trust-list.json",
                 "--operator-key", "operator.pem", "--once"]  # fmt: skip
        quiet = witness(*watch, "--state", "monitor.json", cwd=body, command="monitor")
        assert quiet.returncode == 0, (quiet.stdout, quiet.stderr)
        assert "issued" in quiet.stdout and f"key {kid} added" in quiet.stdout and "FLAGGED" not in quiet.stdout
        # An insider (or a thief of the issuer's token) issues a certificate the issuer never recorded: the
        # monitor flags it at the next checkpoint. Then the insider rewrites its entry in the database (past
        # the append-only trigger) to hide whose key sealed it: the tiles keep the original's hash, the
        # bundle serves the lie.
        second = dict(CURRENT["zhejiang-made-kettle"], number="ZJM-2026-LOG-2")
        stolen = httpx.post(f"{server.url}/api/v1/certificates", json=second, headers=issuer)
        assert stolen.status_code == 201
        index = stolen.json()["log_index"]  # after the trust list's version, entered when it was first served
        wait_for(index + 1, server.url)
        flagged = witness(*watch, "--state", "monitor.json", cwd=body, command="monitor")
        assert flagged.returncode == 1 and flagged.stdout.count("FLAGGED") == 1, (flagged.stdout, flagged.stderr)
        assert f"{index:>10}  issued" in flagged.stdout and "1 flagged" in flagged.stderr, flagged
        engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'verifier.db'}")
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER log_entries_no_update"))
            conn.execute(text("UPDATE log_entries SET leaf = CAST(replace(leaf, 'issuer zjcert', 'issuer zjcerx') "
                              "AS BLOB) WHERE idx = :index"), {"index": index})  # fmt: skip
        engine.dispose()
        refused = witness(*run, "--once", cwd=body)
        assert refused.returncode == 1 and "REFUSED" in refused.stderr and "do not lead" in refused.stderr, (
            refused.stdout, refused.stderr,
        )  # fmt: skip
        assert '"size": 3' in (body / "state.json").read_text()  # the state is what it cosigned last
        # A monitor that starts over replays the rewritten entry: the alarm.
        alarm = witness(*watch, "--state", "fresh.json", cwd=body, command="monitor")
        assert alarm.returncode == 3 and "ALARM" in alarm.stderr and "do not lead" in alarm.stderr, alarm.stderr
        # A checkpoint signed by another key (a log it did not pin) is refused before anything is read.
        other = witness("run", "--log", server.url, "--name", "sgs.example/witness", "--key", "w.pem", "--state",
                        "other.json", "--log-key", vkey.replace("sgs.example/witness", f"127.0.0.1:{server.port}/log"),
                        "--once", cwd=body)  # fmt: skip
        assert other.returncode != 0, other.stdout
    finally:
        server.stop()
