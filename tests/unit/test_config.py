"""Settings from the environment: working defaults, and a clear error naming the variable for a bad value."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from verifier.config import KNOWN_VARIABLES, load_settings, unprefixed, warn_at_start


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.render_idle_seconds == 120.0
    assert settings.log_level == "info"
    assert settings.metrics_token is None
    assert settings.database.startswith("sqlite:///")


def test_values() -> None:
    settings = load_settings({"VERIFIER_RENDER_IDLE": "2.5", "VERIFIER_LOG_LEVEL": "WARNING"})
    assert settings.render_idle_seconds == 2.5
    assert settings.log_level == "warning"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VERIFIER_RENDER_IDLE", "0"),
        ("VERIFIER_RENDER_IDLE", "soon"),
        ("VERIFIER_RENDER_IDLE", "nan"),
        ("VERIFIER_LOG_LEVEL", "verbose"),
        ("VERIFIER_METRICS_TOKEN", "changeme-changeme-changeme-changeme"),
        ("VERIFIER_ADMIN_TOKEN", "short"),
        ("VERIFIER_SEAL_CACHE", "-1"),
        ("VERIFIER_PUBLIC_URL", "https://verify.example.org/path"),
    ],
)
def test_bad_values_name_their_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        load_settings({name: value})


def test_every_variable_the_service_reads_is_known_by_its_short_name() -> None:
    source = (Path(__file__).resolve().parents[2] / "verifier" / "config.py").read_text()
    read = set(re.findall(r'"VERIFIER_([A-Z_]+)"', source)) | {"PORT"}
    assert read == set(KNOWN_VARIABLES)


def test_an_unprefixed_variable_the_service_knows_is_warned_of(caplog: pytest.LogCaptureFixture) -> None:
    environ = {"FORWARDED_ALLOW_IPS": "10.0.0.1", "ADMIN_TOKEN": "x", "DATABASE_URL": "postgresql://elsewhere"}
    assert unprefixed(environ) == ["ADMIN_TOKEN", "FORWARDED_ALLOW_IPS"]  # DATABASE_URL is everybody's
    assert unprefixed({**environ, "VERIFIER_FORWARDED_ALLOW_IPS": "10.0.0.1"}) == ["ADMIN_TOKEN"]
    with caplog.at_level(logging.WARNING, "verifier"):
        warn_at_start(load_settings({}), {"FORWARDED_ALLOW_IPS": "10.0.0.1"})
    assert "set VERIFIER_FORWARDED_ALLOW_IPS instead" in caplog.text
    assert "did:web" not in caplog.text  # http on this machine: the demo's


def test_an_http_public_url_is_warned_of(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "verifier"):
        warn_at_start(load_settings({"VERIFIER_PUBLIC_URL": "http://verify.example.org"}), {})
    assert "did:web" in caplog.text and "https" in caplog.text
