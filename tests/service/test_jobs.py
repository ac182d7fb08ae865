"""Batches issued as jobs: 202 at once, progress, all or none, per-issuer, across a SIGKILL and across replicas."""

from __future__ import annotations

from tests.helpers import Service
from tests.helpers.jobs import IN_FORCE, batch, follow


def test_jobs_are_checked_up_front_and_kept_per_issuer(service: Service) -> None:
    """On both databases: refusals before queueing; another issuer's job is not found; a too large seal
    is that item's failure."""
    zj, other = service.issuer("zjcert"), service.issuer("other")
    client = service.client
    assert client.post("/api/v1/jobs", json={"certificates": [{"scheme": "zhejiang-made"}]},
                       headers=zj).status_code == 422  # fmt: skip
    twice = client.post("/api/v1/jobs", json={"certificates": batch(2, "X") * 2}, headers=zj)
    assert twice.status_code == 409 and "X-00000" in twice.json()["message"]
    assert client.post("/api/v1/jobs", json={"certificates": batch(3)}, headers=service.admin).status_code == 403
    queued = client.post("/api/v1/jobs", json={"certificates": batch(5)}, headers=zj)
    url = f"/api/v1/jobs/{queued.json()['id']}"
    job, _ = follow(client.get, url, zj)
    assert job["state"] == "succeeded" and len(job["certificates"]) == 5
    assert client.get(url, headers=other).status_code == 404
    assert client.post(f"{url}/cancel", headers=other).status_code == 404
    assert client.get("/api/v1/jobs", headers=other).json()["jobs"] == []
    taken = client.post("/api/v1/jobs", json={"certificates": batch(1)}, headers=zj)
    assert taken.status_code == 409 and "J-00000" in taken.json()["message"]
    # The other issuer may use the same numbers: its own registry.
    mine = client.post("/api/v1/jobs", json={"certificates": batch(2)}, headers=other).json()
    assert follow(client.get, f"/api/v1/jobs/{mine['id']}", other)[0]["state"] == "succeeded"
    # A certificate whose seal would not fit a QR code fails as an item; nothing of the job is written.
    huge = dict(IN_FORCE[0], number="HUGE", products=[
        {**IN_FORCE[0]["products"][0], "name": "长" * 100, "name_en": "L" * 200,
         "models": [f"M-{i:03d}-{'X' * 30}" for i in range(20)]} for _ in range(4)
    ])  # fmt: skip
    failed = client.post("/api/v1/jobs", json={"certificates": [*batch(3, "Y"), huge]}, headers=zj).json()
    job, _ = follow(client.get, f"/api/v1/jobs/{failed['id']}", zj)
    assert job["state"] == "failed", job
    assert [(f["index"], f["number"], f["error"]) for f in job["failures"]] == [(3, "HUGE", "certificate_too_large")]
    numbers = {c["number"] for c in client.get("/api/v1/certificates", headers=zj).json()["certificates"]}
    assert not numbers & {"Y-00000", "Y-00001", "Y-00002"}


def test_an_issuer_has_at_most_ten_jobs_waiting(service: Service) -> None:
    """A stranger with a stolen token cannot fill the database with queued batches: the eleventh waits (429)."""
    service.client.app.state.services.jobs.stop()  # type: ignore[attr-defined]  # nothing runs: all stay queued
    zj, other = service.issuer("zjcert"), service.issuer("other")
    queued = [
        service.client.post("/api/v1/jobs", json={"certificates": batch(1, f"Q{i}")}, headers=zj) for i in range(10)
    ]
    assert [q.status_code for q in queued] == [202] * 10
    refused = service.client.post("/api/v1/jobs", json={"certificates": batch(1, "Q10")}, headers=zj)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "30"
    assert refused.json()["error"] == "too_many"
    assert service.client.post("/api/v1/jobs", json={"certificates": batch(1)}, headers=other).status_code == 202
    first = queued[0].json()["id"]
    assert service.client.post(f"/api/v1/jobs/{first}/cancel", headers=zj).json()["state"] == "cancelled"
    assert service.client.post("/api/v1/jobs", json={"certificates": batch(1, "Q10")}, headers=zj).status_code == 202
