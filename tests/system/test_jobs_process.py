"""Batches issued as jobs: 202 at once, progress, all or none, per-issuer, across a SIGKILL and across replicas."""

from __future__ import annotations

import csv
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from tests.helpers import count_certificates, make_settings
from tests.helpers.jobs import IN_FORCE, batch, crowded, follow
from tests.helpers.server import Server
from tests.helpers.service import register_issuer
from verifier.server.app import create_app
from verifier.store.records import Principal, Role
from verifier.store.tables import jobs


def test_a_job_left_by_a_killed_service_is_issued_once_after_restart(tmp_path: Path) -> None:
    """SIGKILL mid-job (server and render workers): nothing written; the restarted service takes the job
    again when its lease runs out and issues every certificate exactly once."""
    admin = secrets.token_urlsafe(32)
    env = {"VERIFIER_DATA_DIR": str(tmp_path / "data"), "VERIFIER_KEYS_DIR": str(tmp_path / "keys"),
           "VERIFIER_ADMIN_TOKEN": admin, "VERIFIER_JOB_LEASE": "3"}  # fmt: skip
    server = Server(tmp_path, env)
    server.start()
    try:
        issuer = register_issuer(httpx.post, admin, server.url)
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
    from tests.helpers.postgres import fresh_database

    url = fresh_database(postgres_server, f"j{secrets.token_hex(6)}")
    first = make_settings(tmp_path / "a", url)
    second = type(first)(**{**first.__dict__, "data_dir": tmp_path / "b" / "data"})
    with TestClient(create_app(first)) as a, TestClient(create_app(second)) as b:
        a.app.state.services.jobs.stop()  # replica A queues; only B's runner works
        issuer = register_issuer(a.post, str(first.admin_token))
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
        token = register_issuer(httpx.post, admin, server.url)["Authorization"].removeprefix("Bearer ")
        (tmp_path / "batch.json").write_text(json.dumps({"certificates": batch(12)}, ensure_ascii=False))
        run = _cli(tmp_path, server.url, token, "batch.json")
        assert run.returncode == 0, run.stderr
        lines = run.stdout.splitlines()
        assert [line.split("\t")[0] for line in lines] == [f"J-{i:05d}" for i in range(12)]
        assert all(line.split("\t")[2].startswith(f"{server.url}/c/") for line in lines)
        bar = run.stderr.replace("\r", "\n")
        assert "12/12" in bar and any(f"{n}/12" in bar for n in range(1, 12)), bar  # it moved on the way
        assert "issued 12 certificate(s)" in run.stderr

        exemption = next(data for data in IN_FORCE if data["scheme"] == "ccc-exemption")
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


def test_a_job_whose_token_is_withdrawn_before_it_runs_issues_nothing(tmp_path: Path) -> None:
    """A stolen token queues a job; the issuer withdraws the token before the job runs: nothing is issued."""
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'verifier.db'}")
    app = create_app(settings)
    services = app.state.services
    with TestClient(app) as client:
        services.jobs.stop()  # held back until the token is withdrawn
        admin = {"Authorization": f"Bearer {settings.admin_token}"}
        issuer = register_issuer(client.post, str(settings.admin_token))
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
