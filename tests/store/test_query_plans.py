"""No public path reads a table whole (issue 27): every statement they run is planned on an index.

The statements are the ones the public paths really run (recorded from the engine while a scan, a
credential's first read, the status lists, the PDF and DID documents are asked for), and the seal lookup
(which runs on its own connection). PostgreSQL plans each with sequential scans disabled, so a
``Seq Scan`` that remains, or an index read without a condition, is a table no index can serve; SQLite's
plan says ``SCAN`` (of a table or of a whole index) rather than ``SEARCH``.
Tables with a row per list, per issuer or per key are read whole by design and are allowed.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event

from tests.helpers import CURRENT, PUBLIC_URL
from tests.helpers.service import make_settings, running_service
from verifier.store.seals import _SEAL_LOOKUP
from verifier.store.tables import certificate_credentials, metadata

# A row per list, issuer, key or witness, and the log's two counters: small by nature.
READ_WHOLE = {"status_lists", "issuers", "issuer_keys", "log_witnesses", "log_state"}


def _whole_tables(conn: Any, statement: str, parameters: Any) -> set[str]:
    """The tables the plan of ``statement`` reads whole: a sequential scan, or an index read end to end."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar_one()
        found: set[str] = set()
        nodes = [(plan[0]["Plan"], "")]
        while nodes:
            node, parent = nodes.pop()
            nodes.extend((child, node["Node Type"]) for child in node.get("Plans", []))
            kind = node["Node Type"]
            # An index read in order under a Limit (the newest row: ORDER BY ... LIMIT 1) stops at the limit.
            ordered = kind in ("Index Scan", "Index Only Scan") and parent == "Limit"
            if kind == "Seq Scan" or (kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node
                                      and not ordered):  # fmt: skip
                found.add(node["Relation Name"])
            if kind == "Bitmap Heap Scan" and any("Index Cond" not in n for n in node.get("Plans", [])):
                found.add(node["Relation Name"])
        return found
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return {row[-1].split()[1] for row in rows if row[-1].startswith("SCAN ")} & set(metadata.tables)


def test_no_public_path_reads_a_table_whole(tmp_path: Path, database_url: str) -> None:
    with contextmanager(running_service)(make_settings(tmp_path, database_url)) as service:
        services = service.client.app.state.services  # type: ignore[attr-defined]
        token = service.issuer()
        batch = [dict(CURRENT["zhejiang-made-kettle"], number=f"QP-{i:04d}") for i in range(300)]
        made = service.client.post("/api/v1/certificates/batch", json={"certificates": batch}, headers=token).json()
        records = made["certificates"]
        service.client.post(f"/api/v1/certificates/{records[7]['id']}/revoke", json={"reason": "fraud"}, headers=token)
        engine = services.registry.engine
        with engine.begin() as conn:
            conn.execute(delete(certificate_credentials))  # as for a certificate issued before they were stored
        ran: list[tuple[str, Any]] = []

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
            # The job runner polls the queue meanwhile, from its own thread: not a public path.
            if statement.lstrip().upper().startswith("SELECT") and "FROM jobs" not in statement:
                ran.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", record)
        try:
            for record_ in records[:3]:
                scan = record_["verify_url"].removeprefix(PUBLIC_URL)
                assert service.client.get(scan, headers={"Accept": "application/json"}).status_code == 200
                credential = record_["credential_url"].removeprefix(PUBLIC_URL)
                jwt = service.client.get(credential, headers={"Accept": "application/vc+jwt"}).text
                assert service.client.post("/api/v1/verify", json={"qr": jwt}).json()["verdict"] == "valid"
                service.client.get(credential + "/pdf")
                service.client.get(scan, headers={"Accept": "application/linkset+json"})
            services.board.refresh()
            for path in ("/status/index.json", "/status/zjcert/revocation/0", "/issuers/zjcert/did.json",
                         "/.well-known/did.json", "/api/v1/trust-list"):  # fmt: skip
                assert service.client.get(path).status_code == 200, path
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert len(ran) > 10
        seal = _SEAL_LOOKUP.compile(dialect=engine.dialect)
        ran.append((str(seal), seal.construct_params({"digest": b"\0" * 32}) if engine.dialect.name != "sqlite"
                    else (b"\0" * 32,)))  # fmt: skip
        with engine.connect() as conn:
            for statement, parameters in ran:
                whole = _whole_tables(conn, statement, parameters) - READ_WHOLE
                assert not whole, f"{statement}\nreads {whole} whole"
