"""Operator tokens listed and withdrawn, the admin token handed over, demo re-runs that pile nothing up."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from tests.helpers import Service
from tests.helpers.cli import Ran, run_cli
from verifier.demo.firstrun import set_up
from verifier.server.app import METRICS_TOKEN_FILE


def test_operator_tokens_are_listed_and_withdrawn(service: Service) -> None:
    made = service.client.post("/api/v1/operator/tokens", json={"label": "night shift"}, headers=service.admin)
    assert made.status_code == 201
    token = {"Authorization": f"Bearer {made.json()['token']}"}
    assert service.client.get("/api/v1/operator/tokens", headers=token).status_code == 200
    listed = service.client.get("/api/v1/operator/tokens", headers=service.admin).json()
    assert [(t["id"], t["label"], t["withdrawn_at"]) for t in listed if t["label"] == "night shift"] == [
        (made.json()["id"], "night shift", None)
    ]
    assert "token" not in listed[0]
    gone = service.client.post(f"/api/v1/operator/tokens/{made.json()['id']}/withdraw", headers=service.admin)
    assert gone.status_code == 204
    assert service.client.get("/api/v1/operator/tokens", headers=token).status_code == 401  # its very next request
    again = service.client.post(f"/api/v1/operator/tokens/{made.json()['id']}/withdraw", headers=service.admin)
    assert again.status_code == 404
    env = service.client.post("/api/v1/operator/tokens/admin-env/withdraw", headers=service.admin)
    assert env.status_code == 404
    assert "VERIFIER_ADMIN_TOKEN" in env.json()["message"]
    issuer = service.issuer()
    assert service.client.get("/api/v1/operator/tokens", headers=issuer).status_code == 403
    issuer_tokens = service.client.get("/api/v1/issuers/zjcert/tokens", headers=service.admin).json()
    withdrawn = service.client.post(f"/api/v1/operator/tokens/{issuer_tokens[0]['id']}/withdraw", headers=service.admin)
    assert withdrawn.status_code == 404  # an issuer's token is not the operator's to withdraw here


def status(client: TestClient, token: str) -> int:
    return client.get("/api/v1/operator/tokens", headers={"Authorization": f"Bearer {token}"}).status_code


def test_metrics_need_a_token_by_default(service: Service) -> None:
    assert service.client.get("/metrics").status_code == 401
    generated = (service.settings.data_dir / METRICS_TOKEN_FILE).read_text().strip()
    assert service.client.get("/metrics", headers={"Authorization": f"Bearer {generated}"}).status_code == 200
    assert service.client.get("/metrics", headers=service.admin).status_code == 200  # the operator may look
    issuer = service.issuer()
    assert service.client.get("/metrics", headers=issuer).status_code == 401
    metrics_only = {"Authorization": f"Bearer {generated}"}
    assert service.client.get("/api/v1/operator/tokens", headers=metrics_only).status_code == 403


def test_demo_reruns_keep_one_live_token_of_each(pdf_service: Service) -> None:
    services = pdf_service.client.app.state.services  # type: ignore[attr-defined]
    for _ in range(3):
        demo = set_up(services.registry, None, pdf_service.settings.public_url, pdf_service.settings.data_dir / "demo",
                      datetime.now(UTC))  # fmt: skip
    operator = services.registry.tokens.of(None)
    live = sorted(t["label"] for t in operator if t["withdrawn_at"] is None)
    assert live == ["demo metrics token", "demo operator token", "generated metrics token"]
    issuer = services.registry.tokens.of("demo-cert")
    assert [t["label"] for t in issuer if t["withdrawn_at"] is None] == ["demo token"]
    assert (
        pdf_service.client.get(
            "/api/v1/certificates", headers={"Authorization": f"Bearer {demo.issuer_token}"}
        ).status_code
        == 200
    )


def test_command_line_lists_and_withdraws_operator_tokens(tmp_path: Path) -> None:
    env = {"VERIFIER_DATA_DIR": str(tmp_path / "data"), "VERIFIER_KEYS_DIR": str(tmp_path / "keys")}

    def run(*args: str) -> Ran:
        return run_cli(*args, env={**os.environ, **env}, cwd=tmp_path)

    made = run("token", "create", "operator", "--label", "backup robot")
    assert made.returncode == 0, made.stderr
    token_id = made.stdout.split()[1]
    listed = run("token", "list", "operator")
    assert token_id in listed.stdout
    assert "live" in listed.stdout
    assert run("token", "withdraw", "operator", token_id).returncode == 0
    assert "withdrawn" in run("token", "list", "operator").stdout
    again = run("token", "withdraw", "operator", token_id)
    assert again.returncode == 2
    assert "no live token" in again.stderr
    assert "Traceback" not in again.stderr
    reserved = run("issuer", "create", "operator", "--name", "冒充", "--name-en", "Impostor")
    assert reserved.returncode == 2
    assert "uses itself" in reserved.stderr
