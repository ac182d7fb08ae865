"""Schemathesis against the service's own /openapi.json, every check: no 500, no answer outside the schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.helpers import DEMO, make_settings
from tests.helpers.service import register_issuer
from verifier.server.app import create_app


@pytest.fixture(scope="module")
def app_and_tokens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, dict[str, str]]]:
    """The API on SQLite (what it answers does not depend on the database; tests/store/ holds the SQL)."""
    folder = tmp_path_factory.mktemp("schema")
    url = f"sqlite:///{folder / 'verifier.db'}"
    config = make_settings(Path(folder), url)
    app = create_app(config)
    with TestClient(app) as client:
        admin = {"Authorization": f"Bearer {config.admin_token}"}
        issuer = register_issuer(client.post, str(config.admin_token))
        for data in DEMO.values():
            client.post("/api/v1/certificates", json=data, headers=issuer)
        yield app, {"admin": admin["Authorization"], "issuer": issuer["Authorization"]}


# JSON Schema cannot say everything the model checks: a credit code's check character, valid_until
# after valid_from, ten years at most, distinct standards. A schema-valid certificate may still get a
# 422, which must then name only those fields.
SEMANTIC_FIELDS = ("holder.credit_code", "valid_until", "standards", "products")
ISSUING = {"/api/v1/certificates", "/api/v1/certificates/batch", "/api/v1/jobs", "/api/v1/verify/pdf"}
# Any bytes fit "a binary file"; the answer says which kind of file it was not.
UPLOADS = {
    ("POST", "/api/v1/verify/pdf"): {"not_pdf", "damaged", "encrypted", "too_large", "too_complex"},
    ("PUT", "/api/v1/issuers/{issuer_id}/stamp"): {"unsupported_type", "unreadable_image", "unsafe_svg", "bad_size",
                                                   "too_large", "empty"},
    ("POST", "/log/cosignatures"): {"log_note_refused"},  # any text fits; the answer says why it is no note
    ("POST", "/api/v1/imports"): {"sheet_refused", "mapping_refused"},  # any bytes, any text: not a spreadsheet
}  # fmt: skip


# What a party's terms and a recognition must be beyond their schema: a country that is assigned, a remit with
# the role recognise and only then, a readable public key; a recognition that would verify (section 11).
RECOGNITION = set(
    "invalid_request outside_remit exceeds_base_validity bad_claims bad_cbor bad_cose unknown_key not_your_key "
    "not_this_certificate too_large key_not_valid_at_signing".split()
)
SEMANTIC = {
    ("POST", "/api/v1/issuers"): {"invalid_terms"},
    ("PATCH", "/api/v1/issuers/{issuer_id}/terms"): {"invalid_terms"},
    ("POST", "/api/v1/issuers/{issuer_id}/keys/rotate"): {"invalid_terms"},
    ("POST", "/api/v1/recognitions"): RECOGNITION,
    ("POST", "/api/v1/recognition-requests/{request_id}/accept"): RECOGNITION,
    ("POST", "/api/v1/certificates/{certificate_id}/recognition-requests"): {"invalid_request"},
    ("POST", "/api/v1/log/witnesses"): {"invalid_request"},  # a vkey that is not one, or not a witness's
    ("PUT", "/api/v1/import-mappings/{name}"): {"mapping_refused"},  # an object that is not a mapping
    # A reference printed on a report is printable (no line breaks); a batch's body is read strictly (a member
    # twice), which its schema cannot say.
    ("POST", "/api/v1/verify/batch"): {"invalid_request"},
    # A webhook must be reachable under the rules against forgery (https, a public address), the certificate
    # one the registry issued: no schema says either.
    ("POST", "/api/v1/watches"): {"invalid_request", "too_many_watches"},
}  # fmt: skip


def semantic_rejection_only(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """On the issuing endpoints a 422 for schema-valid data names only what JSON Schema cannot express."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    refusals = (UPLOADS | SEMANTIC).get((case.operation.method.upper(), case.operation.path))
    if refusals is not None:
        if response.status_code in (413, 415, 422):
            assert response.json()["error"] in refusals, response.json()
            return True
        return None
    if response.status_code != 422:
        return None
    fields = [f["field"] for f in response.json()["fields"]]
    unexplained = [f for f in fields if not any(part in f for part in SEMANTIC_FIELDS)]
    assert not unexplained, f"rejected fields JSON Schema allows: {unexplained}"
    return True


def test_api_conforms(app_and_tokens: tuple[object, dict[str, str]]) -> None:
    """Every operation, with data from the schema (valid and not), under every schemathesis check."""
    app, tokens = app_and_tokens
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:
        role = "admin" if operation.path.startswith(("/api/v1/issuers", "/api/v1/log")) else "issuer"
        _fuzz(operation, {"Authorization": tokens[role]})


def _fuzz(operation: Any, headers: dict[str, str]) -> None:
    method = operation.method.upper()
    issuing = (method == "POST" and operation.path in ISSUING) or (method, operation.path) in UPLOADS | SEMANTIC
    examples = 8 if operation.path.endswith("/batch") else 25  # a batch case carries up to 1,000 certificates
    extra: dict[str, Any] = {}
    if issuing:
        extra = {"excluded_checks": [positive_data_acceptance], "additional_checks": [semantic_rejection_only]}

    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, **extra)

    check()
