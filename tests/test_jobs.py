"""Batches issued as jobs: 202 at once, progress, all or none, per-issuer, across a SIGKILL and across replicas."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from tests.conftest import CURRENT, REFERENCE, Clock, Service, count_certificates, make_settings
from tests.server import Server
from verifier.api.app import create_app
from verifier.store.records import Principal, Role
from verifier.store.tables import jobs, status_entries

ENDED = ("succeeded", "failed", "cancelled")
TEMPLATES = [CURRENT[name] for name in sorted(CURRENT)]  # in force today: jobs issue at the real time


def batch(count: int, prefix: str = "J") -> list[dict[str, Any]]:
    """``count`` certificates: the reference ones in turn, each with a number of its own."""
    return [dict(TEMPLATES[i % len(TEMPLATES)], number=f"{prefix}-{i:05d}") for i in range(count)]


def crowded() -> dict[str, Any]:
    """A valid certificate whose ten products do not fit on one page: refused at rendering, not before."""
    kettle = REFERENCE["zhejiang-made-kettle"]
    product = kettle["products"][0]
    products = [{**product, "models": [f"HD-{i:04d}-{j:02d}" for j in range(2)]} for i in range(10)]
    return {**kettle, "products": products}


def follow(get: Any, url: str, headers: dict[str, str], timeout: float = 300) -> tuple[dict[str, Any], list[int]]:
    """Poll a job to its end: its last answer and every ``done`` seen on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        job = answer.json()
        seen.append(job["done"])
        if job["state"] in ENDED:
            return job, seen
        time.sleep(0.2)
    raise AssertionError(f"the job did not end in {timeout} s: {job}")


@pytest.fixture
def sqlite_pdfs(tmp_path: Path) -> Iterator[Service]:
    """The service on SQLite, rendering PDFs."""
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'verifier.db'}", render_pdfs=True)
    clock = Clock()
    with TestClient(create_app(settings, clock, rate_clock=lambda: 0.0)) as client:
        yield Service(client, {"Authorization": f"Bearer {settings.admin_token}"}, clock, settings)


def test_an_issuer_with_jobs_queued_does_not_hold_up_another(sqlite_pdfs: Service) -> None:
    """Issuer A queues three jobs of 40; B then queues one certificate: B's job runs beside A's (jobs are taken
    fairly between issuers, and the render workers take turns), so it ends while A's first is still running."""
    client = sqlite_pdfs.client
    a, b = sqlite_pdfs.issuer("zjcert"), sqlite_pdfs.issuer("sgs")
    a_jobs = [client.post("/api/v1/jobs", json={"certificates": batch(40, f"A{n}")}, headers=a).json()
              for n in range(3)]  # fmt: skip
    deadline = time.monotonic() + 60
    while client.get(f"/api/v1/jobs/{a_jobs[0]['id']}", headers=a).json()["done"] == 0:
        assert time.monotonic() < deadline, "A's first job never started"
        time.sleep(0.1)
    b_job = client.post("/api/v1/jobs", json={"certificates": batch(1, "B")}, headers=b).json()
    ended, _ = follow(client.get, f"/api/v1/jobs/{b_job['id']}", b)
    assert ended["state"] == "succeeded", ended
    first = client.get(f"/api/v1/jobs/{a_jobs[0]['id']}", headers=a).json()
    assert first["state"] == "running" and first["done"] < 40, first
    for job in a_jobs:
        assert follow(client.get, f"/api/v1/jobs/{job['id']}", a)[0]["state"] == "succeeded"


def test_a_job_of_200_certificates_reports_progress_to_the_end(sqlite_pdfs: Service) -> None:
    issuer = sqlite_pdfs.issuer()
    sent = batch(200)
    queued = sqlite_pdfs.client.post("/api/v1/certificates/batch", json={"certificates": sent, "async": True},
                                     headers=issuer)  # fmt: skip
    assert queued.status_code == 202, queued.text
    assert queued.json()["state"] == "queued" and queued.json()["total"] == 200
    assert queued.headers["location"] == f"/api/v1/jobs/{queued.json()['id']}"
    job, seen = follow(sqlite_pdfs.client.get, queued.headers["location"], issuer)
    assert job["state"] == "succeeded", job
    assert seen == sorted(seen) and any(0 < done < 200 for done in seen), seen  # it moved, and only forward
    assert job["done"] == job["total"] == 200 and job["failures"] == []
    assert [c["number"] for c in job["certificates"]] == [c["number"] for c in sent]  # the batch's order
    listed = sqlite_pdfs.client.get("/api/v1/certificates", params={"limit": 200}, headers=issuer).json()
    assert len(listed["certificates"]) == 200
    for certificate in job["certificates"][::50]:
        pdf = sqlite_pdfs.client.get(f"/api/v1/certificates/{certificate['id']}/pdf", headers=issuer).content
        assert hashlib.sha256(pdf).hexdigest() == certificate["pdf_sha256"]
        verdict = sqlite_pdfs.client.post("/api/v1/verify", json={"qr": certificate["qr"]}).json()["verdict"]
        assert verdict == ("expired" if certificate["validity"] == "expired" else "valid")
    assert sqlite_pdfs.client.get("/api/v1/jobs", headers=issuer).json()["jobs"][0]["id"] == job["id"]


