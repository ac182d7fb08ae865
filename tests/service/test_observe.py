"""What the operator sees: /metrics read by Prometheus's own parser, request ids, and JSON logs without secrets."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.helpers import DEMO, Service, make_settings
from tests.helpers.metrics import scrape, value
from verifier.config import load_settings
from verifier.server.app import create_app


def test_metrics_count_issuances_verdicts_latencies_and_refusals(service: Service) -> None:
    client = service.client
    issuer = service.issuer()
    made = [client.post("/api/v1/certificates", json=DEMO[name], headers=issuer).json()
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
