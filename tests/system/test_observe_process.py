"""What the operator sees: /metrics read by Prometheus's own parser, request ids, and JSON logs without secrets."""

from __future__ import annotations

import json
import re
import secrets
import sys
from pathlib import Path

import httpx

from tests.helpers import DEMO
from tests.helpers.metrics import scrape, value
from tests.helpers.server import Server


def test_live_server_logs_json_lines_and_never_a_secret(tmp_path: Path) -> None:
    """A whole session against a real server; then every line of its log is JSON and none holds a secret."""
    admin = secrets.token_urlsafe(32)
    passphrase = "correct horse battery staple 42"
    server = Server(tmp_path, {"VERIFIER_DATA_DIR": str(tmp_path / "data"), "VERIFIER_KEYS_DIR": str(tmp_path / "keys"),
                               "VERIFIER_ADMIN_TOKEN": admin, "VERIFIER_KEY_PASSPHRASE": passphrase,
                               "VERIFIER_RENDER_PDFS": "0"})  # fmt: skip
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            operator = {"Authorization": f"Bearer {admin}"}
            made = client.post("/api/v1/issuers", json={"id": "zjcert", "name": "浙江", "name_en": "ZJ"},
                               headers=operator).json()  # fmt: skip
            first = made["token"]
            second = client.post("/api/v1/issuers/zjcert/tokens", json={"label": "erp"}, headers=operator).json()
            issuer = {"Authorization": f"Bearer {first}"}
            certificate = client.post("/api/v1/certificates", json=DEMO["zhejiang-made-kettle"], headers=issuer)
            certificate_id = certificate.json()["id"]
            client.post(f"/api/v1/certificates/{certificate_id}/revoke", json={"reason": "fraud"}, headers=issuer)
            client.post(f"/api/v1/issuers/zjcert/tokens/{second['id']}/withdraw", headers=operator)
            client.get("/api/v1/certificates", headers={"Authorization": f"Bearer {second['token']}"})  # withdrawn
            client.get(f"/api/v1/certificates/{first}", headers=issuer)  # a token pasted into a path
            client.get(f"/check?qr={first}")  # and into a query
            client.post("/api/v1/issuers/zjcert/keys/rotate", headers=operator)
            scanned = client.get(certificate.json()["verify_url"], headers={"Accept": "application/json"})
            assert scanned.json()["verdict"] == "revoked"
            request_id = scanned.headers["x-request-id"]
    finally:
        server.stop()
    lines = (tmp_path / "server.log").read_text("utf-8").splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    text = "\n".join(lines)
    for secret in (admin, first, second["token"], passphrase, "PRIVATE KEY"):
        assert secret not in text
    access = [e for e in entries if e["logger"] == "verifier.access"]
    assert {"ts", "level", "msg", "request_id", "method", "route", "status", "ms", "client"} <= set(access[0])
    scan = next(e for e in access if e["request_id"] == request_id)
    assert scan["route"] == "/c/{code}" and scan["status"] == 200 and scan["verdict"] == "revoked"
    refused = [e for e in entries if e["logger"] == "verifier.auth"]
    assert refused and all(e["request_id"] for e in refused)
    issued = next(e for e in entries if e["logger"] == "verifier.issuer" and e["msg"].startswith("issued"))
    assert issued["issuer"] == "zjcert" and issued["first"] == certificate_id


def test_workers_share_their_metrics(tmp_path: Path) -> None:
    """With two worker processes, whichever answers /metrics counts the verdicts of both."""
    admin = secrets.token_urlsafe(32)
    server = Server(tmp_path, {"VERIFIER_DATA_DIR": str(tmp_path / "data"), "VERIFIER_KEYS_DIR": str(tmp_path / "keys"),
                               "VERIFIER_RENDER_PDFS": "0", "VERIFIER_ADMIN_TOKEN": admin},
                    args=["--workers", "2"])  # fmt: skip
    server.start()
    try:
        for _ in range(40):
            httpx.post(f"{server.url}/api/v1/verify", json={"qr": "not a certificate"})
        counts = set()
        for _ in range(6):
            with httpx.Client(base_url=server.url) as client:  # a new connection each time: either worker
                samples = scrape(client, {"Authorization": f"Bearer {admin}"})  # an operator token may read them
                counts.add(value(samples, "verifier_verifications_total", verdict="malformed", via="api"))
    finally:
        server.stop()
    assert counts == {40.0}
    log = (tmp_path / "server.log").read_text()
    # uvicorn's supervisor waits 60 s for a worker building the app, not 5: none is killed on a slow start
    assert "one that does not answer its supervisor for 60 s is restarted" in log
    assert "died" not in log.lower(), log[-2000:]


def test_logs_are_readable_on_a_terminal_and_json_elsewhere(tmp_path: Path) -> None:
    """VERIFIER_LOG_FORMAT=auto: text lines when standard error is a terminal (a person at `make run`),
    JSON lines when it is not (a container, a service manager)."""
    import os
    import pty
    import subprocess

    script = (
        "import logging, sys; from verifier import logs; logs.configure('info', [], sys.argv[1]); "
        "logging.getLogger('verifier').warning('generated the admin token', extra={'fields': {'path': 'x'}})"
    )
    piped = subprocess.run([sys.executable, "-c", script, "auto"], capture_output=True, text=True, check=True)
    assert json.loads(piped.stderr)["msg"] == "generated the admin token"
    main, child = pty.openpty()
    try:
        subprocess.run([sys.executable, "-c", script, "auto"], stderr=child, check=True)
        shown = os.read(main, 4096).decode()
    finally:
        os.close(main)
        os.close(child)
    assert re.match(r"\d\d:\d\d:\d\d warning +generated the admin token  path=x", shown), shown
    texted = subprocess.run([sys.executable, "-c", script, "text"], capture_output=True, text=True, check=True)
    assert not texted.stderr.startswith("{")
