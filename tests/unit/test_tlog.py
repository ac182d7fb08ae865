"""The log's formats: Merkle proofs against a tree built the slow way, tile paths, notes (with C2SP's published
example), cosignatures, leaves and tlog-proofs, each refused when one byte is wrong."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.tlog.leaves import Event, LeafRefused, read_leaf
from verifier.tlog.merkle import (
    EMPTY_ROOT,
    ProofRefused,
    RightEdge,
    check_consistency,
    check_inclusion,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
)
from verifier.tlog.note import (
    COSIGNATURE,
    ED25519,
    Checkpoint,
    Note,
    NoteKey,
    NoteRefused,
    cosign,
    parse_note,
    parse_vkey,
    sign_note,
    verify_cosignature,
    verify_note,
)
from verifier.tlog.proof import LogPolicy, LogProof, check_proof, parse_proof
from verifier.tlog.tiles import Tile, TileRefused, bundle, parse_tile_path, tile_reader, unbundle


def mth(hashes: list[bytes]) -> bytes:
    """RFC 6962's definition, literally: split at the largest power of two below n."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(f"leaf {i}".encode()) for i in range(n)]


def reader(hashes: list[bytes]):  # type: ignore[no-untyped-def]
    return lambda height, index: mth(hashes[index << height : (index + 1) << height])


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 64, 100])
def test_the_right_edge_gives_rfc_6962_roots(n: int) -> None:
    assert root_of(leaves(n)) == mth(leaves(n))
    edge = RightEdge()
    for h in leaves(n):
        edge.append(h)
    assert RightEdge.from_bytes(n, edge.to_bytes()).root() == mth(leaves(n))


def test_every_inclusion_and_consistency_proof_of_small_trees_checks_and_a_flipped_hash_does_not() -> None:
    hashes = leaves(40)
    node = reader(hashes)
    for size in range(1, 41):
        root = mth(hashes[:size])
        for index in range(size):
            path = inclusion_proof(node, index, size)
            check_inclusion(hashes[index], index, size, path, root)
            with pytest.raises(ProofRefused):
                check_inclusion(hashes[(index + 1) % 40], index, size, path, root) if size > 1 else check_inclusion(
                    hashes[index], index, size, [root], root
                )
            if path:
                bad = [path[0][:-1] + bytes([path[0][-1] ^ 1]), *path[1:]]
                with pytest.raises(ProofRefused):
                    check_inclusion(hashes[index], index, size, bad, root)
        for old in range(0, size + 1):
            proof = consistency_proof(node, old, size)
            check_consistency(old, size, mth(hashes[:old]), root, proof)
            if proof:
                with pytest.raises(ProofRefused):
                    check_consistency(old, size, mth(hashes[:old]), root, proof[:-1])
                with pytest.raises(ProofRefused):
                    check_consistency(old, size, bytes(32), root, proof)


def test_a_proof_for_another_leaf_or_a_size_it_is_not_for_is_refused() -> None:
    hashes = leaves(13)
    node = reader(hashes)
    path = inclusion_proof(node, 5, 13)
    with pytest.raises(ProofRefused, match="root"):
        check_inclusion(hashes[6], 5, 13, path, mth(hashes))
    with pytest.raises(ProofRefused):
        check_inclusion(hashes[5], 5, 12, path, mth(hashes[:12]))
    for index, size in [(-1, 13), (13, 13), (0, 0), (2**63, 2**64)]:
        with pytest.raises(ProofRefused):
            check_inclusion(hashes[0], index, size, [], mth(hashes))
    with pytest.raises(ProofRefused, match="same tree size"):
        check_consistency(13, 13, mth(hashes), mth(hashes[:12]), [])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3000), st.data())
def test_proofs_read_from_tiles_match_the_tree(size: int, data: st.DataObject) -> None:
    hashes = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size)]
    stored: dict[tuple[int, int], bytes] = {}
    edge = RightEdge()
    for h in hashes:
        for height, index, made in edge.append(h):
            if height % 8 == 0:
                stored[(height // 8, index)] = made

    def fetch(tile: Tile) -> list[bytes]:
        start = tile.index * 256
        return [stored[(tile.level, i)] for i in range(start, start + tile.width)]

    node = tile_reader(size, fetch)
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(0, size))
    root = edge.root()
    check_inclusion(hashes[index], index, size, inclusion_proof(node, index, size), root)
    check_consistency(old, size, mth(hashes[:old]), root, consistency_proof(node, old, size))


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (Tile(0, 0), "tile/0/000"),
        (Tile(0, 1234067), "tile/0/x001/x234/067"),
        (Tile(2, 5, 17), "tile/2/005.p/17"),
        (Tile(-1, 1000, 1), "tile/entries/x001/000.p/1"),
    ],
)
def test_tile_paths_as_tlog_tiles_writes_them(tile: Tile, path: str) -> None:
    assert tile.path() == path
    assert parse_tile_path(path.removeprefix("tile/")) == tile


