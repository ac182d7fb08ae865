"""Settings from the environment: working defaults, and a clear error naming the variable for a bad value."""

from __future__ import annotations

import logging
import re

import pytest

from scripts.docs import with_table
from tests.helpers import REPO
from verifier.config import KNOWN_VARIABLES, SETTINGS, Settings, load_settings, unprefixed, warn_at_start


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


def test_every_variable_the_service_reads_is_a_setting() -> None:
    """Whatever reads a VERIFIER_ variable by name (the command line's port) reads one SETTINGS knows."""
    read = set()
    for path in (REPO / "verifier").rglob("*.py"):
        read |= set(re.findall(r'environ(?:\.get\(|\[)"VERIFIER_([A-Z_]+)"', path.read_text("utf-8")))
    assert read, "the command line reads VERIFIER_PORT"
    # issue-batch is a client of a service: its VERIFIER_URL and VERIFIER_TOKEN are its own (its --help)
    assert read - {"URL", "TOKEN"} <= set(KNOWN_VARIABLES)
    assert len(set(KNOWN_VARIABLES)) == len(SETTINGS)


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


def test_the_readme_table_of_settings_is_the_codes() -> None:
    """Each setting's default, name and words are written once (SETTINGS); `make docs` writes the table."""
    readme = (REPO / "README.md").read_text("utf-8")
    assert with_table(readme) == readme, "run make docs"
    for setting in SETTINGS:
        assert f"| `{setting.variable}` |" in readme


def test_every_default_is_read_as_a_value_set_would_be() -> None:
    """Settings() and the environment's defaults are one: the default text read by the setting's reader."""
    assert load_settings({}) == Settings()
    for setting in SETTINGS:
        if setting.field:
            assert getattr(Settings(), setting.field) == setting.read(setting.default, setting.variable)
