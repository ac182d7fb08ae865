"""The service's transparency log: its key and origin, checkpoints signed, cosignatures taken, tiles and proofs served.

:class:`Ledger` sits over :class:`verifier.store.log.Log` (entries, tiles, checkpoints) and
:class:`verifier.store.witnesses.Witnesses`. The log's key is an Ed25519 key kept like the operator's
(owner ``log`` in the keys folder); its note name is the log's origin, ``<host>/log`` by default. The
witness policy is the witnesses in service and a quorum (:meth:`Ledger.quorum`); a checkpoint cosigned by
the quorum is *witnessed*, and proofs are made against the newest witnessed one.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from verifier.errors import Kind, VerifierError
from verifier.store.log import StoredCheckpoint
from verifier.store.registry import Registry
from verifier.store.witnesses import Cosignature
from verifier.tlog.merkle import inclusion_proof
from verifier.tlog.note import (
    ED25519,
    Checkpoint,
    Note,
    NoteKey,
    NoteRefused,
    Signature,
    parse_note,
    parse_signature,
    sign_note,
    verify_cosignature,
)
from verifier.tlog.proof import LogPolicy, LogProof
from verifier.tlog.tiles import TILE_WIDTH, Tile, bundle, split_hashes, tile_reader, tiles_of
from verifier.trust.keys import KeyStore, SigningKey
from verifier.verification.logcheck import LogCheck, LogState, proof_standing

LOG_OWNER = "log"
MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z
CACHED_TILES = 2048  # full tiles and bundles are immutable: ~8 KB and ~60 KB each at most
# A partial tile is immutable too (its width names it), but each new checkpoint makes new ones: the few of the
# newest checkpoints are kept, which every proof against them reads (a batch of 1,000 proofs reads them 14,000 times).
CACHED_PARTIAL_TILES = 64
CACHED_NODES = 65_536  # complete subtrees' hashes proofs were made of (~150 bytes each)
NOT_LOGGED = "the log has no entry of this certificate's issuance: it was issued before the log began"
PENDING = "entered in the log; the checkpoint that covers it is being signed (seconds)"
CACHED_STANDINGS = 10_000  # certificates' standings in the log, kept while the log's view stands (~2 KB each)


class LogUnavailable(VerifierError):
    """The log has no checkpoint yet, or not the tile or entry asked for."""

    kind = Kind.NOT_FOUND
    code = "log_not_found"


def origin_of(public_url: str) -> str:
    """The log's origin for a service at ``public_url``: its host (and port), then ``/log``."""
    return f"{urlsplit(public_url).netloc}/log"


def log_signing_key(keys: KeyStore, at: datetime) -> SigningKey:
    """The log's key from the keys folder, made on first use (a replica that lost the race reads the winner's)."""
    if not keys.exists(LOG_OWNER):
        with contextlib.suppress(VerifierError, FileExistsError):
            keys.create(LOG_OWNER, at)
    return keys.signing_key(LOG_OWNER)


@dataclass(frozen=True)
class Health:
    """The log's state for ``/metrics``: entries sequenced and integrated, the newest checkpoints, witnesses' lag."""

    sequenced: int
    integrated: int
    checkpoint_size: int
    checkpoint_at: datetime | None
    witnessed_size: int
    witnesses: dict[str, tuple[int, datetime | None]]  # name -> (size cosigned last, when)


@dataclass(frozen=True)
class View:
    """The log as the public reads see it, renewed every second: the policy, the newest and witnessed checkpoints."""

    policy: LogPolicy
    latest: StoredCheckpoint | None
    witnessed: StoredCheckpoint | None
    served: bytes | None = None  # the newest checkpoint with its cosignatures, as /log/checkpoint answers it

    @property
    def sizes(self) -> tuple[int, int]:
        """(the newest checkpoint's size, the witnessed one's): what a standing other than witnessed depends on."""
        return (self.latest.size if self.latest else 0, self.witnessed.size if self.witnessed else 0)


