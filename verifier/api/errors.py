"""Errors as the HTTP API answers them: one table from a refusal's kind to its status, one JSON shape.

Below the API an error says what kind of refusal it is (:class:`verifier.errors.Kind`) and its stable
code; here, and only here, that becomes HTTP. Every answer that is not a success has the same body:
``{"error": code, "message": words, "fields": [{"field", "message"}]}``.
"""

from __future__ import annotations

import logging

from fastapi.responses import JSONResponse

from verifier.errors import Kind, VerifierError

log = logging.getLogger("verifier")

STATUS = {
    Kind.INVALID: 422,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.FORBIDDEN: 403,
    Kind.TOO_LARGE: 413,
    Kind.UNSUPPORTED: 415,
    Kind.RATE_LIMITED: 429,
    Kind.UNAVAILABLE: 503,
}


def error_body(status: int, code: str, message: str, fields: list[dict[str, str]] | None = None) -> JSONResponse:
    """The one shape of every refusal."""
    return JSONResponse({"error": code, "message": message, "fields": fields or []}, status_code=status)


def refusal(exc: VerifierError) -> JSONResponse:
    """A library error as the API answers it: its kind's status, its code, its public words and fields."""
    if exc.kind is Kind.UNAVAILABLE:
        log.error("%s: %s", exc.code, exc)  # the operator must look (the caller is told only to retry)
    fields = [{"field": f.field, "message": f.message} for f in exc.fields]
    response = error_body(STATUS[exc.kind], exc.code, exc.public_message, fields)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response
