"""What the operator sees: /metrics read by Prometheus's own parser, request ids, and JSON logs without secrets."""

from __future__ import annotations

import json
import logging
import secrets
import sys

from verifier.logs import REDACTED, JsonFormatter


def test_formatter_redacts_secret_shapes() -> None:
    formatter = JsonFormatter(secrets=["my-passphrase-1234"])
    pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPc\n-----END PRIVATE KEY-----"
    token = "vrf_" + secrets.token_urlsafe(32)
    try:
        raise RuntimeError(f"could not use {token}")
    except RuntimeError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "key %s; auth %s; phrase %s", None, sys.exc_info())
    record.args = (pem, "Bearer " + secrets.token_urlsafe(20), "my-passphrase-1234")
    line = formatter.format(record)
    entry = json.loads(line)
    assert entry["level"] == "error" and entry["logger"] == "t"
    for secret in (token, "MC4CAQAwBQYDK2VwBCIEIPc", "my-passphrase-1234", "PRIVATE KEY"):
        assert secret not in line
    assert entry["msg"].count(REDACTED) == 3 and REDACTED in entry["exc"]
    harmless = logging.LogRecord("t", logging.INFO, __file__, 1, "a bearer token is required", None, None)
    assert json.loads(formatter.format(harmless))["msg"] == "a bearer token is required"
