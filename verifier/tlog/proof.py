"""C2SP tlog-proof: an entry's inclusion in a witnessed checkpoint, checked offline against a log policy.

A proof is the text ``c2sp.org/tlog-proof@v1``, ``extra <base64>`` (here: the leaf itself, so a verifier
holding only a seal can read the event and hash it), ``index <n>``, the inclusion path (one base64 hash per
line, the leaf's sibling first), a blank line and the checkpoint with its signatures. :func:`check_proof`
follows the spec's steps: the origin and the log's signature, every known witness's cosignature, the
inclusion path; how many witnesses cosigned is the caller's to weigh against the policy's quorum.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from verifier.tlog.leaves import MAX_LEAF
from verifier.tlog.merkle import HASH_SIZE, MAX_PROOF_HASHES, ProofRefused, check_inclusion, leaf_hash
from verifier.tlog.note import (
    COSIGNATURE,
    ED25519,
    MAX_NOTE_BYTES,
    Checkpoint,
    Note,
    NoteKey,
    NoteRefused,
    b64,
    bounded_text,
    from_b64,
    parse_note,
    verify_cosignature,
    verify_note,
)

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
PROOF_ATTACHMENT = "issuance.tlog-proof"  # the file name a PDF embeds it under
MAX_PROOF_BYTES = MAX_NOTE_BYTES + 4 * MAX_LEAF // 3 + 64 * 48 + 64


@dataclass(frozen=True)
class LogPolicy:
    """What a verifier trusts a log by: its origin and key, the witnesses it knows, how many must cosign."""

    origin: str
    key: NoteKey
    witnesses: tuple[NoteKey, ...] = ()
    quorum: int = 0

    def __post_init__(self) -> None:
        if self.key.kind != ED25519 or any(w.kind != COSIGNATURE for w in self.witnesses):
            raise NoteRefused("a log signs with an Ed25519 note key, witnesses cosign with cosignature keys")
        if not 0 <= self.quorum <= len(self.witnesses):
            raise NoteRefused(f"a quorum of {self.quorum} out of {len(self.witnesses)} witnesses cannot be met")


@dataclass(frozen=True)
class Witnessed:
    """A checkpoint verified against a policy: what it states and which known witnesses cosigned it, when."""

    checkpoint: Checkpoint
    cosigned: tuple[tuple[str, int], ...]  # (witness name, POSIX time), in the policy's order
    quorum: int

    @property
    def quorum_met(self) -> bool:
        """Whether enough known witnesses cosigned (the policy's k of n)."""
        return len(self.cosigned) >= self.quorum


def check_checkpoint(note: Note, policy: LogPolicy) -> Witnessed:
    """(1) the origin is the policy's, (2) the log signed it, (3) every known witness's cosignature verifies.

    Signatures of unknown keys are ignored; one that fails from a known key refuses the whole note.
    Raises :class:`~verifier.tlog.note.NoteRefused`.
    """
    checkpoint = Checkpoint.from_text(note.text)
    if checkpoint.origin != policy.origin:
        raise NoteRefused(f"the checkpoint is of {checkpoint.origin[:80]!r}, not {policy.origin}")
    verify_note(note, policy.key)
    cosigned = []
    for witness in policy.witnesses:
        found = note.signed_by(witness)
        if len(found) > 1:
            raise NoteRefused(f"{witness.name} cosigned the checkpoint more than once")
        if found:
            cosigned.append((witness.name, verify_cosignature(note.text, found[0], witness)))
    return Witnessed(checkpoint, tuple(cosigned), policy.quorum)


@dataclass(frozen=True)
class LogProof:
    """A tlog-proof as read: the leaf (its extra data), its index, the inclusion path and the checkpoint."""

    leaf: bytes
    index: int
    path: tuple[bytes, ...]
    checkpoint: Note

    def to_text(self) -> str:
        """The proof as C2SP writes it."""
        lines = [PROOF_HEADER, f"extra {b64(self.leaf)}", f"index {self.index}", *(b64(h) for h in self.path)]
        return "\n".join(lines) + "\n\n" + self.checkpoint.to_text()


def parse_proof(data: bytes | str) -> LogProof:
    """A proof from its text; raises :class:`~verifier.tlog.merkle.ProofRefused` for anything else (bounded)."""
    text = bounded_text(data, MAX_PROOF_BYTES, "a log proof", ProofRefused)
    head, blank, note = text.partition("\n\n")
    lines = head.split("\n")
    if not blank or len(lines) < 3 or lines[0] != PROOF_HEADER:
        raise ProofRefused(f"a log proof starts {PROOF_HEADER!r}, then extra, index and the path, then a blank line")
    if not lines[1].startswith("extra ") or not re.fullmatch(r"index (0|[1-9][0-9]{0,18})", lines[2]):
        raise ProofRefused("a log proof here carries its leaf as extra data, then its index")
    leaf = _decoded(lines[1][6:], "the proof's leaf")
    path = tuple(_decoded(line, "a hash of the inclusion path") for line in lines[3:])
    if len(leaf) > MAX_LEAF or len(path) > MAX_PROOF_HASHES or any(len(h) != HASH_SIZE for h in path):
        raise ProofRefused("a log proof's leaf or path is not one this log writes")
    try:
        checkpoint = parse_note(note)
    except NoteRefused as exc:
        raise ProofRefused(f"the proof's checkpoint: {exc}") from None
    return LogProof(leaf, int(lines[2][6:]), path, checkpoint)


def _decoded(text: str, what: str) -> bytes:
    try:
        return from_b64(text, what)
    except NoteRefused as exc:
        raise ProofRefused(str(exc)) from None


def check_proof(proof: LogProof, policy: LogPolicy) -> Witnessed:
    """Check a proof offline: the checkpoint against ``policy`` (:func:`check_checkpoint`), then (4) the leaf's path.

    Returns the witnessed checkpoint (the caller weighs :attr:`Witnessed.quorum_met`); raises
    :class:`~verifier.tlog.merkle.ProofRefused` when any step refuses it.
    """
    try:
        witnessed = check_checkpoint(proof.checkpoint, policy)
    except NoteRefused as exc:
        raise ProofRefused(f"the proof's checkpoint: {exc}") from None
    size, root = witnessed.checkpoint.size, witnessed.checkpoint.root
    check_inclusion(leaf_hash(proof.leaf), proof.index, size, proof.path, root)
    return witnessed
