"""What issuance needs from the system: one package list for the host and the image, and a service that
says when something is missing instead of answering every issuance with a 500."""

from __future__ import annotations

from tests.helpers import DEMO, Service
from tests.helpers.needs import ABSENT
from verifier.needs import Readiness

KETTLE = DEMO["zhejiang-made-kettle"]


def test_healthz_and_issuance_say_what_is_missing(pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    assert pdf_service.client.get("/healthz").json() == {"status": "ok"}
    services = pdf_service.client.app.state.services  # type: ignore[attr-defined]
    services.readiness = Readiness((ABSENT,))
    health = pdf_service.client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["error"] == "cannot_issue"
    assert "libzbar0" in health.json()["message"]
    for path, body in (
        ("/api/v1/certificates", KETTLE),
        ("/api/v1/certificates/batch", {"certificates": [KETTLE]}),
        ("/api/v1/jobs", {"certificates": [KETTLE]}),
    ):
        answer = pdf_service.client.post(path, json=body, headers=issuer)
        assert answer.status_code == 503, (path, answer.text)
        assert answer.json()["error"] == "cannot_issue"
        assert "Install the Debian packages libzbar0" in answer.json()["message"]
    # scans still work: only issuance needs the libraries
    assert pdf_service.client.post("/api/v1/verify", json={"qr": "x"}).status_code == 200
