"""The log's published vectors (tests/vectors/log.json): every proof case's standing, every consistency case,
the leaves' hashes, and every rule of docs/spec/log.md that a verifier or a witness checks covered."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.helpers import REPO
from verifier.tlog.leaves import read_leaf
from verifier.tlog.merkle import ProofRefused, check_consistency, leaf_hash
from verifier.tlog.note import Checkpoint, NoteRefused, parse_note
from verifier.tlog.proof import check_checkpoint
from verifier.trust.keys import load_public_key_pem
from verifier.trust.trustlist import TrustList
from verifier.verification.logcheck import LogState, check_issuance

VECTORS = REPO / "tests" / "vectors"
LOG = json.loads((VECTORS / "log.json").read_text("utf-8"))
PROOFS: dict[str, dict[str, Any]] = {c["name"]: c for c in LOG["proof_cases"]}
CONSISTENCY: dict[str, dict[str, Any]] = {c["name"]: c for c in LOG["consistency_cases"]}
LISTED = TrustList.from_document(
    (VECTORS / "trust-list.json").read_bytes(), [load_public_key_pem((VECTORS / "operator.pub.pem").read_bytes())]
)
POLICY = LISTED.log
assert POLICY is not None


@pytest.mark.parametrize("name", sorted(PROOFS), ids=str)
def test_proof_vector(name: str) -> None:
    case = PROOFS[name]
    standing = check_issuance(case["proof"], bytes.fromhex(case["seal"]), bytes.fromhex(case["kid"]), POLICY)
    assert (standing.state.value, standing.index) == (case["expected"]["state"], case["expected"]["index"]), (
        standing.detail
    )
    if standing.state is LogState.WITNESSED:
        assert standing.cosigned == ("witness.sgs.example",) and len(case["proof"]) < 2048


@pytest.mark.parametrize("name", sorted(CONSISTENCY), ids=str)
def test_consistency_vector(name: str) -> None:
    """A witness's check (LOG-4): the newer checkpoint extends the older, or the history forked."""
    case = CONSISTENCY[name]
    old, new = (check_checkpoint(parse_note(case[k]), POLICY).checkpoint for k in ("old", "new"))
    proof = [bytes.fromhex(p) for p in case["proof"]]
    try:
        check_consistency(old.size, new.size, old.root, new.root, proof)
    except ProofRefused:
        assert case["expected"] == "refused"
    else:
        assert case["expected"] == "accepted"


def test_leaves_read_and_hash_as_published() -> None:
    for leaf in LOG["leaves"]:
        data = leaf["text"].encode("ascii")
        assert read_leaf(data).to_bytes() == data and leaf_hash(data).hex() == leaf["leaf_hash"]
    checkpoint = check_checkpoint(parse_note(LOG["checkpoint"]), POLICY)
    assert checkpoint.quorum_met and checkpoint.checkpoint.size == len(LOG["leaves"])


def test_a_checkpoint_of_a_key_not_pinned_is_refused() -> None:
    stranger = PROOFS["refused: the checkpoint signed by another key"]["proof"].split("\n\n", 1)[1]
    with pytest.raises(NoteRefused, match="not signed by"):
        check_checkpoint(parse_note(stranger), POLICY)
    assert Checkpoint.from_text(parse_note(stranger).text).origin == LOG["origin"]


def test_every_rule_a_verifier_or_witness_checks_has_a_vector() -> None:
    rules = set(re.findall(r"LOG-[0-9]+", (REPO / "docs" / "spec" / "log.md").read_text("utf-8")))
    # LOG-2 binds the operator (never two inconsistent checkpoints), LOG-5 the witness's replay of the
    # entries (tests/system/test_witness_process.py): no vector holds either.
    checked = rules - {"LOG-2", "LOG-5"}
    tested = {c["rule"] for c in (*LOG["proof_cases"], *LOG["consistency_cases"])}
    assert checked == tested, (sorted(checked - tested), sorted(tested - checked))
