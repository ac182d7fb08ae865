"""Structured logs: one JSON object per line on stderr, each with the request it belongs to, never a secret.

On a terminal (a person running ``verifier demo`` or ``serve`` by hand) the same records are written as
readable lines instead: time, level, message, then the fields as ``name=value``. ``VERIFIER_LOG_FORMAT``
(``json``, ``text``, or ``auto``: text on a terminal, JSON otherwise) chooses.

Every line carries ``ts``, ``level``, ``logger`` and ``msg``, the ``request_id`` of the request being
served (set by :class:`verifier.api.observe.Observe`), and the fields a caller passes as
``extra={"fields": {...}}``. Before a line is written, anything shaped like a secret is replaced by
``[redacted]``: API tokens (``vrf_...``), bearer credentials, PEM private keys, and the literal secrets
handed to :func:`configure` (the admin token and key passphrase from the environment). Nothing in the
service logs a secret on purpose; this is the net under that rule.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
REDACTED = "[redacted]"
_SHAPES = re.compile(
    r"vrf_[A-Za-z0-9_\-]+"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=\-]{16,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
    re.DOTALL,
)
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime", "color_message"  # uvicorn's copy of msg with terminal colours
}  # fmt: skip


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON, secrets redacted."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        """The record's JSON line."""
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            entry["request_id"] = request_id
        fields = record.__dict__.get("fields")
        if isinstance(fields, dict):
            entry.update(fields)
        for name, value in record.__dict__.items():  # uvicorn and libraries pass their own extras
            if name not in _STANDARD and name != "fields" and not name.startswith("_"):
                entry.setdefault(name, value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return self.redact(orjson.dumps(entry, default=str).decode())

    def redact(self, text: str) -> str:
        """``text`` with every secret-shaped part, and every configured secret, replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return redact(text)


class TextFormatter(JsonFormatter):
    """A log record as one readable line (for a terminal), secrets redacted as in the JSON lines."""

    def format(self, record: logging.LogRecord) -> str:
        """``HH:MM:SS level  message  name=value ...``, and the traceback under it."""
        entry = orjson.loads(super().format(record))
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        for name in ("ts", "level", "logger", "msg", "exc", "color_message"):
            entry.pop(name, None)
        fields = " ".join(f"{name}={value}" for name, value in entry.items())
        line = f"{when} {record.levelname.lower():<7} {self.redact(record.getMessage())}"
        if fields:
            line += f"  {fields}"
        if record.exc_info:
            line += "\n" + self.redact(self.formatException(record.exc_info))
        return line


LOG_FORMATS = ("auto", "json", "text")


def redact(text: str) -> str:
    """``text`` with every secret-shaped part (tokens, bearer credentials, private keys) replaced."""
    lowered = text.lower()
    if "vrf_" in lowered or "bearer" in lowered or "private key" in lowered:  # the regular expression is slower
        text = _SHAPES.sub(REDACTED, text)
    return text


def configure(level: str = "info", secrets: Iterable[str] = (), form: str = "json") -> dict[str, Any]:
    """Send the root, ``verifier`` and ``uvicorn`` loggers to stderr at ``level``, as JSON or as text.

    ``form`` is ``json``, ``text``, or ``auto`` (text when stderr is a terminal).

    Returns the same set-up as a :func:`logging.config.dictConfig` mapping, which ``uvicorn.run`` takes
    as ``log_config`` (so that it does not install its own plain-text handlers over these).
    """
    name = level.upper()
    if name not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"VERIFIER_LOG_LEVEL must be debug, info, warning or error, got {level!r}")
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": TextFormatter if _as_text(form) else JsonFormatter, "secrets": list(secrets)}},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": name},
        "loggers": {
            "uvicorn": {"handlers": [], "level": name, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": name, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},  # ours has the request id
            "weasyprint": {"handlers": [], "level": "WARNING", "propagate": True},  # a line per rendering step
            "fontTools": {"handlers": [], "level": "WARNING", "propagate": True},
            "alembic": {"handlers": [], "level": "WARNING", "propagate": True},  # a line per migration step
        },
    }
    import logging.config

    logging.config.dictConfig(config)
    # No line shows the source file, thread or process: skip finding them for every record (a third of
    # a record's cost; the access line is written for every request).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    return config


def _as_text(form: str) -> bool:
    if form not in LOG_FORMATS:
        raise ValueError(f"VERIFIER_LOG_FORMAT must be auto, json or text, got {form!r}")
    if form == "auto":
        return sys.stderr.isatty()
    return form == "text"
