"""C2SP tlog-tiles: tile paths, the tiles a tree of a given size has, hashes read from tiles, entry bundles.

A tile at level ``L`` holds up to 256 consecutive hashes at tree height ``8·L`` (level 0: leaf hashes); the
heights between are hashed from them. Paths write a tile's index in three-digit groups, every group but the
last prefixed ``x`` (``x001/x234/067``); a partial tile (the right edge) adds ``.p/<width>``. Entry bundles
(``tile/entries/<N>``) hold the leaves themselves, each prefixed by its length as a big-endian uint16.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from verifier.errors import Kind
from verifier.tlog.merkle import HASH_SIZE, MAX_TREE_SIZE, NodeReader, ProofRefused, node_hash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
MAX_ENTRY = 0xFFFF  # a bundle's length prefix is 16 bits
_GROUP = re.compile(r"x[0-9]{3}")
_LAST = re.compile(r"[0-9]{3}")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_LEVEL = re.compile(r"0|[1-9][0-9]?")
MAX_INDEX_GROUPS = 7  # 10^21 tiles: more than any tree of MAX_TREE_SIZE leaves has


class TileRefused(ProofRefused):
    """A tile path that names no tile (so none is there: not found), or bytes that are not what their path says."""

    kind = Kind.NOT_FOUND
    code = "tile_refused"


@dataclass(frozen=True)
class Tile:
    """One tile: its level (``-1`` for an entry bundle), its index in the level, its width (256 when full)."""

    level: int
    index: int
    width: int = TILE_WIDTH

    @property
    def entries(self) -> bool:
        """Whether this is an entry bundle rather than a tile of hashes."""
        return self.level < 0

    @property
    def full(self) -> bool:
        """Whether the tile is complete (and so never changes)."""
        return self.width == TILE_WIDTH

    def path(self) -> str:
        """The tile's path under the log's prefix, e.g. ``tile/0/x001/234.p/7`` or ``tile/entries/012``."""
        digits = f"{self.index:03d}"
        digits = "0" * (-len(digits) % 3) + digits
        groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
        named = "/".join([*("x" + g for g in groups[:-1]), groups[-1]])
        level = "entries" if self.entries else str(self.level)
        return f"tile/{level}/{named}" + ("" if self.full else f".p/{self.width}")


def parse_tile_path(path: str) -> Tile:
    """The tile a path (after ``tile/``) names; raises :class:`TileRefused` for anything the spec does not allow.

    Bounded before any arithmetic: at most :data:`MAX_INDEX_GROUPS` groups, levels 0 to 63, widths 1 to 255.
    """
    parts = path.split("/", MAX_INDEX_GROUPS + 3)
    if len(parts) < 2 or len(parts) > MAX_INDEX_GROUPS + 3:
        raise TileRefused("not a tile path")
    level_text, rest = parts[0], parts[1:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _WIDTH.fullmatch(rest[-1]) or int(rest[-1]) >= TILE_WIDTH:
            raise TileRefused("a partial tile's width is 1 to 255")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][:-2]]
    if not rest or len(rest) > MAX_INDEX_GROUPS:
        raise TileRefused("not a tile index")
    if not all(_GROUP.fullmatch(g) for g in rest[:-1]) or not _LAST.fullmatch(rest[-1]):
        raise TileRefused("a tile index is written in three-digit groups, x-prefixed but the last")
    index = int("".join(g.lstrip("x") for g in rest))
    if len(rest) > 1 and rest[0] == "x000":
        raise TileRefused("a tile index has no leading zero groups")
    if level_text == "entries":
        level = -1
    elif _LEVEL.fullmatch(level_text) and int(level_text) <= MAX_LEVEL:
        level = int(level_text)
    else:
        raise TileRefused("a tile's level is 0 to 63 or 'entries'")
    if index >= MAX_TREE_SIZE >> (TILE_HEIGHT * (max(level, 0) + 1)):
        raise TileRefused("no tree this large")
    return Tile(level, index, width)


def tiles_of(size: int, level: int) -> int:
    """How many hashes level ``level`` holds in a tree of ``size`` leaves (complete subtrees of height 8·level)."""
    return size >> (TILE_HEIGHT * level)


def tile_for(size: int, level: int, index: int) -> Tile | None:
    """The tile of a tree of ``size`` leaves that holds hash ``index`` of ``level`` (None: the tree has no such hash).

    Full when the tree has all its 256 hashes; otherwise the partial tile of the width the tree gives it.
    """
    count = tiles_of(size, level)
    if not 0 <= index < count:
        return None
    n = index // TILE_WIDTH
    return Tile(level, n, min(TILE_WIDTH, count - n * TILE_WIDTH))


def split_hashes(data: bytes, width: int) -> list[bytes]:
    """A tile's bytes as its hashes; raises :class:`TileRefused` unless it is exactly ``width`` hashes."""
    if len(data) != width * HASH_SIZE:
        raise TileRefused(f"a tile of width {width} is {width * HASH_SIZE} bytes, not {len(data)}")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def tile_reader(size: int, fetch: Callable[[Tile], list[bytes]]) -> NodeReader:
    """A :data:`~verifier.tlog.merkle.NodeReader` over the tiles of a tree of ``size`` leaves.

    ``fetch`` gives a tile's hashes (fetched, read from the database, cached: the caller's choice); a
    height between two levels is hashed from the level below's hashes inside one tile.
    """

    def node(height: int, index: int) -> bytes:
        level, below = divmod(height, TILE_HEIGHT)
        first, count = index << below, 1 << below
        tile = tile_for(size, level, first + count - 1)
        if tile is None:
            raise TileRefused(f"a tree of {size} leaves has no node {height}/{index}")
        hashes = fetch(tile)
        offset = first - tile.index * TILE_WIDTH
        layer = hashes[offset : offset + count]
        while len(layer) > 1:
            layer = [node_hash(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
        return layer[0]

    return node


def bundle(entries: list[bytes]) -> bytes:
    """An entry bundle: each entry prefixed by its length (big-endian uint16)."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY:
            raise TileRefused(f"an entry is at most {MAX_ENTRY} bytes")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def unbundle(data: bytes, width: int) -> list[bytes]:
    """The entries of a bundle of ``width`` entries; raises :class:`TileRefused` for any other bytes."""
    entries: list[bytes] = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise TileRefused("an entry bundle ends inside a length")
        length = int.from_bytes(data[at : at + 2], "big")
        if at + 2 + length > len(data):
            raise TileRefused("an entry bundle ends inside an entry")
        entries.append(data[at + 2 : at + 2 + length])
        at += 2 + length
        if len(entries) > width:
            break
    if len(entries) != width:
        raise TileRefused(f"an entry bundle of width {width} holds {width} entries")
    return entries
