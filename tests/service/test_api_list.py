"""Listing certificates: filters and cursor pagination, only the caller's own."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers import CURRENT, DEMO, Service
from verifier.certificate.days import SCHEME_TZ
from verifier.issuing.policy import NUMBER_PREFIXES


def issue_all(service: Service, headers: dict[str, str], count: int) -> list[dict[str, Any]]:
    made = []
    names = sorted(DEMO)
    for i in range(count):
        data = dict(CURRENT[names[i % len(names)]])
        data.pop("number")
        answer = service.client.post("/api/v1/certificates", json=data, headers=headers)
        assert answer.status_code == 201, answer.text
        made.append(answer.json())
    return made


def test_numbers_are_generated_unique_per_issuer(service: Service) -> None:
    made = issue_all(service, service.issuer(), 12)
    numbers = [m["number"] for m in made]
    assert len(set(numbers)) == 12
    year = datetime.now(SCHEME_TZ).year
    for certificate in made:  # {scheme}-{ISSUER}-{year}-{8 characters}, as docs/integration.md says
        prefix = NUMBER_PREFIXES[certificate["certificate"]["scheme"]]
        assert re.fullmatch(rf"{prefix}-ZJCERT-{year}-[2-9A-HJ-NP-Z]{{8}}", certificate["number"]), certificate[
            "number"
        ]


def test_cursor_pagination_walks_everything_once(service: Service) -> None:
    issuer = service.issuer()
    made = issue_all(service, issuer, 23)
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=5" + (f"&cursor={cursor}" if cursor else "")
        page = service.client.get(f"/api/v1/certificates{query}", headers=issuer).json()
        seen += [c["id"] for c in page["certificates"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [m["id"] for m in made]


def test_filters(service: Service) -> None:
    issuer = service.issuer()
    other = service.issuer("other")
    made = issue_all(service, issuer, 8)
    issue_all(service, other, 3)
    target = made[0]
    service.client.post(
        f"/api/v1/certificates/{target['id']}/suspend", json={"reason": "investigation"}, headers=issuer
    )
    service.client.post(f"/api/v1/certificates/{made[1]['id']}/revoke", json={"reason": "fraud"}, headers=issuer)

    def ids(query: str) -> set[str]:
        answer = service.client.get(f"/api/v1/certificates?{query}", headers=issuer)
        assert answer.status_code == 200, answer.text
        return {c["id"] for c in answer.json()["certificates"]}

    assert len(ids("")) == 8
    assert ids("status=suspended") == {target["id"]}
    assert ids("status=revoked") == {made[1]["id"]}
    assert len(ids("status=active")) == 6
    by_scheme = ids("scheme=ccc-exemption")
    assert by_scheme == {m["id"] for m in made if m["certificate"]["scheme"] == "ccc-exemption"}
    code = target["certificate"]["holder"]["credit_code"]
    assert ids(f"credit_code={code}") == {m["id"] for m in made if m["certificate"]["holder"]["credit_code"] == code}
    on = ids("valid_on=2028-06-01")
    assert on == {m["id"] for m in made if m["certificate"]["valid_until"] >= "2028-06-01"}
    assert ids("valid_on=2020-01-01") == set()


def test_another_issuers_certificate_is_404(service: Service) -> None:
    issuer = service.issuer()
    other = service.issuer("other")
    (mine,) = issue_all(service, issuer, 1)
    assert service.client.get(f"/api/v1/certificates/{mine['id']}", headers=other).status_code == 404
    assert service.client.get("/api/v1/certificates/no-such-id", headers=issuer).status_code == 404
    for action, reason in (("suspend", "investigation"), ("revoke", "fraud"), ("reinstate", "cleared")):
        answer = service.client.post(
            f"/api/v1/certificates/{mine['id']}/{action}", json={"reason": reason}, headers=other
        )
        assert answer.status_code == 404
    assert service.client.get("/api/v1/certificates", headers=other).json()["certificates"] == []


def test_validity_is_computed_not_stored(service: Service) -> None:
    issuer = service.issuer()
    (made,) = issue_all(service, issuer, 1)
    service.clock.now = datetime(2035, 1, 1, tzinfo=UTC)
    assert service.client.get(f"/api/v1/certificates/{made['id']}", headers=issuer).json()["validity"] == "expired"


def test_a_certificate_is_found_by_its_number(service: Service) -> None:
    """An ERP finds the one certificate it means, and acts on it; a misspelt parameter is refused."""
    issuer = service.issuer()
    made = issue_all(service, issuer, 3)
    wanted = made[1]
    found = service.client.get("/api/v1/certificates", params={"number": wanted["number"]}, headers=issuer).json()
    assert [c["id"] for c in found["certificates"]] == [wanted["id"]]
    assert service.client.get("/api/v1/certificates", params={"number": "NO-SUCH-1"}, headers=issuer).json() == {
        "certificates": [], "next_cursor": None}  # fmt: skip
    other = service.issuer("other")
    assert service.client.get("/api/v1/certificates", params={"number": wanted["number"]}, headers=other).json()[
        "certificates"] == []  # fmt: skip
    for params in ({"numbr": wanted["number"]}, {"number": wanted["number"], "issuer": "x"}):
        answer = service.client.get("/api/v1/certificates", params=params, headers=issuer)
        assert answer.status_code == 422, params
        assert "is not a query parameter" in answer.json()["message"]
        assert "number" in answer.json()["message"]  # what it takes


@pytest.mark.parametrize(
    "path", ["/api/v1/trust-list", "/healthz", "/status/index.json", "/api/v1/jobs", "/.well-known/did.json"]
)
def test_an_unknown_query_parameter_is_refused_on_the_api(path: str, service: Service) -> None:
    answer = service.client.get(path, params={"unknown": "1"}, headers=service.issuer())
    assert answer.status_code == 422, answer.text
    assert answer.json()["fields"][0]["field"] == "unknown"


def test_pages_people_open_ignore_what_messaging_apps_append(service: Service) -> None:
    for path in ("/", "/scan", "/check?qr=x"):
        joiner = "&" if "?" in path else "?"
        assert service.client.get(f"{path}{joiner}from=singlemessage&isappinstalled=0").status_code == 200
