"""Operator tokens listed and withdrawn, the admin token handed over, demo re-runs that pile nothing up."""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from tests.helpers import Clock, make_settings
from verifier.server.app import ADMIN_TOKEN_FILE, create_app


def test_the_configured_admin_token_takes_over_from_the_generated_one(tmp_path: Path, database_url: str) -> None:
    settings = replace(make_settings(tmp_path, database_url), admin_token=None)
    with TestClient(create_app(settings, Clock())) as client:
        generated = (settings.data_dir / ADMIN_TOKEN_FILE).read_text().strip()
        assert (
            client.get("/api/v1/operator/tokens", headers={"Authorization": f"Bearer {generated}"}).status_code == 200
        )
    configured = secrets.token_urlsafe(32)
    with TestClient(create_app(replace(settings, admin_token=configured), Clock())) as client:
        assert (
            client.get("/api/v1/operator/tokens", headers={"Authorization": f"Bearer {generated}"}).status_code == 401
        )
        listed = client.get("/api/v1/operator/tokens", headers={"Authorization": f"Bearer {configured}"}).json()
        assert [t["id"] for t in listed if t["withdrawn_at"] is not None] == ["admin"]
        assert not (settings.data_dir / ADMIN_TOKEN_FILE).exists()
    with TestClient(create_app(settings, Clock())) as client:  # unset again: the old token stays withdrawn
        assert (
            client.get("/api/v1/operator/tokens", headers={"Authorization": f"Bearer {generated}"}).status_code == 401
        )