class Ledger:
    """The log of one service (``registry``, at ``public_url``); ``quorum`` None: half the witnesses, rounded up."""

    def __init__(self, registry: Registry, public_url: str, quorum: int | None = None) -> None:
        self.registry = registry
        self.origin = origin_of(public_url)
        self._quorum = quorum
        self._key: SigningKey | None = None
        self._cache: OrderedDict[Tile, bytes] = OrderedDict()
        self._partials: OrderedDict[Tile, bytes] = OrderedDict()  # the newest partial tiles, for proofs
        self._split: OrderedDict[Tile, list[bytes]] = OrderedDict()  # hash tiles read lately, as their hashes
        self._nodes: OrderedDict[tuple[int, int], bytes] = OrderedDict()  # complete subtrees' hashes, for proofs
        self._notes: dict[int, Note] = {}  # checkpoints with their cosignatures, by size, for this view
        self._issuances: OrderedDict[bytes, tuple[int, bytes]] = OrderedDict()  # a seal's entry: index, leaf
        self._lock = threading.Lock()
        self._view: View | None = None
        # A seal's SHA-256 -> its standing and the view's sizes it was made at (any sizes, once witnessed).
        self._standings: OrderedDict[bytes, tuple[tuple[int, int] | None, LogCheck]] = OrderedDict()

    def signing_key(self, at: datetime) -> SigningKey:
        """The log's key (read once)."""
        if self._key is None:
            self._key = log_signing_key(self.registry.keys, at)
        return self._key

    def note_key(self, at: datetime) -> NoteKey:
        """The log's verifier key (its vkey is what witnesses and verifiers pin)."""
        return NoteKey.of(self.origin, ED25519, self.signing_key(at).private_key)

    def quorum(self, serving: int) -> int:
        """How many of ``serving`` witnesses must cosign: the configured number (at most all), or half, rounded up."""
        if self._quorum is None:
            return (serving + 1) // 2
        return min(self._quorum, serving)

    def policy(self, at: datetime) -> LogPolicy:
        """The policy verifiers check proofs by: the log's key, the witnesses in service and the quorum."""
        witnesses = tuple(w.key for w in self.registry.witnesses.serving())
        return LogPolicy(self.origin, self.note_key(at), witnesses, self.quorum(len(witnesses)))

    def integrate(self, at: datetime) -> StoredCheckpoint | None:
        """Sign a checkpoint over every entry sequenced so far (None when the last one covers them all)."""
        key = self.signing_key(at).private_key

        def sign(size: int, root: bytes) -> str:
            text = Checkpoint(self.origin, size, root).text()
            return Note(text, (sign_note(text, self.origin, key),)).to_text()

        made = self.registry.log.integrate(sign, at)
        if made is not None and self._view is not None:
            self.refresh(at)  # served at once, here
        return made

    def cosigned(self, stored: StoredCheckpoint) -> Note:
        """A checkpoint with the cosignatures kept for its size."""
        note = parse_note(stored.note)
        kept = tuple(parse_signature(c.line) for c in self.registry.witnesses.of(stored.size))
        return Note(note.text, note.signatures + kept)

    def checkpoint(self) -> Note:
        """The newest checkpoint with its cosignatures so far; raises :class:`LogUnavailable` before the first."""
        stored = self.registry.log.latest()
        if stored is None:
            raise LogUnavailable("the log has signed no checkpoint yet")
        return self.cosigned(stored)

    def witnessed(self, at: datetime) -> StoredCheckpoint | None:
        """The newest checkpoint the policy's quorum cosigned (the newest of all when the quorum is 0)."""
        policy = self.policy(at)
        if policy.quorum == 0:
            return self.registry.log.latest()
        size = self.registry.witnesses.witnessed(policy.quorum, {w.name for w in policy.witnesses})
        return None if size is None else self.registry.log.checkpoint(size)

    def proof(self, index: int, at: datetime) -> LogProof | None:
        """The tlog-proof of entry ``index`` in the newest witnessed checkpoint; None until one covers it."""
        stored = self.witnessed(at)
        return None if stored is None or stored.size <= index else self._proof(index, stored)

    def _proof(self, index: int, stored: StoredCheckpoint, leaf: bytes | None = None) -> LogProof:
        read = tile_reader(stored.size, self._hashes)

        def node(height: int, at: int) -> bytes:  # a complete subtree's hash never changes: remembered
            with self._lock:
                found = self._nodes.get((height, at))
            if found is None:
                found = read(height, at)
                with self._lock:
                    self._nodes[(height, at)] = found
                    while len(self._nodes) > CACHED_NODES:
                        self._nodes.popitem(last=False)
            return found

        if leaf is None:
            (leaf,) = self.registry.log.entries(index, index + 1)
        return LogProof(leaf, index, tuple(inclusion_proof(node, index, stored.size)), self._cosigned(stored))

    def _cosigned(self, stored: StoredCheckpoint) -> Note:
        """:meth:`cosigned`, remembered for the view (each proof against a checkpoint carries the same note)."""
        with self._lock:
            found = self._notes.get(stored.size)
        if found is None:
            found = self.cosigned(stored)
            with self._lock:
                self._notes[stored.size] = found
        return found

    def refresh(self, at: datetime) -> View:
        """Read the policy and checkpoints again (the service's once-a-second task); a new policy forgets standings."""
        latest = self.registry.log.latest()
        served = self.cosigned(latest).to_text().encode() if latest else None
        view = View(self.policy(at), latest, self.witnessed(at), served)
        with self._lock:
            if self._view is not None and self._view.policy != view.policy:
                self._standings.clear()  # a witness came or went: a proof's quorum is weighed again
            self._view = view
            self._notes = {}  # cosignatures may have come: the notes are read again
        return view

    def known_standing(self, cose: bytes) -> LogCheck | None:
        """A seal's standing as made before, while it holds (no I/O: the event loop's); None otherwise."""
        with self._lock:
            found = self._standings.get(hashlib.sha256(cose).digest())
            view = self._view
        if found is None or view is None or (found[0] is not None and found[0] != view.sizes):
            return None
        return found[1]

    def standing(self, cose: bytes, kid: bytes, at: datetime) -> LogCheck:
        """A seal's standing in the log (blocking: a worker thread's): its issuance's proof, or why there is none.

        The proof is against the newest witnessed checkpoint that covers the entry (*witnessed*), else the
        newest checkpoint (*under-witnessed*); it is checked as any verifier would before it is given.
        """
        view = self._view or self.refresh(at)
        seal = hashlib.sha256(cose).digest()
        with self._lock:
            found = self._issuances.get(seal)
        if found is None:
            found = self.registry.log.first_entry(seal, "issued")
        policy = view.policy
        standing: LogCheck | None = None
        if found is None:
            standing = LogCheck(LogState.NOT_LOGGED, policy.origin, quorum=policy.quorum, detail=NOT_LOGGED)
        else:
            for stored in (view.witnessed, view.latest):
                if stored is not None and found[0] < stored.size:
                    standing = proof_standing(self._proof(found[0], stored, found[1]), cose, kid, policy)
                    break
        if standing is None:
            index = found[0] if found is not None else None
            standing = LogCheck(LogState.PENDING, policy.origin, index, quorum=policy.quorum, detail=PENDING)
        with self._lock:
            if self._view is view:
                lasting = standing.state is LogState.WITNESSED
                self._standings[seal] = (None if lasting else view.sizes, standing)
                self._standings.move_to_end(seal)
                while len(self._standings) > CACHED_STANDINGS:
                    self._standings.popitem(last=False)
        return standing

    def prefetch(self, coses: list[bytes]) -> None:
        """Read the issuance entries of many seals at once (a batch's), for :meth:`standing` (blocking).

        A seal's issuance entry never changes once sequenced: those found are remembered.
        """
        seals = list(dict.fromkeys(hashlib.sha256(cose).digest() for cose in coses))
        for start in range(0, len(seals), 500):
            found = self.registry.log.first_entries(seals[start : start + 500], "issued")
            with self._lock:
                for seal, entry in found.items():
                    self._issuances[seal] = entry
                    self._issuances.move_to_end(seal)
                while len(self._issuances) > CACHED_STANDINGS:
                    self._issuances.popitem(last=False)

    def served(self) -> bytes | None:
        """The checkpoint as served, from memory (no I/O: the event loop's); None before the first view."""
        view = self._view
        return None if view is None else view.served

    def cached_tile(self, tile: Tile) -> bytes | None:
        """A full tile or bundle served before, from memory (no I/O: the event loop's); None otherwise."""
        with self._lock:
            cached = self._cache.get(tile)
            if cached is not None:
                self._cache.move_to_end(tile)
        return cached

    def tile(self, tile: Tile) -> bytes:
        """A tile's or an entry bundle's bytes, as the newest checkpoint has it; :class:`LogUnavailable` otherwise."""
        with self._lock:
            cached = self._cache.get(tile) or self._partials.get(tile)
            if cached is not None:
                if tile.full:
                    self._cache.move_to_end(tile)
                return cached
        latest = self.registry.log.latest()
        count = tiles_of(latest.size, max(tile.level, 0)) if latest else 0
        if tile.index * TILE_WIDTH + tile.width > count:
            raise LogUnavailable("the log has no such tile (yet)")
        if tile.entries:
            start = tile.index * TILE_WIDTH
            data = bundle(self.registry.log.entries(start, start + tile.width))
        else:
            found = self.registry.log.tile(tile)
            if found is None:
                raise LogUnavailable("the log has no such tile (yet)")
            data = found
        if tile.full or not tile.entries:  # a partial bundle is read anew: what proofs read are hash tiles
            with self._lock:
                kept, most = (self._cache, CACHED_TILES) if tile.full else (self._partials, CACHED_PARTIAL_TILES)
                kept[tile] = data
                while len(kept) > most:
                    kept.popitem(last=False)
        return data

    def _hashes(self, tile: Tile) -> list[bytes]:
        """A hash tile as its hashes: remembered split (it never changes; proofs read the same few again and again)."""
        with self._lock:
            found = self._split.get(tile)
        if found is None:
            found = split_hashes(self.tile(tile), tile.width)
            with self._lock:
                self._split[tile] = found
                while len(self._split) > CACHED_PARTIAL_TILES:
                    self._split.popitem(last=False)
        return found

    def accept(self, data: bytes, at: datetime) -> list[str]:
        """Keep the cosignatures a witness sends on a checkpoint of this log; returns the witnesses' names kept.

        The note's text must be exactly a checkpoint the log signed; each signature line of a witness in
        service must verify (one that fails refuses the whole note). Raises
        :class:`~verifier.tlog.note.NoteRefused` for a note that is not a cosigned checkpoint of this log.
        """
        note = parse_note(data)
        stated = Checkpoint.from_text(note.text)
        stored = self.registry.log.checkpoint(stated.size) if stated.origin == self.origin else None
        if stored is None or parse_note(stored.note).text != note.text:
            raise NoteRefused("this log signed no such checkpoint", kind=Kind.CONFLICT, code="log_checkpoint_unknown")
        serving = {w.key.name: w.key for w in self.registry.witnesses.serving()}
        found: list[tuple[Signature, int]] = []
        for signature in note.signatures:
            key = serving.get(signature.name)
            if key is not None and signature.id == key.id:
                found.append((signature, verify_cosignature(note.text, signature, key)))
        if not found:
            raise NoteRefused("no cosignature of a witness in service", kind=Kind.FORBIDDEN, code="log_witness_unknown")
        kept = []
        for signature, timestamp in found:
            if timestamp > MAX_TIMESTAMP:
                raise NoteRefused(f"{signature.name}'s cosignature is dated after the year 9999")
            signed_at = datetime.fromtimestamp(timestamp, UTC)
            if self.registry.witnesses.keep(Cosignature(stated.size, signature.name, signature.line(), signed_at), at):
                kept.append(signature.name)
        if kept and self._view is not None:
            self.refresh(at)  # the cosignatures served at once
        return kept

    def health(self, at: datetime) -> Health:
        """The log's state now (for ``/metrics`` and ``verifier log status``)."""
        sequenced, integrated = self.registry.log.sizes()
        latest = self.registry.log.latest()
        witnessed = self.witnessed(at)
        serving = [w.name for w in self.registry.witnesses.serving()]
        newest = self.registry.witnesses.latest(serving)
        return Health(
            sequenced, integrated, latest.size if latest else 0, latest.at if latest else None,
            witnessed.size if witnessed else 0, {name: newest.get(name, (0, None)) for name in serving},
        )  # fmt: skip
