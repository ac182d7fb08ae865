"""The log's promises that only the database can keep, on SQLite and PostgreSQL: two replicas appending and
integrating at once make one log, without a gap or an index given twice; a rolled-back change gives its
indexes back; every checkpoint either replica signed is consistent with every other."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.helpers import CURRENT
from tests.store.test_registry import _at_once, _issuer
from verifier.certificate.model import parse_certificate
from verifier.issuing.recipe import issue
from verifier.ledger.log import Ledger
from verifier.seal.cose import decode_segment
from verifier.store import log
from verifier.store.audit import audited
from verifier.store.database import make_engine
from verifier.store.registry import Registry
from verifier.tlog.leaves import read_leaf
from verifier.tlog.merkle import check_consistency, consistency_proof, leaf_hash, root_of
from verifier.tlog.tiles import split_hashes, tile_reader
from verifier.trust.keys import KeyStore

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
URL = "https://verify.zhejiang-made.example"


@pytest.fixture
def replicas(tmp_path: Path, database_url: str) -> Iterator[tuple[Ledger, Ledger]]:
    """Two replicas: each its own engine on the one database, the keys folder shared."""
    made = [Registry(make_engine(database_url), KeyStore(tmp_path / "keys")) for _ in range(2)]
    yield Ledger(made[0], URL), Ledger(made[1], URL)
    for registry in made:
        registry.close()


def _append(ledger: Ledger, n: int, fail: bool = False) -> list[int]:
    event = log.status(AT, "zjcert", bytes([n % 256]) * 32, "revoked", "fraud")
    with audited(ledger.registry.engine, "test", AT) as change:
        indexes = log.append(change, [event, event])
        if fail:
            raise RuntimeError("the change fails after its entries were sequenced")
    return indexes


def test_two_replicas_appending_and_integrating_at_once_make_one_log(replicas: tuple[Ledger, Ledger]) -> None:
    def work(i: int) -> list[int]:
        ledger = replicas[i % 2]
        got: list[int] = []
        for n in range(10):
            if i == 0 and n == 5:
                with pytest.raises(RuntimeError):
                    _append(ledger, n, fail=True)
            got += _append(ledger, n)
            ledger.integrate(AT)
        return got

    results = _at_once(6, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    indexes = sorted(i for r in results for i in r)
    assert indexes == list(range(120))  # 6 × 10 changes of two entries; the failed one gave its back
    while replicas[1].integrate(AT) is not None:
        pass
    first, second = replicas[0].registry.log, replicas[1].registry.log
    assert first.sizes() == second.sizes() == (120, 120)
    entries = first.entries(0, 120)
    assert all(read_leaf(e).kind == "status" for e in entries)
    latest = first.latest()
    assert latest is not None and latest.root == root_of([leaf_hash(e) for e in entries])
    node = tile_reader(120, lambda t: split_hashes(replicas[0].tile(t), t.width))
    sizes = [s for s in range(121) if first.checkpoint(s) is not None]
    for size in sizes:  # whichever replica signed it, every checkpoint is a prefix of the last
        older = first.checkpoint(size)
        assert older is not None
        check_consistency(size, 120, older.root, latest.root, consistency_proof(node, size, 120))


def test_replicas_logging_the_same_trust_list_version_at_once_log_it_once(replicas: tuple[Ledger, Ledger]) -> None:
    event = log.trust_list(AT, 7, b"\x07" * 32)
    indexes = _at_once(6, lambda i: replicas[i % 2].registry.log.append_once(event, AT))
    assert not [r for r in indexes if isinstance(r, Exception)], indexes
    assert len([i for i in indexes if i is not None]) == 1, indexes
    assert replicas[0].registry.log.find(b"\x07" * 32, "trust-list") == [i for i in indexes if i is not None]
    assert replicas[1].registry.log.append_once(log.trust_list(AT, 8, b"\x08" * 32), AT) is not None


def test_certificates_issued_before_the_log_began_are_entered_once(replicas: tuple[Ledger, Ledger]) -> None:
    """A database from before the log (migration 0011 made its tables empty): `verifier log backfill`
    enters each certificate's issuance, dated as issued, once however many run it at once."""
    registry = replicas[0].registry
    actor = _issuer(registry, "zjcert")
    batch = [parse_certificate(dict(CURRENT["zhejiang-made-kettle"], number=f"OLD-{n}")) for n in range(7)]
    made = issue(registry, actor, batch, URL, AT)
    with registry.engine.begin() as conn:  # as it stood before the log
        postgres = conn.dialect.name == "postgresql"
        conn.execute(text("ALTER TABLE log_entries DISABLE TRIGGER ALL" if postgres
                          else "DROP TRIGGER log_entries_no_delete"))  # fmt: skip
        for table in ("log_entries", "log_tiles", "log_checkpoints"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("UPDATE log_state SET size = 0, edge = :empty"), {"empty": b""})
        if postgres:
            conn.execute(text("ALTER TABLE log_entries ENABLE TRIGGER ALL"))
    counts = _at_once(2, lambda i: replicas[i].registry.log.backfill(AT, batch=3))
    while entered := registry.log.backfill(AT, batch=3):
        counts.append(entered)
    assert sum(counts) == 7, counts
    replicas[1].integrate(AT)
    leaves = registry.log.entries(0, 100)
    assert [read_leaf(leaf).kind for leaf in leaves] == ["issued"] * 7
    seals = {hashlib.sha256(decode_segment(r.qr_text.rsplit("/", 1)[1])).digest() for r in made}
    assert {log.digest_of(read_leaf(leaf)["seal"]) for leaf in leaves} == seals
    assert registry.log.backfill(AT) == 0
