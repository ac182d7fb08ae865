"""Jobs with their PDFs, in process with the render workers: progress, all or none, cancelled, fair between issuers."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import create_engine, select

from tests.helpers import Service
from tests.helpers.jobs import batch, crowded, follow
from verifier.store.tables import status_entries


def test_an_issuer_with_jobs_queued_does_not_hold_up_another(pdf_service: Service) -> None:
    """Issuer A queues three jobs of 20; B then queues one certificate: B's job runs beside A's (jobs are taken
    fairly between issuers, and the render workers take turns), so it ends while A's first is still running."""
    client = pdf_service.client
    a, b = pdf_service.issuer("zjcert"), pdf_service.issuer("sgs")
    a_jobs = [client.post("/api/v1/jobs", json={"certificates": batch(20, f"A{n}")}, headers=a).json()
              for n in range(3)]  # fmt: skip
    deadline = time.monotonic() + 60
    while client.get(f"/api/v1/jobs/{a_jobs[0]['id']}", headers=a).json()["done"] == 0:
        assert time.monotonic() < deadline, "A's first job never started"
        time.sleep(0.1)
    b_job = client.post("/api/v1/jobs", json={"certificates": batch(1, "B")}, headers=b).json()
    ended, _ = follow(client.get, f"/api/v1/jobs/{b_job['id']}", b)
    assert ended["state"] == "succeeded", ended
    first = client.get(f"/api/v1/jobs/{a_jobs[0]['id']}", headers=a).json()
    assert first["state"] == "running" and first["done"] < 20, first
    for job in a_jobs:
        assert follow(client.get, f"/api/v1/jobs/{job['id']}", a)[0]["state"] == "succeeded"


def test_a_job_reports_progress_to_the_end(pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    sent = batch(24)  # progress is written twice a second: 24 PDFs take several writes anywhere
    queued = pdf_service.client.post("/api/v1/certificates/batch", json={"certificates": sent, "async": True},
                                     headers=issuer)  # fmt: skip
    assert queued.status_code == 202, queued.text
    assert queued.json()["state"] == "queued" and queued.json()["total"] == 24
    assert queued.headers["location"] == f"/api/v1/jobs/{queued.json()['id']}"
    job, seen = follow(pdf_service.client.get, queued.headers["location"], issuer)
    assert job["state"] == "succeeded", job
    assert seen == sorted(seen) and any(0 < done < 24 for done in seen), seen  # it moved, and only forward
    assert job["done"] == job["total"] == 24 and job["failures"] == []
    assert [c["number"] for c in job["certificates"]] == [c["number"] for c in sent]  # the batch's order
    listed = pdf_service.client.get("/api/v1/certificates", params={"limit": 200}, headers=issuer).json()
    assert len(listed["certificates"]) == 24
    for certificate in job["certificates"][::8]:
        pdf = pdf_service.client.get(f"/api/v1/certificates/{certificate['id']}/pdf", headers=issuer).content
        assert hashlib.sha256(pdf).hexdigest() == certificate["pdf_sha256"]
        verdict = pdf_service.client.post("/api/v1/verify", json={"qr": certificate["qr"]}).json()["verdict"]
        assert verdict == ("expired" if certificate["validity"] == "expired" else "valid")
    assert pdf_service.client.get("/api/v1/jobs", headers=issuer).json()["jobs"][0]["id"] == job["id"]


def test_one_certificate_that_cannot_be_rendered_refuses_the_whole_job(pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    sent = batch(12)
    sent[7] = dict(crowded(), number="J-CROWDED")
    queued = pdf_service.client.post("/api/v1/jobs", json={"certificates": sent}, headers=issuer)
    assert queued.status_code == 202, queued.text
    job, _ = follow(pdf_service.client.get, f"/api/v1/jobs/{queued.json()['id']}", issuer)
    assert job["state"] == "failed" and job["certificates"] is None
    (failure,) = job["failures"]
    assert (failure["index"], failure["number"], failure["error"]) == (7, "J-CROWDED", "render_failed")
    assert "does not fit on one page" in failure["message"]
    assert pdf_service.client.get("/api/v1/certificates", headers=issuer).json()["certificates"] == []
    # Nothing was written: the same numbers issue afterwards.
    again = pdf_service.client.post("/api/v1/jobs", json={"certificates": sent[:7]}, headers=issuer)
    assert follow(pdf_service.client.get, f"/api/v1/jobs/{again.json()['id']}", issuer)[0]["state"] == "succeeded"
    # And the failed job's reserved status indexes were given back: only the seven issued hold one.
    engine = create_engine(pdf_service.settings.database)
    try:
        with engine.connect() as conn:
            held = conn.execute(select(status_entries.c.certificate_seq)).scalars().all()
    finally:
        engine.dispose()
    assert len(held) == 7 and None not in held


def test_a_running_job_cancelled_writes_nothing(pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    queued = pdf_service.client.post("/api/v1/jobs", json={"certificates": batch(60)}, headers=issuer).json()
    url = f"/api/v1/jobs/{queued['id']}"
    deadline = time.monotonic() + 120
    while pdf_service.client.get(url, headers=issuer).json()["done"] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    cancelled = pdf_service.client.post(f"{url}/cancel", headers=issuer).json()
    assert cancelled["cancel_requested"] is True
    job, _ = follow(pdf_service.client.get, url, issuer)
    assert job["state"] == "cancelled" and job["done"] < 60
    assert pdf_service.client.get("/api/v1/certificates", headers=issuer).json()["certificates"] == []
    assert pdf_service.client.post(f"{url}/cancel", headers=issuer).status_code == 409
