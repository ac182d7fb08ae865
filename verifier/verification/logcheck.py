"""A certificate's standing in the transparency log: its issuance's proof checked, or why there is none.

Offline, a verifier holds the trust list's log policy (origin, log key, witnesses, quorum) and, when the
certificate came as a PDF, the proof attached to it: :func:`check_issuance` follows docs/spec/log.md's
LOG-3 to LOG-9 and says *witnessed*, *under-witnessed* or *refused*. A QR code alone carries no proof:
*unchecked*. Online, the service says the same from its own log (:mod:`verifier.ledger`), with *pending*
for an entry no checkpoint covers yet and *not logged* for a certificate issued before the log began.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from verifier.tlog.leaves import LeafRefused, digest_of, read_leaf
from verifier.tlog.merkle import ProofRefused
from verifier.tlog.proof import LogPolicy, LogProof, check_proof, parse_proof


class LogState(StrEnum):
    """What is known of a certificate's issuance in the log (docs/verdict.md, ``log.state``)."""

    WITNESSED = "witnessed"  # a proof against a checkpoint the quorum of witnesses cosigned
    UNDER_WITNESSED = "under_witnessed"  # a proof, but fewer than the quorum cosigned its checkpoint (LOG-9)
    PENDING = "pending"  # entered, and no checkpoint covers it yet (seconds)
    NOT_LOGGED = "not_logged"  # the log has no entry of its issuance (issued before the log began)
    UNCHECKED = "unchecked"  # offline with no proof at hand (a QR code alone)
    REFUSED = "refused"  # a proof came that does not hold (LOG-3 to LOG-8): the detail says which


@dataclass(frozen=True)
class LogCheck:
    """The log's word on one certificate; ``proof`` the tlog-proof text checked (or made), when there is one."""

    state: LogState
    origin: str
    index: int | None = None
    size: int | None = None  # the checkpoint the proof is against
    cosigned: tuple[str, ...] = ()  # the known witnesses that cosigned it
    quorum: int = 0
    proof: str | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        """The verdict's ``log`` member."""
        return {
            "state": self.state.value,
            "origin": self.origin,
            "index": self.index,
            "checkpoint_size": self.size,
            "witnesses": list(self.cosigned),
            "quorum": self.quorum,
            "proof": self.proof,
            "detail": self.detail,
        }


def proof_standing(proof: LogProof, cose: bytes, kid: bytes, policy: LogPolicy) -> LogCheck:
    """A proof checked: LOG-3, LOG-7, LOG-8 (:func:`~verifier.tlog.proof.check_proof`), LOG-6 and LOG-9.

    Raises :class:`~verifier.tlog.merkle.ProofRefused` when it does not hold.
    """
    try:
        event = read_leaf(proof.leaf)
        if event.kind != "issued":
            raise ProofRefused(f"the proof's entry is a {event.kind} event, not an issuance")
        if digest_of(event["seal"]) != hashlib.sha256(cose).digest():
            raise ProofRefused("the proof's entry is of another seal")
        if event["key"] != kid.hex():
            raise ProofRefused("the proof's entry names another key than the seal's")
    except LeafRefused as exc:
        raise ProofRefused(f"the proof's entry: {exc}") from None
    witnessed = check_proof(proof, policy)
    names = tuple(name for name, _ in witnessed.cosigned)
    # Witnessed: the quorum met by at least one witness (a log with none proves only the operator's word).
    state = LogState.WITNESSED if witnessed.quorum_met and names else LogState.UNDER_WITNESSED
    detail = (
        f"entry {proof.index} of the log, in a checkpoint of {witnessed.checkpoint.size} entries cosigned by "
        f"{len(names)} of the {len(policy.witnesses)} witnesses ({policy.quorum} needed)"
    )
    return LogCheck(state, policy.origin, proof.index, witnessed.checkpoint.size, names, policy.quorum,
                    proof.to_text(), detail)  # fmt: skip


def check_issuance(proof_text: bytes | str | None, cose: bytes, kid: bytes, policy: LogPolicy) -> LogCheck:
    """Offline: the proof that came with a certificate (None: none came), checked against ``policy``."""
    if proof_text is None:
        return LogCheck(LogState.UNCHECKED, policy.origin, quorum=policy.quorum,
                        detail="no proof of the log came with the certificate: check it online to know")  # fmt: skip
    try:
        return proof_standing(parse_proof(proof_text), cose, kid, policy)
    except ProofRefused as exc:
        return LogCheck(LogState.REFUSED, policy.origin, quorum=policy.quorum, detail=str(exc))
