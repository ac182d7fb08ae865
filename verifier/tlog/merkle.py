"""RFC 6962 Merkle trees: leaf and node hashes, the tree's right edge, proofs made and proofs checked.

Every hash is SHA-256 with RFC 6962's domain separation (0x00 before a leaf, 0x01 before two children).
A *node* is a complete subtree: ``(height, index)`` covers leaves ``[index·2^height, (index+1)·2^height)``.
Proofs are made from a :data:`NodeReader` (the log's stored tiles, or tiles fetched over HTTP) and checked
with RFC 9162's algorithms (sections 2.1.3.2 and 2.1.4.2), which need nothing but the proof and the roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from verifier.errors import VerifierError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
MAX_TREE_SIZE = 2**62  # far beyond any log; bounds every index a stranger may send
MAX_PROOF_HASHES = 2 * 62  # a consistency proof is at most two hashes per level

NodeReader = Callable[[int, int], bytes]  # (height, index) of a complete subtree -> its hash


class ProofRefused(VerifierError):
    """A proof, a tree size or an index that does not hold: the message says which step refused it."""

    code = "log_proof_refused"


def leaf_hash(leaf: bytes) -> bytes:
    """The hash of a leaf: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the leaves' hashes, in order (the empty tree: SHA-256 of nothing)."""
    edge = RightEdge()
    for hashed in leaf_hashes:
        edge.append(hashed)
    return edge.root()


@dataclass
class RightEdge:
    """A tree by its right edge: the complete subtrees that cover leaves ``[0, size)``, tallest first.

    Appending a leaf merges equal subtrees as a binary counter carries; :meth:`append` reports every
    complete subtree it makes, so a caller can store the ones it serves (the tiles' hashes).
    """

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, hashed: bytes) -> list[tuple[int, int, bytes]]:
        """Append one leaf hash; returns each complete subtree made, ``(height, index, hash)``, leaf first."""
        made = [(0, self.size, hashed)]
        self.hashes.append(hashed)
        height, index = 0, self.size
        while index & 1:
            right = self.hashes.pop()
            left = self.hashes.pop()
            height, index = height + 1, index >> 1
            self.hashes.append(node_hash(left, right))
            made.append((height, index, self.hashes[-1]))
        self.size += 1
        return made

    def root(self) -> bytes:
        """The root hash of the tree of :attr:`size` leaves."""
        if not self.hashes:
            return EMPTY_ROOT
        root = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            root = node_hash(left, root)
        return root

    def to_bytes(self) -> bytes:
        """The edge's hashes concatenated (its size says how many and how tall)."""
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> RightEdge:
        """Inverse of :meth:`to_bytes`; raises :class:`ProofRefused` when the hashes do not fit ``size``."""
        if len(data) != HASH_SIZE * bin(size).count("1"):
            raise ProofRefused(f"a right edge of {size} leaves has {bin(size).count('1')} hashes")
        return cls(size, [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)])


def _largest_power_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n`` ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(node: NodeReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range that starts on a boundary of its own size's power of two.

    The range is cut into complete subtrees, tallest first, and folded from the right, as RFC 6962's
    definition splits it; every range a proof needs has that shape.
    """
    parts: list[bytes] = []
    at = start
    while at < end:
        height = (end - at).bit_length() - 1
        while at % (1 << height):
            height -= 1
        parts.append(node(height, at >> height))
        at += 1 << height
    root = parts[-1]
    for left in reversed(parts[:-1]):
        root = node_hash(left, root)
    return root


def inclusion_proof(node: NodeReader, index: int, size: int) -> list[bytes]:
    """The RFC 6962 audit path of leaf ``index`` in the tree of ``size`` leaves, from the leaf up."""
    if not 0 <= index < size <= MAX_TREE_SIZE:
        raise ProofRefused(f"no leaf {index} in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _largest_power_below(end - start)
        if index < start + k:
            path.append(subtree_hash(node, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(node, start, start + k))
            start += k
    return path[::-1]


def consistency_proof(node: NodeReader, old: int, new: int) -> list[bytes]:
    """The RFC 6962 consistency proof from the tree of ``old`` leaves to the tree of ``new`` (empty when 0 or equal)."""
    if not 0 <= old <= new <= MAX_TREE_SIZE:
        raise ProofRefused(f"no consistency proof from {old} to {new} leaves")
    if old in (0, new):
        return []
    path: list[bytes] = []
    start, end, whole = 0, new, True
    m = old
    while m != end - start:
        k = _largest_power_below(end - start)
        if m <= k:
            path.append(subtree_hash(node, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(node, start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        path.append(subtree_hash(node, start, end))
    return path[::-1]


def check_inclusion(hashed: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that the leaf hash ``hashed`` is leaf ``index`` of the tree of ``size`` with ``root`` (RFC 9162 2.1.3.2).

    Raises :class:`ProofRefused` when it is not.
    """
    if not 0 <= index < size <= MAX_TREE_SIZE or len(proof) > MAX_PROOF_HASHES:
        raise ProofRefused(f"no leaf {index} in a tree of {size}")
    fn, sn, r = index, size - 1, hashed
    for p in proof:
        if sn == 0:
            raise ProofRefused("the inclusion proof is longer than the tree is tall")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofRefused("the inclusion proof is shorter than the tree is tall")
    if r != root:
        raise ProofRefused("the inclusion proof does not lead to the checkpoint's root")


def check_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree of ``old`` leaves with ``old_root`` is a prefix of the tree of ``new`` with ``new_root``.

    RFC 9162 2.1.4.2; an old size of 0 or equal sizes take an empty proof (equal sizes: equal roots).
    Raises :class:`ProofRefused` when it is not.
    """
    if not 0 <= old <= new <= MAX_TREE_SIZE or len(proof) > MAX_PROOF_HASHES:
        raise ProofRefused(f"a tree of {new} leaves cannot extend one of {old}")
    if old == 0 or old == new:
        if proof:
            raise ProofRefused("this consistency proof must be empty")
        if old == new and old_root != new_root:
            raise ProofRefused("two different roots for the same tree size")
        return
    path = list(proof)
    if old & (old - 1) == 0:  # a complete subtree: the old root is the proof's first node
        path.insert(0, old_root)
    if not path:
        raise ProofRefused("the consistency proof is empty")
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofRefused("the consistency proof is longer than the tree is tall")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofRefused("the consistency proof is shorter than the tree is tall")
    if fr != old_root:
        raise ProofRefused("the consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofRefused("the consistency proof does not lead to the new root")