def test_one_certificate_that_cannot_be_rendered_refuses_the_whole_job(sqlite_pdfs: Service) -> None:
    issuer = sqlite_pdfs.issuer()
    sent = batch(12)
    sent[7] = dict(crowded(), number="J-CROWDED")
    queued = sqlite_pdfs.client.post("/api/v1/jobs", json={"certificates": sent}, headers=issuer)
    assert queued.status_code == 202, queued.text
    job, _ = follow(sqlite_pdfs.client.get, f"/api/v1/jobs/{queued.json()['id']}", issuer)
    assert job["state"] == "failed" and job["certificates"] is None
    (failure,) = job["failures"]
    assert (failure["index"], failure["number"], failure["error"]) == (7, "J-CROWDED", "render_failed")
    assert "does not fit on one page" in failure["message"]
    assert sqlite_pdfs.client.get("/api/v1/certificates", headers=issuer).json()["certificates"] == []
    # Nothing was written: the same numbers issue afterwards.
    again = sqlite_pdfs.client.post("/api/v1/jobs", json={"certificates": sent[:7]}, headers=issuer)
    assert follow(sqlite_pdfs.client.get, f"/api/v1/jobs/{again.json()['id']}", issuer)[0]["state"] == "succeeded"
    # And the failed job's reserved status indexes were given back: only the seven issued hold one.
    engine = create_engine(sqlite_pdfs.settings.database)
    try:
        with engine.connect() as conn:
            held = conn.execute(select(status_entries.c.certificate_seq)).scalars().all()
    finally:
        engine.dispose()
    assert len(held) == 7 and None not in held


def test_a_running_job_cancelled_writes_nothing(sqlite_pdfs: Service) -> None:
    issuer = sqlite_pdfs.issuer()
    queued = sqlite_pdfs.client.post("/api/v1/jobs", json={"certificates": batch(60)}, headers=issuer).json()
    url = f"/api/v1/jobs/{queued['id']}"
    deadline = time.monotonic() + 120
    while sqlite_pdfs.client.get(url, headers=issuer).json()["done"] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    cancelled = sqlite_pdfs.client.post(f"{url}/cancel", headers=issuer).json()
    assert cancelled["cancel_requested"] is True
    job, _ = follow(sqlite_pdfs.client.get, url, issuer)
    assert job["state"] == "cancelled" and job["done"] < 60
    assert sqlite_pdfs.client.get("/api/v1/certificates", headers=issuer).json()["certificates"] == []
    assert sqlite_pdfs.client.post(f"{url}/cancel", headers=issuer).status_code == 409


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
    huge = dict(TEMPLATES[0], number="HUGE", products=[
        {**TEMPLATES[0]["products"][0], "name": "长" * 100, "name_en": "L" * 200,
         "models": [f"M-{i:03d}-{'X' * 30}" for i in range(20)]} for _ in range(4)
    ])  # fmt: skip
    failed = client.post("/api/v1/jobs", json={"certificates": [*batch(3, "Y"), huge]}, headers=zj).json()
    job, _ = follow(client.get, f"/api/v1/jobs/{failed['id']}", zj)
    assert job["state"] == "failed", job
    assert [(f["index"], f["number"], f["error"]) for f in job["failures"]] == [(3, "HUGE", "certificate_too_large")]
    numbers = {c["number"] for c in client.get("/api/v1/certificates", headers=zj).json()["certificates"]}
    assert not numbers & {"Y-00000", "Y-00001", "Y-00002"}


