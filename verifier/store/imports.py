"""Imports of existing certificates and the mappings an issuer saved.

Each import keeps its file with its mapping and its dry run, the jobs it queued, and what each imported
certificate was before.

An import is checked first (its dry run, kept with the file); started, its ready rows go to the job queue
in chunks, all in one transaction, each chunk a job issued all or none. Its state is its jobs' state.
Started again after a failure (or after more rows were fixed), it queues only what is not registered yet:
the issuer's numbers are unique, so no certificate is ever imported twice. A certificate registered by an
import carries its original status (suspended, withdrawn, revoked: a status event in the transaction that
registers it), its original date of issue and its row.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from verifier.store import log
from verifier.store.audit import Change, audited
from verifier.store.consoletables import certificate_imports, import_mappings, imports
from verifier.store.jobs import ACTIVE
from verifier.store.records import CertificateRecord, Conflict, NotFound, Principal, issuer_of
from verifier.store.statuslists import record_state
from verifier.store.tables import certificates, jobs, status_events
from verifier.verdict import StatusState

KEEP_CHECKED = 20  # dry runs an issuer keeps that were never started (their files), the newest
# What an original status becomes here: the action's state and its event's action name.
ORIGINAL = {"suspended": (StatusState.SUSPENDED, "suspend"), "withdrawn": (StatusState.REVOKED, "revoke"),
            "revoked": (StatusState.REVOKED, "revoke")}  # fmt: skip


@dataclass(frozen=True)
class ImportRecord:
    """An import as its issuer sees it; ``done`` and ``total`` are its jobs' certificates."""

    id: str
    issuer_id: str
    name: str
    sha256: str
    mapping: dict[str, Any]
    state: str  # checked, running, succeeded, failed
    summary: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    done: int = 0
    total: int = 0
    failures: tuple[dict[str, Any], ...] = ()


class Imports:
    """Imports and saved mappings on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self, actor: Principal, name: str, data: bytes, mapping: dict[str, Any], summary: dict[str, Any], at: datetime
    ) -> ImportRecord:
        """Keep a checked file with its mapping and dry run; the issuer's oldest unstarted ones beyond a few go."""
        issuer_id = issuer_of(actor)
        import_id = str(uuid.uuid4())
        with audited(self.engine, actor.token_id, at) as change:
            change.conn.execute(insert(imports).values(
                id=import_id, issuer_id=issuer_id, actor=actor.token_id, name=name[:200],
                sha256=hashlib.sha256(data).digest(), file=data, mapping=mapping, state="checked", summary=summary,
                created_at=at))  # fmt: skip
            kept = select(imports.c.id).where(imports.c.issuer_id == issuer_id, imports.c.state == "checked")
            old = [r.id for r in change.conn.execute(kept.order_by(imports.c.created_at.desc()).offset(KEEP_CHECKED))]
            if old:
                change.conn.execute(delete(imports).where(imports.c.id.in_(old)))
            change.audit("import.check", f"import:{import_id}", {"name": name[:200], **summary})
        return self.get(issuer_id, import_id)

    def get(self, issuer_id: str, import_id: str) -> ImportRecord:
        """One of the issuer's imports with its progress; raises :class:`NotFound` for any other id."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_COLUMNS).where(imports.c.id == import_id, imports.c.issuer_id == issuer_id)
            ).first()
            if row is None:
                raise NotFound("no such import")
            return _record(conn, row)

    def recent(self, issuer_id: str, limit: int = 20) -> list[ImportRecord]:
        """The issuer's latest imports, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(*_COLUMNS).where(imports.c.issuer_id == issuer_id)
                                .order_by(imports.c.created_at.desc()).limit(limit)).all()  # fmt: skip
            return [_record(conn, row) for row in rows]

    def file(self, issuer_id: str, import_id: str) -> bytes:
        """The file as uploaded (:class:`NotFound` for another issuer's, or a dry run let go)."""
        with self.engine.connect() as conn:
            data = conn.execute(
                select(imports.c.file).where(imports.c.id == import_id, imports.c.issuer_id == issuer_id)
            ).scalar()
        if data is None:
            raise NotFound("no such import")
        return bytes(data)

    def start(self, actor: Principal, import_id: str, chunks: Sequence[list[dict[str, Any]]], at: datetime) -> None:
        """Queue an import's rows, a job per chunk, in one transaction; :class:`Conflict` while one of its runs."""
        issuer_id = issuer_of(actor)
        with audited(self.engine, actor.token_id, at) as change:
            row = change.conn.execute(
                select(imports.c.job_ids).where(imports.c.id == import_id, imports.c.issuer_id == issuer_id)
            ).first()
            if row is None:
                raise NotFound("no such import")
            earlier = list(row.job_ids or [])
            if earlier and _active(change, earlier):
                raise Conflict("this import is running: wait until its jobs have ended")
            ids = [str(uuid.uuid4()) for _ in chunks]
            if ids:
                change.conn.execute(insert(jobs), [
                    {"id": job_id, "issuer_id": issuer_id, "actor": actor.token_id, "state": "queued",
                     "total": len(chunk), "done": 0, "request": chunk, "attempts": 0, "cancel_requested": False,
                     "created_at": at} for job_id, chunk in zip(ids, chunks, strict=True)])  # fmt: skip
            change.conn.execute(update(imports).where(imports.c.id == import_id).values(
                state="running" if ids else "succeeded", job_ids=earlier + ids, started_at=at))  # fmt: skip
            change.audit("import.start", f"import:{import_id}", {"jobs": len(ids), "rows": sum(map(len, chunks))})

    def save_mapping(self, actor: Principal, name: str, mapping: dict[str, Any], at: datetime) -> None:
        """Keep a mapping under ``name`` (replacing one of that name)."""
        issuer_id = issuer_of(actor)
        with audited(self.engine, actor.token_id, at) as change:
            key = (import_mappings.c.issuer_id == issuer_id, import_mappings.c.name == name)
            if (
                change.conn.execute(update(import_mappings).where(*key).values(mapping=mapping, updated_at=at)).rowcount
                == 0
            ):
                change.conn.execute(insert(import_mappings).values(issuer_id=issuer_id, name=name, mapping=mapping,
                                                                   updated_at=at))  # fmt: skip
            change.audit("import.mapping", f"mapping:{name}", {})

    def mappings(self, issuer_id: str) -> dict[str, dict[str, Any]]:
        """The issuer's saved mappings by name."""
        with self.engine.connect() as conn:
            owned = import_mappings.c.issuer_id == issuer_id
            rows = conn.execute(
                select(import_mappings.c.name, import_mappings.c.mapping).where(owned).order_by(import_mappings.c.name)
            )
            return {r.name: dict(r.mapping) for r in rows}

    def original(self, certificate_id: str) -> dict[str, Any] | None:
        """What an imported certificate was before (its import, row, date of issue, status); None if issued here."""
        with self.engine.connect() as conn:
            joined = certificate_imports.join(certificates, certificates.c.seq == certificate_imports.c.certificate_seq)
            row = conn.execute(
                select(certificate_imports).select_from(joined).where(certificates.c.id == certificate_id)
            ).first()
        if row is None:
            return None
        return {"import": row.import_id, "row": row.row, "issued_on": row.issued_on, "status": row.original_status}


