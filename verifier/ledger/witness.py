"""A witness of the log, as a partner body runs it on its own machine (``verifier witness``).

It keeps the newest checkpoint it cosigned as a state: the log's origin and pinned key, the size, the root
and the tree's right edge. Each round (:func:`witness_round`) it reads the log's newest checkpoint, checks
the log's signature, refuses a log that shrank or forked, **replays** every new entry (read strictly as an
entry of this log) onto its right edge and cosigns only when that gives the checkpoint's root (spec
docs/spec/log.md, section 5). The state is saved before the cosignature leaves.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifier.errors import VerifierError
from verifier.tlog.leaves import Event, LeafRefused, read_leaf
from verifier.tlog.merkle import RightEdge, leaf_hash
from verifier.tlog.note import (
    Checkpoint,
    Note,
    NoteKey,
    Signature,
    b64,
    cosign,
    from_b64,
    parse_note,
    parse_vkey,
    verify_note,
)
from verifier.tlog.tiles import TILE_WIDTH, Tile, unbundle

Fetch = Callable[[str], bytes]  # a path under the log's prefix ("checkpoint", "tile/entries/012") -> its bytes
MAX_ROUND = 1 << 22  # entries replayed in one round; a longer backlog is replayed over several


class WitnessRefused(VerifierError):
    """The log's newest checkpoint is not one a witness may cosign: the message says what the log did."""

    code = "witness_refused"


@dataclass(frozen=True)
class WitnessState:
    """What a witness remembers of a log: its origin and key, and the tree it cosigned last."""

    origin: str
    log_key: str  # the log's vkey, pinned
    size: int = 0
    root: bytes = b""
    edge: bytes = b""

    def to_json(self) -> str:
        """The state as its file holds it."""
        return json.dumps({"origin": self.origin, "log_key": self.log_key, "size": self.size,
                           "root": b64(self.root), "edge": b64(self.edge)}, indent=1) + "\n"  # fmt: skip

    @classmethod
    def from_json(cls, text: str) -> WitnessState:
        """Inverse of :meth:`to_json`; raises :class:`WitnessRefused` for a damaged file."""
        try:
            data = json.loads(text)
            state = cls(str(data["origin"]), str(data["log_key"]), int(data["size"]),
                        from_b64(data["root"], "the root"), from_b64(data["edge"], "the edge"))  # fmt: skip
            RightEdge.from_bytes(state.size, state.edge)
        except (ValueError, KeyError, TypeError, VerifierError) as exc:
            raise WitnessRefused(f"the witness's state is damaged: {exc}") from None
        return state

    def save(self, path: Path) -> None:
        """Write the state whole or not at all (a new file, then renamed over the old)."""
        temporary = path.with_name(path.name + ".new")
        temporary.write_text(self.to_json(), encoding="utf-8")
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)


def witness_round(
    state: WitnessState, fetch: Fetch, name: str, key: Ed25519PrivateKey, now: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[WitnessState, Note, Signature | None]:  # fmt: skip
    """One round: (the new state, the checkpoint read, the cosignature) — no cosignature when nothing is new.

    Raises :class:`WitnessRefused` as :func:`advance` does; the state is then unchanged.
    """
    new, note, grew = advance(state, fetch, progress)
    return new, note, cosign(note.text, name, key, now) if grew else None


def advance(
    state: WitnessState, fetch: Fetch, progress: Callable[[int, int], None] | None = None,
    on_entry: Callable[[int, Event], None] | None = None,
) -> tuple[WitnessState, Note, bool]:  # fmt: skip
    """Follow the log to its newest checkpoint: (the new state, the checkpoint, whether it is newer than the state).

    Every new entry is read (and handed to ``on_entry`` with its index) and replayed. Raises
    :class:`WitnessRefused` when the log's checkpoint is not signed by its pinned key, is of another origin,
    shrank, forked, or its entries do not replay to its root.
    """
    log_key = parse_vkey(state.log_key)
    note = parse_note(fetch("checkpoint"))
    try:
        verify_note(note, log_key)
    except VerifierError as exc:
        raise WitnessRefused(f"the checkpoint is not the log's: {exc}") from None
    checkpoint = Checkpoint.from_text(note.text)
    if checkpoint.origin != state.origin:
        raise WitnessRefused(f"the checkpoint is of {checkpoint.origin!r}, not {state.origin!r}")
    if checkpoint.size < state.size:
        raise WitnessRefused(f"the log shrank: {checkpoint.size} entries now, {state.size} when last checked")
    if checkpoint.size == state.size:
        if checkpoint.root != (state.root or checkpoint.root):
            raise WitnessRefused(f"the log forked: another root for the {state.size} entries checked before")
        if state.root:
            return state, note, False
    if checkpoint.size - state.size > MAX_ROUND:
        raise WitnessRefused(f"{checkpoint.size - state.size} new entries: more than a round replays")
    edge = replay(state, checkpoint.size, fetch, progress, on_entry)
    if edge.root() != checkpoint.root:
        raise WitnessRefused(
            f"the log's entries {state.size} to {checkpoint.size} do not lead to its checkpoint's root: "
            "it rewrote or withheld entries"
        )
    return WitnessState(state.origin, state.log_key, checkpoint.size, checkpoint.root, edge.to_bytes()), note, True


def replay(
    state: WitnessState, size: int, fetch: Fetch, progress: Callable[[int, int], None] | None,
    on_entry: Callable[[int, Event], None] | None = None,
) -> RightEdge:  # fmt: skip
    """The right edge of the tree of ``size``: the state's, with every entry past it read and appended."""
    edge = RightEdge.from_bytes(state.size, state.edge)
    while edge.size < size:
        n = edge.size // TILE_WIDTH
        width = min(TILE_WIDTH, size - n * TILE_WIDTH)
        tile = Tile(-1, n, width)
        try:
            entries = unbundle(fetch(tile.path()), width)
        except VerifierError as exc:
            raise WitnessRefused(f"{tile.path()}: {exc}") from None
        for index in range(edge.size - n * TILE_WIDTH, width):
            try:
                event = read_leaf(entries[index])
            except LeafRefused as exc:
                raise WitnessRefused(f"entry {n * TILE_WIDTH + index} is not an entry of this log: {exc}") from None
            if on_entry is not None:
                on_entry(n * TILE_WIDTH + index, event)
            edge.append(leaf_hash(entries[index]))
        if progress is not None:
            progress(edge.size, size)
    return edge


def first_state(origin: str, log_key: str) -> WitnessState:
    """A witness's state before its first round: the empty tree of the log whose key it pins."""
    key = parse_vkey(log_key)
    if key.name != origin:
        raise WitnessRefused(f"the log's key is named {key.name!r}, not its origin {origin!r}")
    return WitnessState(origin, key.vkey())


def witness_key(name: str, key: Ed25519PrivateKey) -> NoteKey:
    """The witness's cosigning key (what the operator registers)."""
    from verifier.tlog.note import COSIGNATURE

    return NoteKey.of(name, COSIGNATURE, key)
