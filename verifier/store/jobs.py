"""Issuance jobs: a batch waits here until a runner in any replica takes it, holds it by a lease, and ends it.

A job is ``queued``, then ``running`` under one runner's lease (renewed as it makes progress), then
``succeeded`` (its certificates written in the very transaction that says so: :meth:`Jobs.complete`),
``failed`` (with the failure of each item at fault) or ``cancelled``. A runner that dies (SIGKILL, a lost
machine) stops renewing: once its lease has run out any runner takes the job again, from the start,
since nothing of it was written; after ``max_attempts`` it fails instead. Every query names the issuer
or the runner that holds the lease, so no issuer sees another's jobs and no stale runner ends a job.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, update

from verifier.store.audit import Change, audited
from verifier.store.records import Conflict, NotFound, Principal, Role, TooMany, issuer_of
from verifier.store.tables import jobs

ACTIVE = ("queued", "running")
MAX_ACTIVE = 10  # jobs an issuer may have queued or running at once (each holds up to 1,000 certificates)
MAX_ATTEMPTS = 3
RECENT = 50  # jobs an issuer's list shows


@dataclass(frozen=True)
class JobRecord:
    """A job as its issuer sees it."""

    id: str
    issuer_id: str
    state: str
    total: int
    done: int
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    failures: list[dict[str, Any]] | None = None
    certificate_ids: list[str] | None = None
    attempts: int = 0
    cancel_requested: bool = False


@dataclass(frozen=True)
class ClaimedJob:
    """A job a runner holds: what to issue, and for whom."""

    id: str
    actor: Principal
    request: list[dict[str, Any]]
    attempt: int


class JobLost(Exception):
    """The runner no longer holds the job (its lease ran out and another took it, or it was cancelled)."""


def _record(row: Any) -> JobRecord:
    return JobRecord(
        id=row.id,
        issuer_id=row.issuer_id,
        state=row.state,
        total=row.total,
        done=row.done,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        failures=row.failures,
        certificate_ids=row.certificate_ids,
        attempts=row.attempts,
        cancel_requested=row.cancel_requested,
    )


def _held(job_id: str, owner: str) -> Any:
    return and_(jobs.c.id == job_id, jobs.c.state == "running", jobs.c.lease_owner == owner)


class Jobs:
    """The jobs on one database."""

    def __init__(self, engine: Engine, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.engine = engine
        self.max_attempts = max_attempts

    def submit(self, actor: Principal, request: list[dict[str, Any]], at: datetime) -> JobRecord:
        """Queue a validated batch (the certificates as JSON) for ``actor``'s issuer.

        Raises :class:`TooMany` when the issuer has :data:`MAX_ACTIVE` jobs queued or running already.
        """
        issuer_id = issuer_of(actor)
        job_id = str(uuid.uuid4())
        row = {
            "id": job_id, "issuer_id": issuer_id, "actor": actor.token_id, "state": "queued",
            "total": len(request), "done": 0, "request": request, "attempts": 0, "cancel_requested": False,
            "created_at": at,
        }  # fmt: skip
        with audited(self.engine, actor.token_id, at) as change:
            waiting = change.conn.execute(
                select(func.count()).select_from(jobs).where(jobs.c.issuer_id == issuer_id, jobs.c.state.in_(ACTIVE))
            ).scalar_one()
            if waiting >= MAX_ACTIVE:
                raise TooMany(f"{waiting} of your jobs are queued or running; submit more when one has ended")
            change.conn.execute(insert(jobs).values(**row))
            change.audit("job.submit", f"job:{job_id}", {"certificates": len(request)})
        return self.get(issuer_id, job_id)

    def get(self, issuer_id: str, job_id: str) -> JobRecord:
        """One of the issuer's jobs; raises :class:`NotFound` for any other id."""
        with self.engine.connect() as conn:
            row = conn.execute(_columns().where(jobs.c.id == job_id, jobs.c.issuer_id == issuer_id)).first()
        if row is None:
            raise NotFound("no such job")
        return _record(row)

    def recent(self, issuer_id: str, limit: int = RECENT) -> list[JobRecord]:
        """The issuer's latest jobs, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                _columns().where(jobs.c.issuer_id == issuer_id).order_by(jobs.c.created_at.desc()).limit(limit)
            ).all()
        return [_record(row) for row in rows]

    def cancel(self, actor: Principal, job_id: str, at: datetime) -> JobRecord:
        """Cancel one of the issuer's jobs: a queued one at once, a running one at its runner's next step.

        Raises :class:`Conflict` for a job that has ended, :class:`NotFound` for another issuer's.
        """
        issuer_id = issuer_of(actor)
        with audited(self.engine, actor.token_id, at) as change:
            state = change.conn.execute(
                select(jobs.c.state).where(jobs.c.id == job_id, jobs.c.issuer_id == issuer_id)
            ).scalar()
            if state is None:
                raise NotFound("no such job")
            if state not in ACTIVE:
                raise Conflict(f"the job has ended ({state}); nothing to cancel")
            mine = and_(jobs.c.id == job_id, jobs.c.state == state)
            if state == "queued":
                done = {"state": "cancelled", "finished_at": at, "request": None}
                change.conn.execute(update(jobs).where(mine).values(**done))
            else:
                change.conn.execute(update(jobs).where(mine).values(cancel_requested=True))
            change.audit("job.cancel", f"job:{job_id}", {"was": state})
        return self.get(issuer_id, job_id)

    def claim(self, owner: str, at: datetime, lease: timedelta, busy: Collection[str] = ()) -> ClaimedJob | None:
        """Take a waiting job, or one whose runner's lease ran out; None when there is none.

        Fair between issuers: the job comes from the issuer with the fewest jobs running (in every
        replica), the oldest waiting one first, never from an issuer in ``busy`` (the caller runs one
        of theirs already). A job taken ``max_attempts`` times already fails instead ("interrupted"):
        nothing was written.
        """
        waiting = or_(jobs.c.state == "queued", and_(jobs.c.state == "running", jobs.c.lease_until < at))
        live = and_(jobs.c.state == "running", jobs.c.lease_until >= at)
        with self.engine.connect() as conn:
            running: dict[str, int] = dict(
                conn.execute(select(jobs.c.issuer_id, func.count()).where(live).group_by(jobs.c.issuer_id)).all()
            )
            oldest = conn.execute(
                select(jobs.c.issuer_id, func.min(jobs.c.created_at)).where(waiting).group_by(jobs.c.issuer_id)
            ).all()
            turn = sorted((running.get(issuer, 0), first, issuer) for issuer, first in oldest if issuer not in busy)
            candidates: list[Any] = []
            for _, _, issuer in turn[:4]:
                candidates += conn.execute(
                    select(jobs.c.id, jobs.c.state, jobs.c.attempts)
                    .where(waiting, jobs.c.issuer_id == issuer)
                    .order_by(jobs.c.created_at)
                    .limit(4)
                ).all()
        for job_id, state, attempts in candidates:
            was = and_(jobs.c.id == job_id, jobs.c.state == state, jobs.c.attempts == attempts)
            with self.engine.begin() as conn:
                if attempts >= self.max_attempts:
                    message = f"the job was interrupted {attempts} times; nothing was issued"
                    failures = [{"index": None, "number": None, "error": "interrupted", "message": message}]
                    conn.execute(update(jobs).where(was).values(
                        state="failed", failures=failures, finished_at=at, request=None, lease_owner=None
                    ))  # fmt: skip
                    continue
                held = {"state": "running", "lease_owner": owner, "lease_until": at + lease,
                        "attempts": attempts + 1, "started_at": at, "done": 0}  # fmt: skip
                taken = conn.execute(update(jobs).where(was).values(**held)).rowcount
                if not taken:
                    continue  # another runner took it first
                asked = select(jobs.c.actor, jobs.c.issuer_id, jobs.c.request).where(jobs.c.id == job_id)
                row = conn.execute(asked).one()
            actor = Principal(row.actor, Role.ISSUER, row.issuer_id)
            return ClaimedJob(job_id, actor, list(row.request), attempts + 1)
        return None

    def progress(self, job_id: str, owner: str, done: int, at: datetime, lease: timedelta) -> None:
        """Record how many are done and renew the lease; raises :class:`JobLost` when it is not held now."""
        with self.engine.begin() as conn:
            held = conn.execute(
                update(jobs)
                .where(_held(job_id, owner), jobs.c.cancel_requested.is_(False))
                .values(done=done, lease_until=at + lease)
            ).rowcount
        if not held:
            raise JobLost(job_id)

    def complete(self, change: Change, job_id: str, owner: str, certificate_ids: list[str]) -> None:
        """Mark the job succeeded within ``change``, the transaction that writes its certificates.

        Raises :class:`JobLost` (which rolls the certificates back) when the runner no longer holds it.
        """
        ended = {"state": "succeeded", "done": len(certificate_ids), "certificate_ids": certificate_ids,
                 "finished_at": change.at, "request": None, "lease_owner": None, "lease_until": None}  # fmt: skip
        held = change.conn.execute(
            update(jobs).where(_held(job_id, owner), jobs.c.cancel_requested.is_(False)).values(**ended)
        ).rowcount
        if not held:
            raise JobLost(job_id)
        change.audit("job.succeeded", f"job:{job_id}", {"certificates": len(certificate_ids)})

    def end(self, job_id: str, owner: str, state: str, at: datetime, failures: list[dict[str, Any]] | None) -> None:
        """End a held job as ``failed`` (with each item's failure) or ``cancelled``; nothing is issued."""
        with self.engine.begin() as conn:
            conn.execute(update(jobs).where(_held(job_id, owner)).values(
                state=state, failures=failures, finished_at=at, request=None, lease_owner=None, lease_until=None
            ))  # fmt: skip

    def release(self, job_id: str, owner: str) -> None:
        """Give a held job back to the queue (the service stops): taken again at once, the attempt not counted."""
        with self.engine.begin() as conn:
            conn.execute(
                update(jobs)
                .where(_held(job_id, owner))
                .values(state="queued", lease_owner=None, lease_until=None, attempts=jobs.c.attempts - 1)
            )

    def cancel_requested(self, job_id: str) -> bool:
        """Whether the job's issuer asked to cancel it."""
        with self.engine.connect() as conn:
            return bool(conn.execute(select(jobs.c.cancel_requested).where(jobs.c.id == job_id)).scalar())


def _columns() -> Any:
    return select(
        jobs.c.id, jobs.c.issuer_id, jobs.c.state, jobs.c.total, jobs.c.done, jobs.c.created_at, jobs.c.started_at,
        jobs.c.finished_at, jobs.c.failures, jobs.c.certificate_ids, jobs.c.attempts, jobs.c.cancel_requested,
    )  # fmt: skip
