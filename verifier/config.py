"""Settings, read from ``VERIFIER_*`` environment variables with working defaults.

Nothing reads the environment at import time: :func:`load_settings` is called by the command line (and
the service) and the result is passed down.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verifier.logs import LOG_FORMATS
from verifier.origins import check_public_url

log = logging.getLogger("verifier")
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
MIN_ADMIN_TOKEN = 32
LOG_LEVELS = ("debug", "info", "warning", "error")
_PLACEHOLDERS = ("changeme", "change-me", "change_me", "placeholder", "your-token", "example")


@dataclass(frozen=True)
class Setting:
    """One ``VERIFIER_*`` variable, written once: name, field, default, reader and what it does.

    The default is spelt as the environment would spell it and read by the same function as a value
    set; ``field`` is the :class:`Settings` field it fills.
    ``shown`` is the default as the docs show it, where the value alone would not say it (a generated
    token, a file under the data folder). The README's table of settings is generated from these
    (``make docs``; the suite holds the two equal).
    """

    name: str
    field: str | None  # None: read by the command line itself (VERIFIER_PORT)
    default: str
    read: Callable[[str, str], Any]
    doc: str
    shown: str = ""

    @property
    def variable(self) -> str:
        """The name in the environment."""
        return f"VERIFIER_{self.name}"

    def value(self, env: Mapping[str, str]) -> Any:
        """The value in ``env`` (its default when unset); ValueError names the variable."""
        return self.read(env.get(self.variable, self.default), self.variable)


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


def _public_url(text: str, _: str = "VERIFIER_PUBLIC_URL") -> str:
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


def _text(text: str, _: str) -> str:
    return text


def _optional(text: str, _: str) -> str | None:
    return text.strip() or None


def _path(text: str, _: str) -> Path:
    return Path(text)


def _optional_path(text: str, _: str) -> Path | None:
    return Path(text) if text else None


def _passphrase(text: str, _: str) -> bytes | None:
    return text.encode("utf-8") if text else None


def _flag(text: str, _: str) -> bool:
    return text not in ("0", "false", "no", "off")


def _token(text: str, name: str) -> str | None:
    if not text:
        return None
    check_admin_token(text, name)
    return text


def _choice(choices: tuple[str, ...]) -> Callable[[str, str], str]:
    def read(text: str, name: str) -> str:
        if text.lower() not in choices:
            raise ValueError(f"{name} must be one of {', '.join(choices)}, got {text!r}")
        return text.lower()

    return read


def _upload_workers(text: str, name: str) -> int:
    return _positive(text or str(max(1, min(4, os.cpu_count() or 1))), name, 64)


def _render_workers(text: str, name: str) -> int:
    return _positive(text or str(os.cpu_count() or 1), name, 256)


def _bounded(highest: int) -> Callable[[str, str], int]:
    return lambda text, name: _positive(text, name, highest)


def _node_modules(text: str, _: str) -> Path:
    """The scanner's npm packages: where set, else ``node_modules/`` beside the package (a checkout's)."""
    return Path(text) if text else Path(__file__).resolve().parents[1] / "node_modules"


def _optional_count(text: str, name: str) -> int | None:
    return _count(text, name) if text else None


def _networks(text: str, name: str) -> str:
    import ipaddress

    for part in text.split(","):
        if part.strip():
            try:
                ipaddress.ip_network(part.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{name} takes networks as CIDRs (10.0.0.0/8,fd00::/8), not {part.strip()!r}"
                ) from None
    return text


def _port(text: str, name: str) -> int:
    return _positive(text, name, 65535)


SETTINGS = (
    Setting("PUBLIC_URL", "public_url", DEFAULT_PUBLIC_URL, _public_url,
            "the origin the QR links point to (no path)"),
    Setting("DATABASE_URL", "database_url", "", _text,
            "or `postgresql://user@host:port/db` (psycopg 3)", "SQLite `data/verifier.db` (WAL)"),
    Setting("DATA_DIR", "data_dir", "data", _path, "the database file, generated tokens, the demo's files", "`./data`"),
    Setting("KEYS_DIR", "keys_dir", "keys", _path,
            "private keys are files `keys/<owner>/<kid>.pem`, mode 0600", "`./keys`"),
    Setting("KEY_PASSPHRASE", "key_passphrase", "", _passphrase, "encrypts private keys at rest", "none"),
    Setting("ADMIN_TOKEN", "admin_token", "", _token,
            f"the operator's token, at least {MIN_ADMIN_TOKEN} random characters",
            "generated once into `data/admin-token`"),
    Setting("SEAL_CACHE", "seal_cache_size", "10000", _count,
            "seals remembered as checked (0: verify Ed25519 on every scan)"),
    Setting("RENDER_PDFS", "render_pdfs", "1", _flag, "`0`: issue QR codes without PDFs"),
    Setting("RATE_LIMIT", "rate_limit", "600/60", _rate,
            "public checks (`/c/`, `/api/v1/verify*`, the trust list, `/metrics`) per client per window; "
            "`0`: none (429 + Retry-After past it)"),
    Setting("UPLOAD_RATE_LIMIT", "upload_rate_limit", "20/60", _rate,
            "uploaded files per client per window, besides the above"),
    Setting("BATCH_RATE_LIMIT", "batch_rate_limit", "6000/60", _rate,
            "items checked by `POST /api/v1/verify/batch` per client per window (a batch is charged its items)"),
    Setting("REPORT_RATE_LIMIT", "report_rate_limit", "60/3600", _rate,
            "signed verification reports per client per window"),
    Setting("REPORT_DAYS", "report_days", "1095", _bounded(3660),
            "days a verification report is kept (its page and PDF) after it was made: by default three years, how "
            "long after release Chinese customs may audit a declaration"),
    Setting("WATCH_RATE_LIMIT", "watch_rate_limit", "120/3600", _rate,
            "watches (webhook subscriptions) made per client per window"),
    Setting("WATCHES_PER_RECEIVER", "watches_per_receiver", "1000", _bounded(1_000_000),
            "watches in force that may deliver to one webhook host"),
    Setting("WEBHOOK_ALLOW", "webhook_allow", "", _networks,
            "networks (comma-separated CIDRs) webhooks may reach besides the public internet, e.g. "
            "`10.0.0.0/8` for receivers inside a customs network", "none"),
    Setting("WEBHOOK_CA_FILE", "webhook_ca_file", "", _optional,
            "a PEM bundle of the CAs webhook receivers' certificates are checked against", "the system's"),
    Setting("AUTH_FAILURE_LIMIT", "auth_failure_limit", "30/60", _rate,
            "refused tokens per client before its API requests are refused outright (429)"),
    Setting("UPLOAD_WORKERS", "upload_workers", "", _upload_workers, "processes reading uploads",
            "cores (at most 4)"),
    Setting("UPLOAD_QUEUE", "upload_queue", "8", _count,
            "uploaded files that may wait for a reader (then 503)"),
    Setting("FORWARDED_ALLOW_IPS", "forwarded_allow_ips", "", _optional,
            "proxies whose `X-Forwarded-For` is believed (comma-separated)", "none"),
    Setting("MAX_CONCURRENCY", "max_concurrency", "1000", _bounded(100_000),
            "connections at once before new requests get 503"),
    Setting("HEADER_TIMEOUT", "header_timeout", "10", _seconds,
            "seconds a client has to send a request's headers (then 408)"),
    Setting("TRUST_LIST_DAYS", "trust_list_days", "30", _bounded(366),
            "the published trust list's signed `expires_at`, in days after it is issued"),
    Setting("TEMPLATES_DIR", "templates_dir", "", _optional_path, "certificate templates",
            "`templates/` (in a wheel: `verifier/templates/`)"),
    Setting("RENDER_WORKERS", "render_workers", "", _render_workers,
            "processes rendering PDFs (fewer leave cores to other work on a shared machine)", "cores"),
    Setting("RENDER_IDLE", "render_idle_seconds", "120", _seconds,
            "seconds without a certificate to render before the PDF render processes (~185 MB each) stop"),
    Setting("JOB_LEASE", "job_lease_seconds", "30", _seconds,
            "seconds after which a job whose replica stopped renewing it (killed) is taken again by another, "
            "or by the restarted service"),
    Setting("METRICS_TOKEN", "metrics_token", "", _token,
            "the bearer token `/metrics` needs (an operator token works too)",
            "generated once into `data/metrics-token`"),
    Setting("LOG_LEVEL", "log_level", "info", _choice(LOG_LEVELS),
            "log lines on stderr, one per request at `info`; `warning` drops those"),
    Setting("LOG_FORMAT", "log_format", "auto", _choice(LOG_FORMATS),
            "`json` (a JSON object per line), `text` (readable lines), `auto`: text on a terminal, JSON otherwise"),
    Setting("NODE_MODULES", "node_modules", "", _node_modules,
            "the npm packages the scanner page loads (its QR decoder, an Ed25519 fallback)",
            "`node_modules/` beside the package"),
    Setting("LOG_CHECKPOINT", "log_checkpoint_seconds", "1", _seconds,
            "seconds between the transparency log's checkpoints while there are new entries"),
    Setting("WITNESS_QUORUM", "witness_quorum", "", _optional_count,
            "witnesses that must cosign a checkpoint before proofs use it", "half of those in service, rounded up"),
    Setting("PORT", None, "8000", _port,
            "the port `verifier serve` and `demo` listen on (`--port` wins); the image's command and health "
            "check follow it"),
)  # fmt: skip
_BY_FIELD = {s.field: s for s in SETTINGS if s.field}
PORT = next(s for s in SETTINGS if s.name == "PORT")


def _default(field_name: str) -> Any:
    """A :class:`Settings` field's default: its setting's default, read as a value set would be."""
    return _BY_FIELD[field_name].value({})


@dataclass(frozen=True)
class Settings:
    """Where the service keeps its data and keys, the database, and the public URL its QR codes point to.

    Each field's default is its :data:`SETTINGS` entry's; ``max_body_bytes`` is not set from outside.
    """

    public_url: str = field(default_factory=lambda: _default("public_url"))
    data_dir: Path = field(default_factory=lambda: _default("data_dir"))
    keys_dir: Path = field(default_factory=lambda: _default("keys_dir"))
    key_passphrase: bytes | None = field(default_factory=lambda: _default("key_passphrase"), repr=False)
    database_url: str = field(default_factory=lambda: _default("database_url"))
    admin_token: str | None = field(default_factory=lambda: _default("admin_token"), repr=False)
    max_body_bytes: int = 5 * 1024 * 1024
    seal_cache_size: int = field(default_factory=lambda: _default("seal_cache_size"))
    render_pdfs: bool = field(default_factory=lambda: _default("render_pdfs"))
    rate_limit: tuple[int, float] | None = field(default_factory=lambda: _default("rate_limit"))
    templates_dir: Path | None = field(default_factory=lambda: _default("templates_dir"))
    render_idle_seconds: float = field(default_factory=lambda: _default("render_idle_seconds"))
    render_workers: int = field(default_factory=lambda: _default("render_workers"))
    metrics_token: str | None = field(default_factory=lambda: _default("metrics_token"), repr=False)
    log_level: str = field(default_factory=lambda: _default("log_level"))
    log_format: str = field(default_factory=lambda: _default("log_format"))
    upload_rate_limit: tuple[int, float] | None = field(default_factory=lambda: _default("upload_rate_limit"))
    auth_failure_limit: tuple[int, float] | None = field(default_factory=lambda: _default("auth_failure_limit"))
    batch_rate_limit: tuple[int, float] | None = field(default_factory=lambda: _default("batch_rate_limit"))
    report_rate_limit: tuple[int, float] | None = field(default_factory=lambda: _default("report_rate_limit"))
    report_days: int = field(default_factory=lambda: _default("report_days"))
    watch_rate_limit: tuple[int, float] | None = field(default_factory=lambda: _default("watch_rate_limit"))
    watches_per_receiver: int = field(default_factory=lambda: _default("watches_per_receiver"))
    webhook_allow: str = field(default_factory=lambda: _default("webhook_allow"))
    webhook_ca_file: str | None = field(default_factory=lambda: _default("webhook_ca_file"))
    upload_workers: int = field(default_factory=lambda: _default("upload_workers"))
    upload_queue: int = field(default_factory=lambda: _default("upload_queue"))
    forwarded_allow_ips: str | None = field(default_factory=lambda: _default("forwarded_allow_ips"))
    max_concurrency: int = field(default_factory=lambda: _default("max_concurrency"))
    trust_list_days: int = field(default_factory=lambda: _default("trust_list_days"))
    header_timeout: float = field(default_factory=lambda: _default("header_timeout"))
    job_lease_seconds: float = field(default_factory=lambda: _default("job_lease_seconds"))
    node_modules: Path = field(default_factory=lambda: _default("node_modules"))
    log_checkpoint_seconds: float = field(default_factory=lambda: _default("log_checkpoint_seconds"))
    witness_quorum: int | None = field(default_factory=lambda: _default("witness_quorum"))

    @property
    def database(self) -> str:
        """The SQLAlchemy URL: the configured one, or an SQLite file in the data folder."""
        return self.database_url or f"sqlite:///{self.data_dir / 'verifier.db'}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``environ`` (the process environment by default); raises ValueError on a bad value.

    Each variable, its default and what it does: :data:`SETTINGS` (and the README's table made from it).
    """
    env = os.environ if environ is None else environ
    return Settings(**{s.field: s.value(env) for s in SETTINGS if s.field})


def settings_table() -> str:
    """The README's table of settings, in Markdown: one row a variable, from :data:`SETTINGS`."""
    rows = ["| variable | default | |", "| --- | --- | --- |"]
    for s in SETTINGS:
        rows.append(f"| `{s.variable}` | {s.shown or f'`{s.default}`'} | {s.doc} |")
    return "\n".join(rows) + "\n"


# Every VERIFIER_ variable the service reads, without its prefix.
KNOWN_VARIABLES = tuple(s.name for s in SETTINGS)
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
