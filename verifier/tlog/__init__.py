"""The transparency log's formats: RFC 6962 Merkle trees and the C2SP texts over them (floor 4, nothing but bytes).

:mod:`.merkle` hashes leaves and nodes, keeps a tree's right edge and makes and checks inclusion and
consistency proofs; :mod:`.tiles` writes and reads tlog-tiles paths, tiles and entry bundles;
:mod:`.note` signed notes, checkpoints and witnesses' cosignatures; :mod:`.leaves` the log's events;
:mod:`.proof` the offline tlog-proof and the policy it is checked against. Storing, sequencing and
serving the log is :mod:`verifier.store.log` and :mod:`verifier.ledger`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.lazy import exports

if TYPE_CHECKING:
    from verifier.tlog.leaves import Event, LeafRefused, read_leaf
    from verifier.tlog.merkle import ProofRefused, RightEdge, check_consistency, check_inclusion, leaf_hash
    from verifier.tlog.note import Checkpoint, Note, NoteKey, NoteRefused, parse_note, parse_vkey
    from verifier.tlog.proof import LogPolicy, LogProof, Witnessed, check_checkpoint, check_proof, parse_proof
    from verifier.tlog.tiles import Tile, TileRefused, parse_tile_path

__all__ = [
    "Checkpoint",
    "Event",
    "LeafRefused",
    "LogPolicy",
    "LogProof",
    "Note",
    "NoteKey",
    "NoteRefused",
    "ProofRefused",
    "RightEdge",
    "Tile",
    "TileRefused",
    "Witnessed",
    "check_checkpoint",
    "check_consistency",
    "check_inclusion",
    "check_proof",
    "leaf_hash",
    "parse_note",
    "parse_proof",
    "parse_tile_path",
    "parse_vkey",
    "read_leaf",
]
__getattr__, __dir__ = exports(__name__, __file__)
