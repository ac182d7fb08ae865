"""Settings from the environment: working defaults, and a clear error naming the variable for a bad value."""

from __future__ import annotations

import pytest

from verifier.config import load_settings


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
