"""Settings, read from ``VERIFIER_*`` environment variables with working defaults.

Nothing reads the environment at import time: :func:`load_settings` is called by the command line (and
the service) and the result is passed down.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from verifier.logs import LOG_FORMATS
from verifier.origins import check_public_url

log = logging.getLogger("verifier")
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
MIN_ADMIN_TOKEN = 32
LOG_LEVELS = ("debug", "info", "warning", "error")
_PLACEHOLDERS = ("changeme", "change-me", "change_me", "placeholder", "your-token", "example")


@dataclass(frozen=True)
class Settings:
    """Where the service keeps its data and keys, the database, and the public URL its QR codes point to."""

    public_url: str = DEFAULT_PUBLIC_URL
    data_dir: Path = Path("data")
    keys_dir: Path = Path("keys")
    key_passphrase: bytes | None = None
    database_url: str = ""
    admin_token: str | None = field(default=None, repr=False)
    max_body_bytes: int = 5 * 1024 * 1024
    seal_cache_size: int = 10_000
    render_pdfs: bool = True
    rate_limit: tuple[int, float] | None = (600, 60.0)
    templates_dir: Path | None = None
    render_idle_seconds: float = 120.0
    metrics_token: str | None = field(default=None, repr=False)
    log_level: str = "info"
    log_format: str = "auto"
    upload_rate_limit: tuple[int, float] | None = (20, 60.0)
    auth_failure_limit: tuple[int, float] | None = (30, 60.0)
    upload_workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    upload_queue: int = 8
    forwarded_allow_ips: str | None = None
    max_concurrency: int = 1000
    trust_list_days: int = 30
    header_timeout: float = 10.0
    job_lease_seconds: float = 30.0

    @property
    def database(self) -> str:
        """The SQLAlchemy URL: the configured one, or an SQLite file in the data folder."""
        return self.database_url or f"sqlite:///{self.data_dir / 'verifier.db'}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``environ`` (the process environment by default); raises ValueError on a bad value.

    ``VERIFIER_PUBLIC_URL`` (an origin: http(s)://host[:port]), ``VERIFIER_DATA_DIR``,
    ``VERIFIER_KEYS_DIR``, ``VERIFIER_KEY_PASSPHRASE`` (encrypts private keys at rest),
    ``VERIFIER_DATABASE_URL`` (default: SQLite under the data folder), ``VERIFIER_ADMIN_TOKEN`` (the
    operator's token; at least 32 characters; when unset, one is generated once and printed),
    ``VERIFIER_SEAL_CACHE`` (seals remembered as checked, default 10000; 0 turns the cache off),
    ``VERIFIER_RENDER_PDFS`` (``0`` issues QR codes without PDFs, for bodies that print elsewhere),
    ``VERIFIER_TEMPLATES_DIR`` (certificate templates; default: ``templates/``, in the package from a wheel),
    ``VERIFIER_RATE_LIMIT`` (public requests per client: ``N/SECONDS``, default ``600/60``; ``0``: none),
    ``VERIFIER_RENDER_IDLE`` (seconds without a certificate to render before the render processes stop, default 120),
    ``VERIFIER_METRICS_TOKEN`` (when set, ``/metrics`` needs it as a bearer token; at least 32 characters),
    ``VERIFIER_LOG_LEVEL`` (``debug``, ``info`` (default: a line per request), ``warning``, ``error``),
    ``VERIFIER_LOG_FORMAT`` (``json``: a JSON object per line; ``text``: readable lines; ``auto``
    (default): text on a terminal, JSON otherwise),
    ``VERIFIER_UPLOAD_RATE_LIMIT`` (uploaded files per client, ``N/SECONDS``, default ``20/60``; ``0``: none),
    ``VERIFIER_AUTH_FAILURE_LIMIT`` (refused tokens per client before it is refused outright, default
    ``30/60``), ``VERIFIER_UPLOAD_WORKERS`` (processes that read uploads, default: the cores, at most 4),
    ``VERIFIER_UPLOAD_QUEUE`` (uploads that may wait for one, default 8; past it 503),
    ``VERIFIER_FORWARDED_ALLOW_IPS`` (the proxies whose ``X-Forwarded-For`` is believed, comma-separated;
    default none), ``VERIFIER_MAX_CONCURRENCY`` (connections and requests at once before 503, default
    1000), ``VERIFIER_TRUST_LIST_DAYS`` (how long a published trust list stays valid, default 30),
    ``VERIFIER_HEADER_TIMEOUT`` (seconds a client has to send a request's headers, default 10),
    ``VERIFIER_JOB_LEASE`` (seconds after which a job whose replica stopped renewing it, killed, is taken
    again by another or by the restarted service, default 30).
    """
    env = os.environ if environ is None else environ
    passphrase = env.get("VERIFIER_KEY_PASSPHRASE")
    admin_token = env.get("VERIFIER_ADMIN_TOKEN") or None
    if admin_token is not None:
        check_admin_token(admin_token)
    metrics_token = env.get("VERIFIER_METRICS_TOKEN") or None
    if metrics_token is not None:
        check_admin_token(metrics_token, "VERIFIER_METRICS_TOKEN")
    log_level = env.get("VERIFIER_LOG_LEVEL", "info").lower()
    if log_level not in LOG_LEVELS:
        raise ValueError(f"VERIFIER_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
    log_format = env.get("VERIFIER_LOG_FORMAT", "auto").lower()
    if log_format not in LOG_FORMATS:
        raise ValueError(f"VERIFIER_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    return Settings(
        public_url=_public_url(env.get("VERIFIER_PUBLIC_URL", DEFAULT_PUBLIC_URL)),
        data_dir=Path(env.get("VERIFIER_DATA_DIR", "data")),
        keys_dir=Path(env.get("VERIFIER_KEYS_DIR", "keys")),
        key_passphrase=passphrase.encode("utf-8") if passphrase else None,
        database_url=env.get("VERIFIER_DATABASE_URL", ""),
        admin_token=admin_token,
        seal_cache_size=_count(env.get("VERIFIER_SEAL_CACHE", "10000"), "VERIFIER_SEAL_CACHE"),
        render_pdfs=env.get("VERIFIER_RENDER_PDFS", "1") not in ("0", "false", "no", "off"),
        templates_dir=Path(env["VERIFIER_TEMPLATES_DIR"]) if env.get("VERIFIER_TEMPLATES_DIR") else None,
        rate_limit=_rate(env.get("VERIFIER_RATE_LIMIT", "600/60")),
        render_idle_seconds=_seconds(env.get("VERIFIER_RENDER_IDLE", "120"), "VERIFIER_RENDER_IDLE"),
        metrics_token=metrics_token,
        log_level=log_level,
        log_format=log_format,
        upload_rate_limit=_rate(env.get("VERIFIER_UPLOAD_RATE_LIMIT", "20/60"), "VERIFIER_UPLOAD_RATE_LIMIT"),
        auth_failure_limit=_rate(env.get("VERIFIER_AUTH_FAILURE_LIMIT", "30/60"), "VERIFIER_AUTH_FAILURE_LIMIT"),
        upload_workers=_positive(
            env.get("VERIFIER_UPLOAD_WORKERS", str(Settings().upload_workers)), "VERIFIER_UPLOAD_WORKERS", 64
        ),
        upload_queue=_count(env.get("VERIFIER_UPLOAD_QUEUE", "8"), "VERIFIER_UPLOAD_QUEUE"),
        forwarded_allow_ips=env.get("VERIFIER_FORWARDED_ALLOW_IPS", "").strip() or None,
        max_concurrency=_positive(env.get("VERIFIER_MAX_CONCURRENCY", "1000"), "VERIFIER_MAX_CONCURRENCY", 100_000),
        trust_list_days=_positive(env.get("VERIFIER_TRUST_LIST_DAYS", "30"), "VERIFIER_TRUST_LIST_DAYS", 366),
        header_timeout=_seconds(env.get("VERIFIER_HEADER_TIMEOUT", "10"), "VERIFIER_HEADER_TIMEOUT"),
        job_lease_seconds=_seconds(env.get("VERIFIER_JOB_LEASE", "30"), "VERIFIER_JOB_LEASE"),
    )


# Every VERIFIER_ variable the service reads, without its prefix.
KNOWN_VARIABLES = (
    "PUBLIC_URL", "DATA_DIR", "KEYS_DIR", "KEY_PASSPHRASE", "DATABASE_URL", "ADMIN_TOKEN", "SEAL_CACHE",
    "RENDER_PDFS", "TEMPLATES_DIR", "RATE_LIMIT", "RENDER_IDLE", "METRICS_TOKEN", "LOG_LEVEL", "LOG_FORMAT",
    "UPLOAD_RATE_LIMIT", "AUTH_FAILURE_LIMIT", "UPLOAD_WORKERS", "UPLOAD_QUEUE", "FORWARDED_ALLOW_IPS",
    "MAX_CONCURRENCY", "TRUST_LIST_DAYS", "HEADER_TIMEOUT", "JOB_LEASE", "PORT",
)  # fmt: skip
# Names other programs own as they are: set for them, not a forgotten prefix.
_THEIRS = frozenset({"DATABASE_URL", "PORT", "LOG_LEVEL", "DATA_DIR", "PUBLIC_URL", "RATE_LIMIT"})


def unprefixed(environ: Mapping[str, str] | None = None) -> list[str]:
    """The variables set without the ``VERIFIER_`` prefix that this service would read with it.

    ``FORWARDED_ALLOW_IPS`` is uvicorn's name, ``ADMIN_TOKEN`` an easy slip: set alone, the service
    ignores them, and a proxy's addresses or the admin token would silently not apply. Common names
    that other programs own (``DATABASE_URL``, ``PORT``, ...) are left out: they are set for those
    programs far more often than by mistake for this one.
    """
    env = os.environ if environ is None else environ
    return [
        name
        for name in KNOWN_VARIABLES
        if name not in _THEIRS and env.get(name) is not None and env.get(f"VERIFIER_{name}") is None
    ]


def warn_at_start(settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Log a warning for each variable :func:`unprefixed` finds, and for a public URL did:web cannot use."""
    for name in unprefixed(environ):
        log.warning(
            "%s is set but this service reads VERIFIER_%s: it is ignored; set VERIFIER_%s instead", name, name, name
        )
    host = settings.public_url.partition("://")[2].rsplit(":", 1)[0]
    if settings.public_url.startswith("http://") and host not in ("127.0.0.1", "localhost", "[::1]"):
        log.warning(
            "VERIFIER_PUBLIC_URL %s is http: phones open its QR links, but the issuers' did:web DIDs (which "
            "verify the credentials and status lists) resolve over https only; serve it as https",
            settings.public_url,
        )


def _rate(text: str, name: str = "VERIFIER_RATE_LIMIT") -> tuple[int, float] | None:
    if text.strip() == "0":
        return None
    count, _, seconds = text.partition("/")
    if not count.strip().isdigit() or not seconds.strip().replace(".", "", 1).isdigit() or float(seconds) <= 0:
        raise ValueError(f"{name} must be N/SECONDS (e.g. 600/60) or 0, got {text!r}")
    return int(count), float(seconds)


def _positive(text: str, name: str, highest: int) -> int:
    if not text.isdigit() or not 1 <= int(text) <= highest:
        raise ValueError(f"{name} must be a whole number from 1 to {highest}, got {text!r}")
    return int(text)


def _public_url(text: str) -> str:
    try:
        return check_public_url(text)
    except ValueError as exc:
        raise ValueError(f"VERIFIER_PUBLIC_URL: {exc}") from None


def _seconds(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 86_400:
        raise ValueError(f"{name} must be a number of seconds above 0 (and under a day), got {text!r}")
    return value


def _count(text: str, name: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number, got {text!r}")
    return int(text)


def check_admin_token(token: str, name: str = "VERIFIER_ADMIN_TOKEN") -> None:
    """Refuse a short or placeholder secret token (ValueError)."""
    lowered = token.lower()
    if len(token) < MIN_ADMIN_TOKEN or len(set(token)) < 12 or any(p in lowered for p in _PLACEHOLDERS):
        raise ValueError(
            f"{name} must be a random secret of at least {MIN_ADMIN_TOKEN} characters "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
