"""The transparency log's vectors (docs/spec/log.md): leaves, checkpoints, proofs and a forked history.

A small log of TEST keys' events: the issuer's key added, three issuances, a status change. Its
checkpoints are signed by the vector log key and cosigned by the vector witness of SGS at fixed times
(Ed25519 is deterministic: the file is the same on every run). Each proof case gives what a verifier
holds — the proof text, the seal (hex) and its kid, checked against the policy of ``trust-list.json`` —
and the standing it must answer (``witnessed``, ``under_witnessed``, ``refused``). The consistency
cases give two checkpoints and a proof, and whether the second extends the first (a fork does not).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from generate import (  # type: ignore[import-not-found]
    ACTIVE,
    LOG,
    LOG_ORIGIN,
    LOG_POLICY,
    SEALED_AT,
    STRANGER,
    WITNESSES,
    claims_for,
    signed_with,
    utc,
)

from verifier.store.log import issued, key_event, status
from verifier.tlog.merkle import consistency_proof, inclusion_proof, leaf_hash, root_of
from verifier.tlog.note import Checkpoint, Note, Signature, cosign, sign_note
from verifier.tlog.proof import LogProof

CHECKPOINT_TIME = 1717200000  # 2024-06-01T00:00:00Z: when the vector witness cosigned


def _seals() -> list[bytes]:
    """Three seals of the demo certificates by the active TEST key."""
    names = ("zhejiang-made-kettle", "international-cooperation-valve", "ccc-self-declaration-socket")
    return [signed_with(ACTIVE, claims_for(name, SEALED_AT, 100 + n)[1]) for n, name in enumerate(names)]


def _leaves(seals: list[bytes]) -> list[bytes]:
    at = utc(SEALED_AT)
    public = ACTIVE.record.public_key.public_bytes_raw()
    events = [key_event(at, "zjcert", "added", ACTIVE.kid, public)]
    events += [issued(at, "zjcert", ACTIVE.kid, seal, f"credential {n}") for n, seal in enumerate(seals)]
    events.append(status(at, "zjcert", hashlib.sha256(seals[1]).digest(), "suspended", "under_investigation"))
    return [e.to_bytes() for e in events]


def _reader(leaves: list[bytes]) -> Callable[[int, int], bytes]:
    hashes = [leaf_hash(leaf) for leaf in leaves]
    return lambda height, index: root_of(hashes[index << height : (index + 1) << height])


def _checkpoint(leaves: list[bytes], size: int, cosigned: bool = True, origin: str = LOG_ORIGIN) -> Note:
    text = Checkpoint(origin, size, root_of([leaf_hash(leaf) for leaf in leaves[:size]])).text()
    signatures = [sign_note(text, origin, LOG.private_key)]
    if cosigned:
        signatures.append(cosign(text, LOG_POLICY.witnesses[0].name, WITNESSES[0].private_key, CHECKPOINT_TIME))
    return Note(text, tuple(signatures))


def log_vectors() -> dict[str, Any]:
    seals = _seals()
    leaves = _leaves(seals)
    size = len(leaves)
    node = _reader(leaves)
    witnessed = _checkpoint(leaves, size)

    def proof(index: int, note: Note = witnessed, leaf: bytes | None = None, path: list[bytes] | None = None) -> str:
        made = LogProof(leaf if leaf is not None else leaves[index], index,
                        tuple(path if path is not None else inclusion_proof(node, index, size)), note)  # fmt: skip
        return made.to_text()

    cases: list[dict[str, Any]] = []

    def case(name: str, rule: str, text: str, seal: bytes, expected: str, index: int | None = None) -> None:
        cases.append({"name": name, "rule": rule, "proof": text, "seal": seal.hex(), "kid": ACTIVE.kid.hex(),
                      "expected": {"state": expected, "index": index}})  # fmt: skip

    good = proof(2)
    path = inclusion_proof(node, 2, size)
    stranger_note = Note(witnessed.text, (sign_note(witnessed.text, LOG_ORIGIN, STRANGER.private_key),))
    other = cosign(witnessed.text, LOG_POLICY.witnesses[0].name, WITNESSES[1].private_key, CHECKPOINT_TIME)
    bad_cosign = Signature(other.name, LOG_POLICY.witnesses[0].id, other.value)  # the witness's name and id
    case("witnessed: cosigned by the quorum", "LOG-9", good, seals[1], "witnessed", 2)
    case("witnessed: the first issuance", "LOG-8", proof(1), seals[0], "witnessed", 1)
    case("under-witnessed: the log's signature alone", "LOG-9", proof(3, _checkpoint(leaves, size, cosigned=False)),
         seals[2], "under_witnessed", 3)  # fmt: skip
    case("refused: a proof of another seal", "LOG-6", good, seals[0], "refused")
    case("refused: a status entry, not an issuance", "LOG-6", proof(4), seals[1], "refused")
    case("refused: the entry written otherwise", "LOG-1", proof(2, leaf=leaves[2].replace(b"\nkey ", b"\nkey  ")),
         seals[1], "refused")  # fmt: skip
    case("refused: a hash of the path changed", "LOG-8", proof(2, path=[bytes(32), *path[1:]]), seals[1], "refused")
    case("refused: the path cut short", "LOG-8", proof(2, path=path[:-1]), seals[1], "refused")
    case("refused: another index", "LOG-8", good.replace("\nindex 2\n", "\nindex 3\n"), seals[1], "refused")
    case("refused: the checkpoint signed by another key", "LOG-3", proof(2, stranger_note), seals[1], "refused")
    case("refused: another log's checkpoint", "LOG-3", proof(2, _checkpoint(leaves, size, origin="other.example/log")),
         seals[1], "refused")  # fmt: skip
    case("refused: a witness's cosignature that does not verify", "LOG-7",
         proof(2, Note(witnessed.text, (witnessed.signatures[0], bad_cosign))), seals[1], "refused")  # fmt: skip
    case("refused: not a proof", "LOG-3", "c2sp.org/tlog-proof@v1\nindex 2\n", seals[1], "refused")

    old = _checkpoint(leaves, 3)
    forked_leaves = [*leaves[:2], leaves[2].replace(b"\nat 2024", b"\nat 2023"), *leaves[3:]]
    forked = _checkpoint(forked_leaves, size)
    consistency = [
        {"name": "accepted: the log grew by appending", "rule": "LOG-4", "old": old.to_text(),
         "new": witnessed.to_text(), "proof": [p.hex() for p in consistency_proof(node, 3, size)],
         "expected": "accepted"},
        {"name": "refused: a forked history (entry 2 rewritten)", "rule": "LOG-4", "old": old.to_text(),
         "new": forked.to_text(), "proof": [p.hex() for p in consistency_proof(_reader(forked_leaves), 3, size)],
         "expected": "refused"},
    ]  # fmt: skip
    return {
        "spec": "docs/spec/log.md",
        "origin": LOG_ORIGIN,
        "leaves": [{"text": leaf.decode("ascii"), "leaf_hash": leaf_hash(leaf).hex()} for leaf in leaves],
        "checkpoint": witnessed.to_text(),
        "proof_cases": cases,
        "consistency_cases": consistency,
    }