@pytest.mark.parametrize(
    "path",
    [
        "0/1", "0/0001", "0/x000/001", "0/001/x002", "64/000", "01/000", "-1/000", "0/-01",
        "0/000.p/0", "0/000.p/256", "0/000.p/07", "entries", "0/" + "x999/" * 8 + "999",
        "0/x999/x999/x999/x999/x999/x999/999",
        "a/000", "0/000.p", "0/000/", "",
    ],
)  # fmt: skip
def test_a_tile_path_the_spec_does_not_allow_is_refused(path: str) -> None:
    with pytest.raises(TileRefused):
        parse_tile_path(path)


def test_entry_bundles_round_trip_and_refuse_truncation() -> None:
    entries = [b"a", b"", b"x" * 300]
    data = bundle(entries)
    assert unbundle(data, 3) == entries
    for cut in (data[:-1], data[:1], data + b"\x00"):
        with pytest.raises(TileRefused):
            unbundle(cut, 3)
    with pytest.raises(TileRefused):
        unbundle(data, 2)


def test_the_published_signed_note_example_verifies() -> None:
    """C2SP signed-note's own example: its vkey and the note it signs."""
    key = parse_vkey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    note = parse_note(
        "This is an example message.\n\n"
        "\u2014 example.com/foo "
        "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
    )
    verify_note(note, key)
    with pytest.raises(NoteRefused):
        verify_note(Note("This is an example message!\n", note.signatures), key)


def test_a_checkpoint_signed_and_cosigned_verifies_and_its_policy_counts_the_witnesses() -> None:
    log, w1, w2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    text = Checkpoint("verifier.example/log", 5, b"\x01" * 32).text()
    signatures = (
        sign_note(text, "verifier.example/log", log),
        cosign(text, "w1.example", w1, 1_800_000_000),
        cosign(text, "stranger.example", Ed25519PrivateKey.generate(), 1_800_000_000),
    )
    note = parse_note(Note(text, signatures).to_text())
    witnesses = (NoteKey.of("w1.example", COSIGNATURE, w1), NoteKey.of("w2.example", COSIGNATURE, w2))
    policy = LogPolicy("verifier.example/log", NoteKey.of("verifier.example/log", ED25519, log), witnesses, 2)
    from verifier.tlog.proof import check_checkpoint

    witnessed = check_checkpoint(note, policy)
    assert witnessed.cosigned == (("w1.example", 1_800_000_000),) and not witnessed.quorum_met
    assert verify_cosignature(text, note.signatures[1], witnesses[0]) == 1_800_000_000
    with pytest.raises(NoteRefused):  # a cosignature over another size
        verify_cosignature(Checkpoint("verifier.example/log", 6, b"\x01" * 32).text(), note.signatures[1], witnesses[0])
    wrong_log = LogPolicy("verifier.example/log", NoteKey.of("verifier.example/log", ED25519, w2), witnesses, 1)
    with pytest.raises(NoteRefused, match="not signed"):
        check_checkpoint(note, wrong_log)


def test_leaves_are_read_strictly() -> None:
    event = Event.make(
        "issued", at="2026-12-07T10:00:00Z", issuer="zj", key="00" * 8, seal="A" * 43 + "=", credential="B" * 43 + "="
    )
    leaf = event.to_bytes()
    assert read_leaf(leaf) == event and event["issuer"] == "zj"
    for bad in (
        leaf.replace(b"issuer zj", b"issuer ZJ"),
        leaf[:-1],
        leaf + b"extra 1\n",
        leaf.replace(b"v1", b"v2"),
        leaf.replace(b"12-07", b"13-07"),
        leaf.replace(b"\n", b"\r\n"),
    ):
        with pytest.raises(LeafRefused):
            read_leaf(bad)


def test_a_proof_round_trips_and_is_checked_against_the_policy() -> None:
    log, w1 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    leaf_list = [f"leaf {i}".encode() for i in range(9)]
    hashes = [leaf_hash(x) for x in leaf_list]
    text = Checkpoint("v.example/log", 9, mth(hashes)).text()
    note = Note(text, (sign_note(text, "v.example/log", log), cosign(text, "w1.example", w1, 1)))
    proof = LogProof(leaf_list[4], 4, tuple(inclusion_proof(reader(hashes), 4, 9)), note)
    policy = LogPolicy(
        "v.example/log", NoteKey.of("v.example/log", ED25519, log), (NoteKey.of("w1.example", COSIGNATURE, w1),), 1
    )
    parsed = parse_proof(proof.to_text())
    assert parsed == proof and check_proof(parsed, policy).quorum_met
    with pytest.raises(ProofRefused):
        check_proof(LogProof(leaf_list[5], 4, proof.path, note), policy)
    with pytest.raises(ProofRefused):
        check_proof(LogProof(leaf_list[4], 5, proof.path, note), policy)
    for bad in ("", "c2sp.org/tlog-proof@v1\n", proof.to_text().replace("index 4", "index 04"), "x" * 20000):
        with pytest.raises(ProofRefused):
            parse_proof(bad)


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.sampled_from([ED25519, COSIGNATURE]))
def test_a_verifier_key_round_trips_whatever_its_base64_holds(public: bytes, kind: int) -> None:
    key = NoteKey("witness.example/w1", kind, public)
    assert parse_vkey(key.vkey()) == key
    with pytest.raises(NoteRefused):
        parse_vkey(key.vkey().replace("+", "+0", 1))
