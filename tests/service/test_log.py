"""The transparency log (issue 29) as the service runs it: every issuance, status change, recognition and key
is an entry, sequenced with its change; checkpoints are C2SP signed notes; the tree is served as tlog-tiles;
witnesses' cosignatures are taken when they verify; proofs check against the log's policy."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.helpers import Service
from tests.helpers.service import make_settings, running_service
from tests.service.test_recognitions import VALVE, Scene
from verifier.seal.cose import decode_segment
from verifier.tlog.leaves import read_leaf
from verifier.tlog.merkle import check_consistency, consistency_proof, inclusion_proof, leaf_hash, subtree_hash
from verifier.tlog.note import COSIGNATURE, Checkpoint, Note, NoteKey, cosign, parse_note, parse_vkey, verify_note
from verifier.tlog.proof import LogPolicy, check_proof
from verifier.tlog.tiles import Tile, split_hashes, tile_for, tile_reader, unbundle
from verifier.trust.trustlist import TrustList
from verifier.verification.logcheck import LogState, check_issuance


def integrate(service: Service) -> Note:
    """Sign the next checkpoint now (the service does it every second) and read it as a client would."""
    service.client.app.state.services.ledger.integrate(service.clock())  # type: ignore[attr-defined]
    answer = service.client.get("/log/checkpoint")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return parse_note(answer.content)


def fetch_tile(service: Service, tile: Tile) -> bytes:
    answer = service.client.get("/log/" + tile.path())
    assert answer.status_code == 200, (tile.path(), answer.text)
    return answer.content


def client_entries(service: Service, size: int) -> list[bytes]:
    """Every entry of the tree of ``size``, read from the entry bundles as a monitor reads them."""
    entries: list[bytes] = []
    for n in range(0, size, 256):
        width = min(256, size - n)
        entries += unbundle(fetch_tile(service, Tile(-1, n // 256, width)), width)
    return entries


def test_issuance_status_and_recognitions_are_logged_and_the_tiles_prove_them(service: Service) -> None:
    scene = Scene(service)
    client = scene.client
    revoked = client.post(f"/api/v1/certificates/{scene.other['id']}/revoke", headers=scene.issuer,
                          json={"reason": "fraud"})  # fmt: skip
    assert revoked.status_code == 200, revoked.text
    terms = {"certificate_id": scene.certificate["id"], "number": "SGS-1", "markets": ["DE"], "basis": ["EN 1"]}
    assert client.post("/api/v1/recognitions", headers=scene.sgs, json=terms).status_code == 201
    info = client.get("/api/v1/log").json()
    key = parse_vkey(info["key"])
    note = integrate(service)
    verify_note(note, key)
    checkpoint = Checkpoint.from_text(note.text)
    assert checkpoint.origin == info["origin"] == "verify.zhejiang-made.example/log"
    entries = client_entries(service, checkpoint.size)
    events = [read_leaf(e) for e in entries]
    kinds = [e.kind for e in events]
    # operator key, issuer key, two issuances, SGS's and TÜV's keys, the revocation, the recognition
    assert kinds == ["key", "key", "issued", "issued", "key", "key", "status", "recognised"], kinds
    seal = scene.seal_of(scene.certificate)
    issued = events[2]
    assert issued["seal"] == events[7]["seal"] and issued["issuer"] == "zjcert"
    assert issued.get("seal") == __import__("base64").b64encode(hashlib.sha256(seal).digest()).decode()
    assert events[6]["state"] == "revoked" and events[6]["reason"] == "fraud"

    def fetch(tile: Tile) -> list[bytes]:
        return split_hashes(fetch_tile(service, tile), tile.width)

    node = tile_reader(checkpoint.size, fetch)
    for index, entry in enumerate(entries):
        from verifier.tlog.merkle import check_inclusion

        check_inclusion(leaf_hash(entry), index, checkpoint.size, inclusion_proof(node, index, checkpoint.size),
                        checkpoint.root)  # fmt: skip
    # One more issuance: the next checkpoint is consistent with this one.
    client.post("/api/v1/certificates", json=dict(VALVE, number="ZJM-IC-2026-0003"), headers=scene.issuer)
    newer = Checkpoint.from_text(integrate(service).text)
    proof = consistency_proof(tile_reader(newer.size, fetch), checkpoint.size, newer.size)
    check_consistency(checkpoint.size, newer.size, checkpoint.root, newer.root, proof)


def test_a_witness_cosignature_is_kept_and_proofs_use_the_witnessed_checkpoint(service: Service) -> None:
    headers = service.issuer()
    made = service.client.post("/api/v1/certificates", json=VALVE, headers=headers)
    assert made.status_code == 201, made.text
    witness = Ed25519PrivateKey.generate()
    wkey = NoteKey.of("sgs.example/witness", COSIGNATURE, witness)
    added = service.client.post("/api/v1/log/witnesses", json={"vkey": wkey.vkey()}, headers=service.admin)
    assert added.status_code == 201, added.text
    note = integrate(service)
    ledger = service.client.app.state.services.ledger  # type: ignore[attr-defined]
    seal = decode_segment(made.json()["qr"].rsplit("/", 1)[1])
    (index,) = service.client.app.state.services.registry.log.find(hashlib.sha256(seal).digest(), "issued")  # type: ignore[attr-defined]
    assert ledger.proof(index, service.clock()) is None  # not witnessed yet: quorum 1 of 1
    line = cosign(note.text, wkey.name, witness, int(datetime.now(UTC).timestamp()))
    sent = note.text + "\n" + "".join(s.line() + "\n" for s in (*note.signatures, line))
    kept = service.client.post("/log/cosignatures", content=sent, headers={"Content-Type": "text/plain"})
    assert kept.status_code == 200 and kept.json() == {"kept": ["sgs.example/witness"]}, kept.text
    again = service.client.post("/log/cosignatures", content=sent, headers={"Content-Type": "text/plain"})
    assert again.json() == {"kept": []}
    served = parse_note(service.client.get("/log/checkpoint").content)
    assert [s.name for s in served.signatures] == ["verify.zhejiang-made.example/log", "sgs.example/witness"]
    proof = ledger.proof(index, service.clock())
    assert made.json()["log_index"] == index
    entry = service.client.get(made.json()["log_url"].removeprefix("https://verify.zhejiang-made.example"),
                               headers=headers).json()  # fmt: skip
    assert entry == {"index": index, "witnessed_size": index + 1, "proof": proof.to_text()}
    info = service.client.get("/api/v1/log").json()
    policy = LogPolicy(info["origin"], parse_vkey(info["key"]), tuple(parse_vkey(w) for w in info["witnesses"]), 1)
    assert check_proof(proof, policy).quorum_met and read_leaf(proof.leaf).kind == "issued"
    assert len(proof.to_text()) < 2048


def test_the_attackers_side_of_the_log_endpoints(service: Service) -> None:
    service.issuer()
    note = integrate(service)
    stranger = Ed25519PrivateKey.generate()
    forged = cosign(note.text, "stranger.example", stranger, 1)
    body = note.to_text() + forged.line() + "\n"
    answer = service.client.post("/log/cosignatures", content=body)
    assert answer.status_code == 403, answer.text
    other = Checkpoint("verify.zhejiang-made.example/log", 99, b"\x00" * 32).text()
    for sent, status in [(b"\xff" * 100, 422), (b"x" * 20000, 422), (other + "\n" + forged.line() + "\n", 409)]:
        assert service.client.post("/log/cosignatures", content=sent).status_code == status
    for path in ["tile/0/999", "tile/0/-1", "tile/99/000", "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
                 "tile/entries/000.p/255", "tile/0/000.p/0", "tile/" + "x" * 5000, "checkpointx"]:  # fmt: skip
        answer = service.client.get("/log/" + path)
        assert answer.status_code in (400, 404, 422), (path, answer.status_code)
    size = Checkpoint.from_text(note.text).size
    tile = tile_for(size, 0, size - 1)
    assert tile is not None
    assert service.client.get("/log/" + tile.path()).headers["cache-control"] == "public, max-age=5"


def test_metrics_show_the_logs_health_and_each_witness_lag(service: Service) -> None:
    import time

    witness = Ed25519PrivateKey.generate()
    wkey = NoteKey.of("tuv.example/witness", COSIGNATURE, witness)
    service.client.post("/api/v1/log/witnesses", json={"vkey": wkey.vkey()}, headers=service.admin)
    service.client.post("/api/v1/certificates", json=VALVE, headers=service.issuer())
    for _ in range(50):  # the service signs and shows its figures every second
        shown = service.client.get("/metrics", headers=service.admin).text
        if 'verifier_log_witness_lag_entries{witness="tuv.example/witness"} 3.0' in shown:
            break
        time.sleep(0.1)
    assert "verifier_log_entries 3.0" in shown and "verifier_log_checkpoint_size 3.0" in shown, shown[-2000:]
    assert "verifier_log_witnessed_size 0.0" in shown  # its one witness has not cosigned: quorum 1 not met
    assert 'verifier_log_witness_lag_entries{witness="tuv.example/witness"} 3.0' in shown


@pytest.fixture
def signed_by_hand(tmp_path: Path, service_database: str) -> Iterator[Service]:
    """The service, its checkpoints signed only when a test says so."""
    yield from running_service(replace(make_settings(tmp_path, service_database), log_checkpoint_seconds=3600.0))


def test_the_verdict_says_where_the_issuance_stands_in_the_log(signed_by_hand: Service) -> None:
    """pending, then under-witnessed, then witnessed once the quorum cosigned; a proof any verifier can check."""
    service = signed_by_hand
    headers = service.issuer()
    witness = Ed25519PrivateKey.generate()
    wkey = NoteKey.of("sgs.example/witness", COSIGNATURE, witness)
    service.client.post("/api/v1/log/witnesses", json={"vkey": wkey.vkey()}, headers=service.admin)
    made = service.client.post("/api/v1/certificates", json=VALVE, headers=headers).json()
    link = made["qr"].removeprefix("https://verify.zhejiang-made.example")
    ledger = service.client.app.state.services.ledger  # type: ignore[attr-defined]

    def standing() -> dict[str, Any]:
        ledger.refresh(service.clock())  # the service's once-a-second task
        scanned = service.client.get(link, headers={"Accept": "application/json"}).json()
        posted = service.client.post("/api/v1/verify", json={"qr": made["qr"]}).json()
        assert scanned["log"] == posted["log"] and scanned["verdict"] == "valid"
        return scanned["log"]  # type: ignore[no-any-return]

    pending = standing()
    assert (pending["state"], pending["index"], pending["proof"]) == ("pending", made["log_index"], None)
    note = integrate(service)
    under = standing()
    assert under["state"] == "under_witnessed" and under["witnesses"] == [] and under["quorum"] == 1
    assert under["checkpoint_size"] == Checkpoint.from_text(note.text).size
    line = cosign(note.text, wkey.name, witness, int(datetime.now(UTC).timestamp()))
    sent = note.text + "\n" + "".join(s.line() + "\n" for s in (*note.signatures, line))
    assert service.client.post("/log/cosignatures", content=sent).status_code == 200
    witnessed = standing()
    assert witnessed["state"] == "witnessed" and witnessed["witnesses"] == ["sgs.example/witness"]
    for language, words in (("en", "cosigned by"), ("zh", "联署"), ("ar", "موقَّع معًا")):
        shown = service.client.get(link, params={"lang": language}, headers={"Accept": "text/html"}).text
        assert '<p class="log"><span class="rec rec-good">' in shown and words in shown
        assert f'<bdi dir="ltr" class="mono">{made["log_index"]}</bdi>' in shown and "sgs.example/witness" in shown
    # The proof in the verdict checks offline against the published trust list's policy.
    listed = TrustList.from_document(service.client.get("/api/v1/trust-list").content,
                                     [service.client.app.state.services.registry.issuers.operator_key().record.public_key])  # type: ignore[attr-defined]  # fmt: skip
    assert listed.log is not None and listed.log.witnesses == (wkey,) and listed.log.quorum == 1
    seal = decode_segment(made["qr"].rsplit("/", 1)[1])
    kid = bytes.fromhex(service.client.post("/api/v1/verify", json={"qr": made["qr"]}).json()["signature"]["kid"])
    offline = check_issuance(witnessed["proof"], seal, kid, listed.log)
    assert offline.state is LogState.WITNESSED and offline.index == made["log_index"]
    # A seal issued before the log began (its entry gone, as on a database from before migration 0011).
    engine = service.client.app.state.services.registry.engine  # type: ignore[attr-defined]
    other = service.client.post("/api/v1/certificates", json=dict(VALVE, number="ZJM-IC-2026-0009"),
                                headers=headers).json()  # fmt: skip
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS log_entries_no_delete")
        conn.exec_driver_sql("DELETE FROM log_entries WHERE idx = ?", (other["log_index"],))
    unlogged = service.client.post("/api/v1/verify", json={"qr": other["qr"]}).json()
    assert unlogged["verdict"] == "valid" and unlogged["log"]["state"] == "not_logged"
    # Witnesses come and go: the next view weighs the proof against the new policy.
    service.client.delete(f"/api/v1/log/witnesses/{wkey.name}", headers=service.admin)
    assert standing()["state"] == "under_witnessed"  # no witness left: the operator's word alone


def test_each_trust_list_version_is_entered_in_the_log_once(service: Service) -> None:
    """The list verifiers download names what it vouches for in the log: a version once, however often served."""
    operator = service.client.app.state.services.registry.issuers.operator_key()  # type: ignore[attr-defined]

    def published() -> TrustList:
        return TrustList.from_document(service.client.get("/api/v1/trust-list").content, [operator.record.public_key])

    def logged() -> list[tuple[int, str]]:
        note = integrate(service)
        events = [read_leaf(e) for e in client_entries(service, Checkpoint.from_text(note.text).size)]
        return [(int(e["version"]), e["content"]) for e in events if e.kind == "trust-list"]

    first = published()
    digest = __import__("base64").b64encode(first.digest()).decode()
    assert logged() == [(first.version, digest)]
    service.client.app.state.services.trust._document = None  # type: ignore[attr-defined]  # the next minute's
    published()
    assert logged() == [(first.version, digest)]
    key = NoteKey.of("tuv.example/witness", COSIGNATURE, Ed25519PrivateKey.generate())
    service.client.post("/api/v1/log/witnesses", json={"vkey": key.vkey()}, headers=service.admin)
    second = published()
    assert second.version > first.version and second.log is not None and second.log.witnesses == (key,)
    assert [v for v, _ in logged()] == [first.version, second.version]


def test_the_served_log_agrees_with_an_independent_rfc_9162_tree(service: Service) -> None:
    """Every entry read from the bundles, appended to pymerkle's tree (RFC 9162 hashing, written by others),
    gives the root of the checkpoint served for every size; the level-0 tiles hold its leaf hashes."""
    from pymerkle import InmemoryTree

    issuer = service.issuer()
    batch = [dict(VALVE, number=f"ZJM-IC-2026-{n:04d}") for n in range(300)]  # past one full tile (256)
    assert (
        service.client.post("/api/v1/certificates/batch", json={"certificates": batch}, headers=issuer).status_code
        == 201
    )
    note = integrate(service)
    checkpoint = Checkpoint.from_text(note.text)
    assert checkpoint.size > 256
    entries = client_entries(service, checkpoint.size)
    tree = InmemoryTree(algorithm="sha256")  # security on: 0x00 and 0x01 prefixes, as RFC 6962
    for entry in entries:
        tree.append_entry(entry)
    assert tree.get_size() == checkpoint.size and tree.get_root(checkpoint.size) == checkpoint.root
    full = split_hashes(fetch_tile(service, Tile(0, 0, 256)), 256)
    assert full == [tree.get_leaf(n + 1) for n in range(256)]  # pymerkle counts leaves from 1
    # Any earlier tree, from the served tiles, is pymerkle's of that size.
    node = tile_reader(checkpoint.size, lambda tile: split_hashes(fetch_tile(service, tile), tile.width))
    for size in (1, 2, 3, 255, 256, 257, checkpoint.size - 1):
        assert subtree_hash(node, 0, size) == tree.get_root(size), size


def test_a_witness_that_goes_away(signed_by_hand: Service) -> None:
    """Two witnesses, a quorum of one: one stops and the other's cosignature still witnesses the log; with
    both away, an older entry keeps its witnessed proof and a newer one is under-witnessed, never witnessed."""
    service = signed_by_hand
    headers = service.issuer()
    keys = {name: Ed25519PrivateKey.generate() for name in ("sgs.example/w", "tuv.example/w")}
    for name, key in keys.items():
        vkey = NoteKey.of(name, COSIGNATURE, key).vkey()
        service.client.post("/api/v1/log/witnesses", json={"vkey": vkey}, headers=service.admin)
    assert service.client.get("/api/v1/log").json()["quorum"] == 1

    def cosigned_by(name: str) -> None:
        note = integrate(service)
        line = cosign(note.text, name, keys[name], int(datetime.now(UTC).timestamp()))
        sent = note.text + "\n" + "".join(s.line() + "\n" for s in (*note.signatures, line))
        assert service.client.post("/log/cosignatures", content=sent).status_code == 200

    def state(made: dict[str, Any]) -> str:
        service.client.app.state.services.ledger.refresh(service.clock())  # type: ignore[attr-defined]
        return service.client.post("/api/v1/verify", json={"qr": made["qr"]}).json()["log"]["state"]  # type: ignore[no-any-return]

    first = service.client.post("/api/v1/certificates", json=VALVE, headers=headers).json()
    cosigned_by("tuv.example/w")  # SGS's witness is down: TÜV's alone meets the quorum
    assert state(first) == "witnessed"
    second = service.client.post("/api/v1/certificates", json=dict(VALVE, number="ZJM-IC-2026-0002"),
                                 headers=headers).json()  # fmt: skip
    integrate(service)  # both away now
    assert state(first) == "witnessed" and state(second) == "under_witnessed"
