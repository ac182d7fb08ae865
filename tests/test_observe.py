"""What the operator sees: /metrics read by Prometheus's own parser, request ids, and JSON logs without secrets."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import REFERENCE, Service, make_settings
from tests.server import Server
from verifier.api.app import METRICS_TOKEN_FILE, create_app
from verifier.config import load_settings
from verifier.logs import REDACTED, JsonFormatter


def scrape(
    client: TestClient | httpx.Client, headers: dict[str, str] | None = None
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics by (name, sorted labels), parsed by prometheus_client's parser.

    A test client's app is asked with the metrics token it generated, unless ``headers`` say otherwise.
    """
    if headers is None and isinstance(client, TestClient):
        generated = (client.app.state.services.settings.data_dir / METRICS_TOKEN_FILE).read_text().strip()  # type: ignore[attr-defined]
        headers = {"Authorization": f"Bearer {generated}"}
    answer = client.get("/metrics", headers=headers or {})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_issuances_verdicts_latencies_and_refusals(service: Service) -> None:
    client = service.client
    issuer = service.issuer()
    made = [client.post("/api/v1/certificates", json=REFERENCE[name], headers=issuer).json()
            for name in ("zhejiang-made-kettle", "international-cooperation-valve")]  # fmt: skip
    kettle = made[0]
    client.post(f"/api/v1/certificates/{made[1]['id']}/suspend", json={"reason": "surveillance_overdue"},
                headers=issuer)  # fmt: skip
    code = kettle["qr"].rsplit("/", 1)[1]
    forged = code[:-3] + ("AAA" if code[-3:] != "AAA" else "BBB")
    for _ in range(3):
        assert client.get(f"/c/{code}", headers={"Accept": "application/json"}).json()["verdict"] == "valid"
    assert client.get(f"/c/{forged}").status_code == 200
    assert client.post("/api/v1/verify", json={"qr": made[1]["qr"]}).json()["verdict"] == "suspended"
    assert client.post("/api/v1/verify", json={"qr": "hello"}).json()["verdict"] == "malformed"
    assert client.get("/api/v1/certificates", headers={"Authorization": "Bearer vrf_wrong"}).status_code == 401

    samples = scrape(client)
    assert value(samples, "verifier_certificates_issued_total", scheme="zhejiang-made") == 1
    assert value(samples, "verifier_certificates_issued_total", scheme="international-cooperation") == 1
    assert value(samples, "verifier_status_changes_total", action="suspend") == 1
    assert value(samples, "verifier_verifications_total", verdict="valid", via="link") == 3
    assert value(samples, "verifier_verifications_total", verdict="suspended", via="api") == 1
    assert value(samples, "verifier_verifications_total", verdict="malformed", via="api") == 1
    forged_verdicts = sum(v for (n, labels), v in samples.items()
                          if n == "verifier_verifications_total" and ("via", "link") in labels
                          and ("verdict", "valid") not in labels)  # fmt: skip
    assert forged_verdicts == 1
    assert value(samples, "verifier_verification_seconds_count", via="link") == 4
    assert value(samples, "verifier_auth_refused_total", reason="unknown") == 1
    scans = value(samples, "verifier_http_request_duration_seconds_count", route="/c/{code}", method="GET")
    assert scans == 4
    assert value(samples, "verifier_http_requests_total", route="/c/{code}", method="GET", status="200") == 4
    assert value(samples, "verifier_http_requests_total", route="/api/v1/certificates", method="GET", status="401") == 1
    assert value(samples, "process_resident_memory_bytes") > 10_000_000
    # Routes are labelled by their template: a thousand different codes make one series, not a thousand.
    assert not any("route" in dict(labels) and code in dict(labels)["route"] for _, labels in samples)


def test_rate_limit_refusals_are_counted(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'v.db'}")
    settings = type(settings)(**{**settings.__dict__, "rate_limit": (2, 60.0)})
    now = [1000.0]
    with TestClient(create_app(settings, rate_clock=lambda: now[0])) as client:
        statuses = [client.post("/api/v1/verify", json={"qr": "x"}).status_code for _ in range(5)]
        assert statuses == [200, 200, 429, 429, 429]
        now[0] += 60  # /metrics counts against the same limit: read it in the next window
        samples = scrape(client)
    assert value(samples, "verifier_rate_limited_total") == 3
    assert value(samples, "verifier_http_requests_total", route="unmatched", method="POST", status="429") == 3


def test_metrics_token(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(32)
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'v.db'}")
    settings = type(settings)(**{**settings.__dict__, "metrics_token": token})
    with TestClient(create_app(settings)) as client:
        refused = client.get("/metrics")
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
        assert client.get("/metrics", headers={"Authorization": "Bearer " + token[:-1]}).status_code == 401
        samples = scrape(client, {"Authorization": f"Bearer {token}"})
        # with the token configured, an operator token reads them too, as docs/operator.md says
        assert client.get("/metrics", headers={"Authorization": f"Bearer {settings.admin_token}"}).status_code == 200
    assert value(samples, "verifier_auth_refused_total", reason="metrics") == 2
    with pytest.raises(ValueError, match="VERIFIER_METRICS_TOKEN"):
        load_settings({"VERIFIER_METRICS_TOKEN": "short"})


def test_request_ids(service: Service) -> None:
    first = service.client.get("/healthz")
    second = service.client.get("/healthz")
    assert len(first.headers["x-request-id"]) == 16
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    given = service.client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.2"})
    assert given.headers["x-request-id"] == "lb-7f3a.2"  # a load balancer's id is kept
    for unusable in ("a" * 65, "two words", "<script>"):
        answer = service.client.get("/healthz", headers={"X-Request-ID": unusable})
        assert answer.headers["x-request-id"] != unusable


def test_formatter_redacts_secret_shapes() -> None:
    formatter = JsonFormatter(secrets=["my-passphrase-1234"])
    pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPc\n-----END PRIVATE KEY-----"
    token = "vrf_" + secrets.token_urlsafe(32)
    try:
        raise RuntimeError(f"could not use {token}")
    except RuntimeError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "key %s; auth %s; phrase %s", None, sys.exc_info())
    record.args = (pem, "Bearer " + secrets.token_urlsafe(20), "my-passphrase-1234")
    line = formatter.format(record)
    entry = json.loads(line)
    assert entry["level"] == "error" and entry["logger"] == "t"
    for secret in (token, "MC4CAQAwBQYDK2VwBCIEIPc", "my-passphrase-1234", "PRIVATE KEY"):
        assert secret not in line
    assert entry["msg"].count(REDACTED) == 3 and REDACTED in entry["exc"]
    harmless = logging.LogRecord("t", logging.INFO, __file__, 1, "a bearer token is required", None, None)
    assert json.loads(formatter.format(harmless))["msg"] == "a bearer token is required"


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
            certificate = client.post("/api/v1/certificates", json=REFERENCE["zhejiang-made-kettle"], headers=issuer)
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