def registered(change: Change, actor: str, issuer_id: str, records: Sequence[CertificateRecord],
               meta: Sequence[dict[str, Any]], at: datetime) -> None:  # fmt: skip
    """In the transaction that registers imported certificates: their origin, and their original status."""
    made = select(certificates.c.id, certificates.c.seq).where(certificates.c.id.in_([r.id for r in records]))
    seqs = dict(change.conn.execute(made).all())
    rows, events = [], []
    for record, item in zip(records, meta, strict=True):
        seq = seqs[record.id]
        issued_on = date.fromisoformat(item["issued_on"]) if item.get("issued_on") else None
        rows.append({"certificate_seq": seq, "import_id": item["import"], "row": int(item["row"]),
                     "issued_on": issued_on, "original_status": item["status"]})  # fmt: skip
        if item["status"] in ORIGINAL:
            state, action = ORIGINAL[item["status"]]
            change.conn.execute(insert(status_events).values(
                certificate_seq=seq, state=state.value, action=action, reason=item["reason"], note=item["note"][:500],
                actor=actor, at=at))  # fmt: skip
            record_state(change.conn, issuer_id, seq, state, at)
            events.append(log.status(at, issuer_id, _seal(change, seq), state.value, item["reason"]))
        change.audit("certificate.import", f"certificate:{record.id}", {
            "import": item["import"], "row": int(item["row"]), "status": item["status"],
            "issued_on": item.get("issued_on")})  # fmt: skip
    change.conn.execute(insert(certificate_imports), rows)
    log.append(change, events)


def _seal(change: Change, seq: int) -> bytes:
    return bytes(change.conn.execute(select(certificates.c.seal_sha256).where(certificates.c.seq == seq)).scalar_one())


def _active(change: Change, job_ids: list[str]) -> bool:
    count = change.conn.execute(
        select(func.count()).select_from(jobs).where(jobs.c.id.in_(job_ids), jobs.c.state.in_(ACTIVE))
    ).scalar_one()
    return bool(count)


_COLUMNS = (imports.c.id, imports.c.issuer_id, imports.c.name, imports.c.sha256, imports.c.mapping, imports.c.state,
            imports.c.summary, imports.c.created_at, imports.c.started_at, imports.c.job_ids)  # fmt: skip


def _record(conn: Any, row: Any) -> ImportRecord:
    done = total = 0
    state = row.state
    failures: list[dict[str, Any]] = []
    if row.job_ids:
        found = conn.execute(select(jobs.c.state, jobs.c.done, jobs.c.total, jobs.c.failures)
                             .where(jobs.c.id.in_(list(row.job_ids)))).all()  # fmt: skip
        states = {r.state for r in found}
        done = sum(r.total if r.state == "succeeded" else r.done for r in found)
        total = sum(r.total for r in found)
        state = "running" if states & set(ACTIVE) else "failed" if states - {"succeeded"} else "succeeded"
        failures = [f for r in found for f in (r.failures or [])][:100]
    return ImportRecord(row.id, row.issuer_id, row.name, bytes(row.sha256).hex(), dict(row.mapping), state,
                        dict(row.summary), row.created_at, row.started_at, done, total, tuple(failures))  # fmt: skip