def test_a_job_left_by_a_killed_service_is_issued_once_after_restart(tmp_path: Path) -> None:
    """SIGKILL mid-job (server and render workers): nothing written; the restarted service takes the job
    again when its lease runs out and issues every certificate exactly once."""
    admin = secrets.token_urlsafe(32)
    env = {"VERIFIER_DATA_DIR": str(tmp_path / "data"), "VERIFIER_KEYS_DIR": str(tmp_path / "keys"),
           "VERIFIER_ADMIN_TOKEN": admin, "VERIFIER_JOB_LEASE": "3"}  # fmt: skip
    server = Server(tmp_path, env)
    server.start()
    try:
        made = httpx.post(f"{server.url}/api/v1/issuers", json={"id": "zjcert", "name": "浙江", "name_en": "ZJ"},
                          headers={"Authorization": f"Bearer {admin}"})  # fmt: skip
        issuer = {"Authorization": f"Bearer {made.json()['token']}"}
        queued = httpx.post(f"{server.url}/api/v1/jobs", json={"certificates": batch(24)}, headers=issuer).json()
        url = f"{server.url}/api/v1/jobs/{queued['id']}"
        deadline = time.monotonic() + 120
        while httpx.get(url, headers=issuer).json()["done"] < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _children(server.process.pid)  # type: ignore[union-attr]
        assert workers, "the render workers run as children of the service"
        server.kill()
        gone = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < gone:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in workers), "render workers outlived their service"
        database = f"sqlite:///{tmp_path / 'data' / 'verifier.db'}"
        assert count_certificates(database) == 0
        server = Server(tmp_path, env)
        server.start()
        job, _ = follow(httpx.get, url.replace(url.split("/api")[0], server.url), issuer, timeout=240)
        assert job["state"] == "succeeded", job
        assert len({c["number"] for c in job["certificates"]}) == 24
        assert count_certificates(database) == 24
        engine = create_engine(database)
        with engine.connect() as conn:
            assert conn.execute(select(jobs.c.attempts)).scalar_one() == 2
        engine.dispose()
    finally:
        server.stop()


def _children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def test_a_job_interrupted_too_often_fails_cleanly(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'verifier.db'}")
    app = create_app(settings)
    registry = app.state.services.registry
    with TestClient(app) as client:
        app.state.services.jobs.stop()  # no runner here: the test plays three that die
        client.post("/api/v1/issuers", json={"id": "zjcert", "name": "浙江", "name_en": "ZJ"},
                    headers={"Authorization": f"Bearer {settings.admin_token}"})  # fmt: skip
    actor = Principal("test", Role.ISSUER, "zjcert")
    now = datetime.now(UTC)
    job = registry.jobs.submit(actor, batch(2), now)
    lease = timedelta(seconds=1)
    for attempt in range(1, 4):  # three runners, each killed: their leases run out
        claimed = registry.jobs.claim(f"runner-{attempt}", now + attempt * timedelta(seconds=2), lease)
        assert claimed is not None and claimed.attempt == attempt
    assert registry.jobs.claim("runner-4", now + timedelta(seconds=10), lease) is None
    ended = registry.jobs.get("zjcert", job.id)
    assert ended.state == "failed" and "interrupted 3 times" in ended.failures[0]["message"]
    registry.close()


def test_a_job_queued_on_one_replica_is_run_and_seen_by_another(tmp_path: Path, postgres_server: str) -> None:
    from tests.postgres import fresh_database

    url = fresh_database(postgres_server, f"j{secrets.token_hex(6)}")
    first = make_settings(tmp_path / "a", url)
    second = type(first)(**{**first.__dict__, "data_dir": tmp_path / "b" / "data"})
    with TestClient(create_app(first)) as a, TestClient(create_app(second)) as b:
        a.app.state.services.jobs.stop()  # replica A queues; only B's runner works
        admin = {"Authorization": f"Bearer {first.admin_token}"}
        token = a.post("/api/v1/issuers", json={"id": "zjcert", "name": "浙江", "name_en": "ZJ"}, headers=admin)
        issuer = {"Authorization": f"Bearer {token.json()['token']}"}
        queued = a.post("/api/v1/jobs", json={"certificates": batch(10)}, headers=issuer).json()
        assert b.get(f"/api/v1/jobs/{queued['id']}", headers=issuer).json()["id"] == queued["id"]
        job, _ = follow(a.get, f"/api/v1/jobs/{queued['id']}", issuer, timeout=60)
        assert job["state"] == "succeeded" and len(job["certificates"]) == 10


