"""The store's own promises, on SQLite and PostgreSQL: what only the database's transactions can keep.

Runners taking jobs at the same moment, issuances drawing status indexes at the same moment, a lease
that ran out, a write and its audit rows: each is asked of the registry directly, from threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from verifier.store.audit import audited
from verifier.store.database import make_engine
from verifier.store.jobs import JobLost
from verifier.store.records import CLI_ACTOR, Principal, Role
from verifier.store.registry import Registry
from verifier.store.tables import audit_log, jobs
from verifier.trust.keys import KeyStore
from verifier.verdict import IssuerInfo

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture
def registry(tmp_path: Path, database_url: str) -> Iterator[Registry]:
    made = Registry(make_engine(database_url), KeyStore(tmp_path / "keys"))
    yield made
    made.close()


def _issuer(registry: Registry, issuer_id: str) -> Principal:
    _, token_id, _ = registry.create_issuer(CLI_ACTOR, IssuerInfo(issuer_id, issuer_id, issuer_id), AT)
    return Principal(token_id, Role.ISSUER, issuer_id)


def _at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(i)`` for each i from ``count`` threads released together; their results (or what they raised)."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - handed to the test to look at
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_runners_claiming_at_once_take_each_job_once(registry: Registry) -> None:
    actors = [_issuer(registry, f"body{n}") for n in range(3)]
    submitted = {registry.jobs.submit(actors[n % 3], [{"n": n}], AT).id for n in range(9)}

    def claim_all(runner: int) -> list[str]:
        taken = []
        while (job := registry.jobs.claim(f"runner-{runner}", AT, LEASE)) is not None:
            taken.append(job.id)
        return taken

    claimed = _at_once(4, claim_all)
    assert not [c for c in claimed if isinstance(c, Exception)], claimed
    every = [job for taken in claimed for job in taken]
    assert sorted(every) == sorted(submitted)  # each job taken, and by one runner only


def test_a_job_whose_lease_ran_out_is_taken_by_another_and_its_first_runner_told(registry: Registry) -> None:
    actor = _issuer(registry, "zjcert")
    job = registry.jobs.submit(actor, [{"n": 1}], AT)
    first = registry.jobs.claim("runner-a", AT, LEASE)
    assert first is not None and first.id == job.id and first.attempt == 1
    assert registry.jobs.claim("runner-b", AT + LEASE / 2, LEASE) is None  # still held
    later = AT + LEASE + timedelta(seconds=1)
    second = registry.jobs.claim("runner-b", later, LEASE)
    assert second is not None and second.id == job.id and second.attempt == 2
    with pytest.raises(JobLost):
        registry.jobs.progress(job.id, "runner-a", 1, later, LEASE)
    registry.jobs.progress(job.id, "runner-b", 1, later, LEASE)
    assert registry.jobs.get("zjcert", job.id).done == 1


def test_issuances_reserving_at_once_draw_distinct_indexes(registry: Registry) -> None:
    _issuer(registry, "zjcert")
    drawn = _at_once(6, lambda _: registry.statuslists.reserve("zjcert", 40))
    assert not [d for d in drawn if isinstance(d, Exception)], drawn
    every = [index for indexes in drawn for index in indexes]
    assert len(every) == 240 and len(set(every)) == 240
    registry.statuslists.release("zjcert", drawn[0])
    again = registry.statuslists.reserve("zjcert", 40)
    assert not set(again) & set(every[40:])  # what is held stays held; what was given back may be drawn again


def test_a_batch_that_fills_lists_goes_on_in_the_next_and_opens_each(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lists of 64 (filled to half): batches of 70 and 45 draw 115 distinct indexes, at most 32 a list, in
    lists 0 to 3 in turn, and every list they reach is published (its rows in ``status_lists``)."""
    from verifier.store import statuslists

    monkeypatch.setattr(statuslists, "LIST_SIZE", 64)
    monkeypatch.setattr(statuslists, "FILL", 32)
    _issuer(registry, "zjcert")
    first = registry.statuslists.reserve("zjcert", 70)
    second = registry.statuslists.reserve("zjcert", 45)
    every = first + second
    assert len(every) == 115 and len(set(every)) == 115
    per_list = [sum(1 for i in every if i // 64 == n) for n in range(4)]
    assert per_list == [32, 32, 32, 19]
    assert max(first) < 3 * 64 <= min(second[-19:])  # the second batch went on where the first stopped
    assert registry.statuslists.published() == [("zjcert", n) for n in range(4)]
    assert {(p, n) for _, p, n in registry.statuslists.versions()} == {
        (p, n) for p in ("revocation", "suspension") for n in range(4)
    }


def test_a_write_and_its_audit_rows_commit_together_or_not_at_all(registry: Registry) -> None:
    actor = _issuer(registry, "zjcert")
    job = registry.jobs.submit(actor, [{"n": 1}], AT)

    def count(table: Any) -> int:
        with registry.engine.connect() as conn:
            return len(conn.execute(table.select()).all())

    def cancel_then_fail() -> None:
        with audited(registry.engine, "cli", AT) as change:
            change.conn.execute(jobs.update().where(jobs.c.id == job.id).values(state="cancelled"))
            change.audit("job.cancel", job.id, {})
            raise RuntimeError("a failure after the write")

    rows, queued = count(audit_log), count(jobs)
    with pytest.raises(RuntimeError, match="after the write"):
        cancel_then_fail()
    assert (count(audit_log), count(jobs)) == (rows, queued)
    assert registry.jobs.get("zjcert", job.id).state == "queued"
