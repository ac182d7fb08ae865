"""Rate limits on the public endpoints: N allowed, N+1 refused with Retry-After, allowed again next window."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.helpers import make_settings
from verifier.api.ratelimit import RateLimiter
from verifier.config import load_settings
from verifier.server.app import create_app


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 60, clock)
    assert [limiter.check("a") for _ in range(3)] == [None, None, None]
    assert limiter.check("a") == 20.0  # 1000 s lies in the window [960, 1020)
    assert limiter.check("b") is None  # per client
    clock.now = 1020.0
    assert limiter.check("a") is None


def test_public_endpoints_answer_429_with_retry_after(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'v.db'}")
    settings = type(settings)(**{**settings.__dict__, "rate_limit": (3, 60.0)})
    clock = FakeClock()
    with TestClient(create_app(settings, rate_clock=clock)) as client:
        for _ in range(3):
            assert client.post("/api/v1/verify", json={"qr": "x"}).status_code == 200
        refused = client.get("/c/1ABC")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "20"
        assert refused.json()["error"] == "rate_limited"
        assert client.get("/healthz").status_code == 200  # not a public check: not limited
        assert client.get("/api/v1/trust-list").status_code == 429  # public, and limited like the checks
        assert client.get("/metrics").status_code == 429  # as the README says: a token guesser is limited too
        clock.now += 20
        assert client.get("/c/1ABC", headers={"Accept": "application/json"}).status_code == 200


def test_rate_limit_setting() -> None:
    assert load_settings({"VERIFIER_RATE_LIMIT": "10/1"}).rate_limit == (10, 1.0)
    assert load_settings({"VERIFIER_RATE_LIMIT": "0"}).rate_limit is None
    assert load_settings({}).rate_limit == (600, 60.0)
    for bad in ("ten", "10/0", "10/x", "-1/60"):
        with pytest.raises(ValueError, match="VERIFIER_RATE_LIMIT"):
            load_settings({"VERIFIER_RATE_LIMIT": bad})


def test_head_and_unknown_methods(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'v.db'}")
    with TestClient(create_app(settings)) as client:
        head = client.head("/c/1ABC")
        assert head.status_code == 200
        assert head.content == b""
        assert client.request("DELETE", "/c/1ABC").status_code == 405
        assert client.request("PUT", "/api/v1/verify", json={}).status_code == 405


def test_uploads_have_a_limit_of_their_own(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'v.db'}")
    settings = type(settings)(**{**settings.__dict__, "rate_limit": (100, 60.0), "upload_rate_limit": (2, 60.0)})
    clock = FakeClock()
    with TestClient(create_app(settings, rate_clock=clock)) as client:
        upload = {"file": ("x.pdf", b"not a pdf", "application/pdf")}
        for _ in range(2):
            assert client.post("/api/v1/verify/pdf", files=upload).status_code == 415
        refused = client.post("/check/pdf", files=upload)  # the page's form shares the upload limit
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "20"
        assert client.post("/api/v1/verify", json={"qr": "x"}).status_code == 200  # checks of text are apart
        clock.now += 20
        assert client.post("/api/v1/verify/pdf", files=upload).status_code == 415