def test_issue_batch_shows_progress_and_prints_each_certificate(tmp_path: Path) -> None:
    """The command line, against a running service: a JSON file and a CSV file; a refused job's items."""
    admin = secrets.token_urlsafe(32)
    env = {"VERIFIER_DATA_DIR": str(tmp_path / "data"), "VERIFIER_KEYS_DIR": str(tmp_path / "keys"),
           "VERIFIER_ADMIN_TOKEN": admin}  # fmt: skip
    server = Server(tmp_path, env)
    server.start()
    try:
        made = httpx.post(f"{server.url}/api/v1/issuers", json={"id": "zjcert", "name": "浙江", "name_en": "ZJ"},
                          headers={"Authorization": f"Bearer {admin}"})  # fmt: skip
        token = made.json()["token"]
        (tmp_path / "batch.json").write_text(json.dumps({"certificates": batch(12)}, ensure_ascii=False))
        run = _cli(tmp_path, server.url, token, "batch.json")
        assert run.returncode == 0, run.stderr
        lines = run.stdout.splitlines()
        assert [line.split("\t")[0] for line in lines] == [f"J-{i:05d}" for i in range(12)]
        assert all(line.split("\t")[2].startswith(f"{server.url}/c/") for line in lines)
        bar = run.stderr.replace("\r", "\n")
        assert "12/12" in bar and any(f"{n}/12" in bar for n in range(1, 12)), bar  # it moved on the way
        assert "issued 12 certificate(s)" in run.stderr

        exemption = next(data for data in TEMPLATES if data["scheme"] == "ccc-exemption")
        rows = _csv_rows(exemption, 3)
        with (tmp_path / "batch.csv").open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
        run = _cli(tmp_path, server.url, token, "batch.csv", "--json")
        assert run.returncode == 0, run.stderr
        issued = json.loads(run.stdout)["certificates"]
        assert [c["certificate"]["exemption"]["quantity"] for c in issued] == [exemption["exemption"]["quantity"]] * 3

        bad = batch(5, "K")
        bad[2] = dict(crowded(), number="K-CROWDED")
        (tmp_path / "bad.json").write_text(json.dumps(bad, ensure_ascii=False))
        run = _cli(tmp_path, server.url, token, "bad.json")
        assert run.returncode == 1
        assert "certificate 3 (K-CROWDED): render_failed: " in run.stderr and "nothing of it was issued" in run.stderr
        run = _cli(tmp_path, server.url, "not-a-token", "bad.json")
        assert run.returncode == 2 and "(401)" in run.stderr
    finally:
        server.stop()


def _cli(home: Path, url: str, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "verifier", "issue-batch", *args, "--url", url],
        cwd=home, env={**os.environ, "VERIFIER_TOKEN": token}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _csv_rows(certificate: dict[str, Any], count: int) -> list[list[str]]:
    """A CSV of ``count`` copies of ``certificate`` (numbers of their own), a column per leaf's dotted path."""
    leaves: list[tuple[str, Any]] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk(child, f"{path}.{index}")
        else:
            leaves.append((path, value))

    walk(certificate, "")
    header = [path for path, _ in leaves]
    rows = [[str(value) if path != "number" else f"CSV-{i}" for path, value in leaves] for i in range(count)]
    return [header, *rows]


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


def test_a_job_whose_token_is_withdrawn_before_it_runs_issues_nothing(tmp_path: Path) -> None:
    """A stolen token queues a job; the issuer withdraws the token before the job runs: nothing is issued."""
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'verifier.db'}")
    app = create_app(settings)
    services = app.state.services
    with TestClient(app) as client:
        services.jobs.stop()  # held back until the token is withdrawn
        admin = {"Authorization": f"Bearer {settings.admin_token}"}
        token = client.post("/api/v1/issuers", json={"id": "zjcert", "name": "浙江", "name_en": "ZJ"},
                            headers=admin).json()["token"]  # fmt: skip
        issuer = {"Authorization": f"Bearer {token}"}
        queued = client.post("/api/v1/jobs", json={"certificates": batch(3)}, headers=issuer).json()
        (listed,) = client.get("/api/v1/issuers/zjcert/tokens", headers=admin).json()
        assert client.post(f"/api/v1/issuers/zjcert/tokens/{listed['id']}/withdraw", headers=admin).status_code == 204
        claimed = services.registry.jobs.claim("test-runner", datetime.now(UTC), timedelta(seconds=30))
        assert claimed is not None and claimed.id == queued["id"]
        services.jobs.owner = "test-runner"
        services.jobs.run(claimed)
        ended = services.registry.jobs.get("zjcert", queued["id"])
        assert ended.state == "failed" and ended.failures[0]["error"] == "token_withdrawn"
    assert count_certificates(settings.database) == 0
