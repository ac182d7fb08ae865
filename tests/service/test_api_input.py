"""Bad input over HTTP: each gets a 4xx naming its field (or a malformed verdict), and nothing is written."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from tests.helpers import DELETE, DEMO, Service
from tests.helpers import changed as change
from verifier.api.errors import STATUS
from verifier.certificate.days import SCHEME_TZ
from verifier.errors import Kind, VerifierError
from verifier.store.database import normalize_url
from verifier.store.tables import audit_log, certificates

KETTLE = DEMO["zhejiang-made-kettle"]


def counts(service: Service) -> tuple[int, int]:
    engine = create_engine(normalize_url(service.settings.database))
    try:
        with engine.connect() as conn:
            written = conn.execute(select(func.count()).select_from(certificates)).scalar_one()
            audited = conn.execute(
                select(func.count()).select_from(audit_log).where(audit_log.c.action == "certificate.issue")
            ).scalar_one()
            return written, audited
    finally:
        engine.dispose()


def changed(path: str, value: Any) -> dict[str, Any]:
    return change(KETTLE, path, DELETE if value is None else value)


# name -> (body as JSON text, the field the answer must name, expected status)
BAD_BODIES: dict[str, tuple[str, str, int]] = {
    "valid_until before valid_from": (json.dumps(changed("valid_until", "2024-01-01")), "valid_until", 422),
    "a date that does not exist": (json.dumps(changed("valid_from", "2024-02-30")), "valid_from", 422),
    "bad credit code": (json.dumps(changed("holder.credit_code", "91330100MA27XK3L0B")), "holder.credit_code", 422),
    "bad HS code": (json.dumps(changed("products.0.hs_code", "85.16")), "products.0.hs_code", 422),
    "bad country code": (json.dumps(changed("markets.0", "ZZ")), "markets.0", 422),
    "unknown scheme": (json.dumps(changed("scheme", "gold-star")), "scheme", 422),
    "wrong type": (json.dumps(changed("products", "kettle")), "products", 422),
    "missing holder": (json.dumps(changed("holder", None)), "holder", 422),
    "unknown field": (json.dumps(changed("extra", 1)), "extra", 422),
    "not an object": ("[1, 2, 3]", "body", 422),
    "malformed JSON": ('{"scheme": "zhejiang-made",', "body", 422),
    "deeply nested": ("[" * 50_000 + "]" * 50_000, "body", 400),
    "not JSON at all": ("\x00\x01\x02", "body", 422),
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES), ids=str)
def test_bad_certificate_bodies(name: str, service: Service) -> None:
    body, field, status = BAD_BODIES[name]
    issuer = service.issuer()
    before = counts(service)
    answer = service.client.post(
        "/api/v1/certificates", content=body.encode(), headers=issuer | {"Content-Type": "application/json"}
    )
    assert answer.status_code == status, answer.text
    error = answer.json()
    assert error["error"] in ("invalid_request", "bad_request")
    if status == 422:
        assert field in {f["field"] for f in error["fields"]}, error
    assert counts(service) == before


def test_batch_is_all_or_nothing_on_bad_input(service: Service) -> None:
    issuer = service.issuer()
    batch = [dict(KETTLE, number=f"ZJM-B-{i:04d}") for i in range(20)]
    batch[13] = changed("holder.credit_code", "91330100MA27XK3L0B") | {"number": "ZJM-B-0013"}
    answer = service.client.post("/api/v1/certificates/batch", json={"certificates": batch}, headers=issuer)
    assert answer.status_code == 422
    assert "certificates.13.holder.credit_code" in {f["field"] for f in answer.json()["fields"]}
    assert counts(service) == (0, 0)


def test_batch_is_all_or_nothing_on_a_duplicate_number(service: Service) -> None:
    issuer = service.issuer()
    assert service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).status_code == 201
    batch = [dict(KETTLE, number=f"ZJM-C-{i:04d}") for i in range(5)] + [KETTLE]
    answer = service.client.post("/api/v1/certificates/batch", json={"certificates": batch}, headers=issuer)
    assert answer.status_code == 409
    assert KETTLE["number"] in answer.json()["message"]
    assert counts(service) == (1, 1)
    repeated = [dict(KETTLE, number="ZJM-D-1"), dict(KETTLE, number="ZJM-D-1")]
    answer = service.client.post("/api/v1/certificates/batch", json={"certificates": repeated}, headers=issuer)
    assert answer.status_code == 409
    assert counts(service) == (1, 1)


def test_batch_over_the_limit(service: Service) -> None:
    issuer = service.issuer()
    batch = [dict(KETTLE, number=f"N-{i}") for i in range(1001)]
    answer = service.client.post("/api/v1/certificates/batch", json={"certificates": batch}, headers=issuer)
    assert answer.status_code == 422
    assert answer.json()["fields"][0]["field"] == "certificates"


def test_huge_body_is_413(service: Service) -> None:
    issuer = service.issuer()
    body = b'{"scheme": "' + b"x" * (service.settings.max_body_bytes + 1) + b'"}'
    answer = service.client.post(
        "/api/v1/certificates", content=body, headers=issuer | {"Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    answer = service.client.post("/api/v1/verify", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert counts(service) == (0, 0)


@pytest.mark.parametrize(
    "qr", ["", " ", "hello", "HTTPS://EVIL.EXAMPLE/C/1AAAA", "\u0000\u202e", "https://" + "A" * 20000, "🙂" * 100]
)
def test_verify_answers_any_text_with_200(qr: str, service: Service) -> None:
    answer = service.client.post("/api/v1/verify", json={"qr": qr})
    assert answer.status_code == 200
    assert answer.json()["verdict"] == "malformed"


@pytest.mark.parametrize(
    "body",
    ['{"qr": 5}', '{"text": "x"}', "[]", '{"qr": "x", "more": 1}', "nope", '{"qr": null}',
     '{"qr": null, "credential": null}', '{"credential": null}', '{"qr": [1]}'],
)  # fmt: skip
def test_verify_wrong_shape_is_422(body: str, service: Service) -> None:
    answer = service.client.post("/api/v1/verify", content=body.encode(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    error = answer.json()
    assert error["error"] == "invalid_request"
    assert "none" not in [f["field"].rsplit(".", 1)[-1] for f in error["fields"]]  # one message per field


@pytest.mark.parametrize("bug", [RuntimeError, ValueError, KeyError])
def test_an_unexpected_error_answers_the_json_shape(
    bug: type[Exception], service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug is a 500 in the documented shape with a request id to quote and a log line, never plain text;
    a ValueError too (it is not taken for the client's fault)."""
    app = service.client.app

    async def broken() -> None:
        raise bug("a bug")

    app.router.add_api_route("/api/v1/broken-for-test", broken)  # type: ignore[attr-defined]
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/broken-for-test")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"] == "internal_error"
    assert "a bug" not in answer.text  # the exception's words stay in the log
    assert answer.headers.get("x-request-id")
    assert any("unexpected error in GET /api/v1/broken-for-test" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("kind", list(Kind))
def test_each_kind_of_refusal_has_its_status_and_the_shape(
    kind: Kind, service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    """Below the API an error has a kind and a code; the API's one table gives the status."""
    app = service.client.app

    async def refused() -> None:
        raise VerifierError("what the caller is told", kind=kind, code="a_code", retry_after=7)

    app.router.add_api_route(f"/api/v1/refused-{kind.value}", refused)  # type: ignore[attr-defined]
    answer = service.client.get(f"/api/v1/refused-{kind.value}")
    assert answer.status_code == STATUS[kind]
    assert answer.json() == {"error": "a_code", "message": "what the caller is told", "fields": []}
    assert answer.headers["retry-after"] == "7"
    assert len(set(STATUS.values())) == len(Kind)  # one status a kind, none shared
    logged = any("a_code" in r.getMessage() for r in caplog.records)
    assert logged == (kind is Kind.UNAVAILABLE)  # what the operator must look at is logged


@pytest.mark.parametrize("code", ["1", "2ABC", "1!!!!", "1" + "A" * 5000, "%00", "1abcDEF"])
def test_page_answers_any_code(code: str, service: Service) -> None:
    answer = service.client.get(f"/c/{code}", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.json()["verdict"] == "malformed"


def test_list_filters_are_checked(service: Service) -> None:
    issuer = service.issuer()
    cases = [
        ("status=lost", "status"),
        ("limit=0", "limit"),
        ("limit=9999", "limit"),
        ("valid_on=2024-13-01", "valid_on"),
        ("cursor=zzz", "cursor"),
        ("credit_code=x", "credit_code"),
    ]
    for query, field in cases:
        answer = service.client.get(f"/api/v1/certificates?{query}", headers=issuer)
        assert answer.status_code == 422, query
        assert field in answer.text


def test_a_certificate_whose_validity_ended_is_refused(service: Service) -> None:
    """Issued in force or to come into force: never with a date of issue after the validity ended."""
    issuer = service.issuer()
    today = service.clock().astimezone(SCHEME_TZ).date()
    ended = dict(KETTLE, valid_from="2020-01-01", valid_until=(today - timedelta(days=1)).isoformat())
    answer = service.client.post("/api/v1/certificates", json=ended, headers=issuer)
    assert answer.status_code == 422, answer.text
    (field,) = answer.json()["fields"]
    assert field["field"] == "valid_until" and "ended on" in field["message"] and "before today" in field["message"]
    for path in ("/api/v1/certificates/batch", "/api/v1/jobs"):
        batch = {"certificates": [dict(KETTLE, number="ZJM-OK-1"), dict(ended, number="ZJM-ENDED-1")]}
        answer = service.client.post(path, json=batch, headers=issuer)
        assert answer.status_code == 422, answer.text
        assert [f["field"] for f in answer.json()["fields"]] == ["certificates.1.valid_until"]
    assert counts(service) == (0, 0)
    # ending today is still in force today
    last_day = dict(KETTLE, valid_from="2020-01-01", valid_until=today.isoformat())
    assert service.client.post("/api/v1/certificates", json=last_day, headers=issuer).status_code == 201


def test_a_taken_number_says_how_to_get_a_fresh_one(service: Service) -> None:
    issuer = service.issuer()
    assert service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).status_code == 201
    again = service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer)
    assert again.status_code == 409
    assert 'leave out "number"' in again.json()["message"]


def test_the_api_documentation_examples_issue_as_they_stand(service: Service) -> None:
    """Each request example of /docs, sent twice as it is, issues (a fresh number each time)."""
    issuer = service.issuer()
    spec = service.client.get("/openapi.json").json()
    for path in ("/api/v1/certificates", "/api/v1/certificates/batch"):
        examples = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"]
        assert examples
        for name, example in examples.items():
            for _ in range(2):
                answer = service.client.post(path, json=example["value"], headers=issuer)
                assert answer.status_code == 201, (path, name, answer.text)
