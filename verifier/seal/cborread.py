"""A strict CBOR reader for exactly what the seal may hold: decided in time linear in its input.

The general decoder (cbor2) understands every tag, including the shared values of tags 28/29, with
which 300 bytes describe a structure of 2**n nodes; it must never see bytes a stranger wrote. This
reader knows only what the seal's layout uses and refuses the rest:

* unsigned and negative integers, byte strings, UTF-8 text strings, arrays and maps;
* a tag only as the outermost item, and only when the caller allows one (COSE_Sign1's tag 18);
* definite lengths only, every head in its shortest form, map keys unique and in the deterministic
  order of RFC 8949 §4.2.1 (bytewise order of their encodings) and each an integer or a text;
* no floats, no simple values, no indefinite lengths, no bytes after the item;
* at most ``max_depth`` levels and ``max_items`` entries in one array or map, and no declared length
  beyond the bytes that are there (checked before anything is allocated).

What it accepts is therefore deterministically encoded: encoding the result again gives the same bytes.
Every byte is looked at once, so any input is decided in time proportional to its length.
"""

from __future__ import annotations

from typing import NamedTuple

MAX_DEPTH = 8
MAX_ITEMS = 64


class CborError(ValueError):
    """The bytes are not CBOR of the allowed shape; the message says what, never quoting them."""


class Tag(NamedTuple):
    """A tagged item (only ever the outermost one)."""

    number: int
    value: object


# The smallest value each head length may carry: anything less has a shorter head (not deterministic).
_SHORTEST = {24: 24, 25: 0x100, 26: 0x10000, 27: 0x1_0000_0000}


def loads(data: bytes, *, tag: bool = False, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS) -> object:
    """The one item ``data`` holds, as int, bytes, str, list, dict (or a :class:`Tag` when ``tag``).

    Raises :class:`CborError` for anything outside the allowed shape.
    """
    reader = _Reader(bytes(data), max_depth, max_items)
    if tag and data and data[0] >> 5 == 6:
        number = reader.argument(6)
        value: object = Tag(number, reader.item(1))
    else:
        value = reader.item(0)
    if reader.pos != len(reader.data):
        raise CborError("bytes after the CBOR item")
    return value


class _Reader:
    __slots__ = ("data", "max_depth", "max_items", "pos")

    def __init__(self, data: bytes, max_depth: int, max_items: int) -> None:
        self.data = data
        self.pos = 0
        self.max_depth = max_depth
        self.max_items = max_items

    def argument(self, major: int) -> int:
        """The argument of the head at ``pos``, in its shortest form; ``pos`` moves past the head."""
        data, pos = self.data, self.pos  # the caller has seen the head's first byte
        info = data[pos] & 31
        if info < 24:
            self.pos = pos + 1
            return info
        if info > 27:
            raise CborError("indefinite length or reserved value")
        end = pos + 1 + (1 << (info - 24))
        if end > len(data):
            raise CborError("truncated CBOR")
        value = int.from_bytes(data[pos + 1 : end], "big")
        if value < _SHORTEST[info]:
            raise CborError("a head is not in its shortest form")
        self.pos = end
        return value

    def item(self, depth: int) -> object:
        """The item at ``pos`` (one call per item: this runs for every byte a stranger sends)."""
        data, pos = self.data, self.pos
        if pos >= len(data):
            raise CborError("truncated CBOR")
        initial = data[pos]
        major = initial >> 5
        if initial < 0x18:  # the commonest: a small unsigned integer
            self.pos = pos + 1
            return initial
        if major >= 6:
            raise CborError("tags are not allowed here" if major == 6 else "floats and simple values are not allowed")
        argument = self.argument(major)
        if major == 0:
            return argument
        if major == 1:
            return -1 - argument
        if major <= 3:
            start = self.pos
            end = start + argument
            if end > len(data):
                raise CborError("a string is longer than the bytes that follow")
            self.pos = end
            if major == 2:
                return data[start:end]
            try:
                return data[start:end].decode("utf-8")
            except UnicodeDecodeError:
                raise CborError("a text string is not UTF-8") from None
        if depth >= self.max_depth:
            raise CborError(f"nested deeper than {self.max_depth} levels")
        if argument > self.max_items:
            raise CborError(f"more than {self.max_items} entries in an array or map")
        if argument > len(data) - self.pos:  # every entry takes at least one byte
            raise CborError("an array or map is longer than the bytes that follow")
        if major == 4:
            return [self.item(depth + 1) for _ in range(argument)]
        out: dict[object, object] = {}
        previous = b""
        for _ in range(argument):
            start = self.pos
            if start < len(data) and data[start] >> 5 not in (0, 1, 3):
                raise CborError("a map key is not an integer or a text")
            key = self.item(depth + 1)
            encoded = data[start : self.pos]
            if encoded <= previous:
                raise CborError("map keys are repeated or not in deterministic order")
            previous = encoded
            out[key] = self.item(depth + 1)
        return out
