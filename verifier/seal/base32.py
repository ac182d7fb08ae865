"""RFC 4648 base32, upper case, unpadded, canonical: fast enough for the hot path of every scan.

The standard library's codec is written in Python and costs tens of microseconds for one seal; here
both directions run as a handful of big-integer operations in C.
"""

from __future__ import annotations

import re
from functools import cache

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TEXT = re.compile(r"[A-Z2-7]*")
_TO_INT_DIGITS = str.maketrans(ALPHABET, "0123456789abcdefghijklmnopqrstuv")
_FROM_VALUES = bytes.maketrans(bytes(range(32)), ALPHABET.encode("ascii"))


def encode(data: bytes) -> str:
    """``data`` in unpadded upper-case base32; unused bits of the last character are zero."""
    length = len(data)
    chars = (8 * length + 4) // 5
    value = int.from_bytes(data, "big") << (5 * chars - 8 * length)
    levels = max(1, (chars - 1).bit_length())
    # Move every 5-bit group into a byte of its own, halving the blocks at each level.
    for mask, shift in _spread_masks(levels):
        low = value & mask
        value = low | ((value ^ low) << shift)
    slots = 1 << levels
    return value.to_bytes(slots, "big")[slots - chars :].translate(_FROM_VALUES).decode("ascii")


def decode(text: str) -> bytes:
    """The bytes of an unpadded upper-case base32 text that :func:`encode` would write exactly.

    Raises ValueError for another alphabet, padding, an impossible length or non-zero unused bits.
    """
    if not _TEXT.fullmatch(text) or len(text) % 8 in (1, 3, 6):
        raise ValueError("not unpadded RFC 4648 base32")
    if not text:
        return b""
    bits = 5 * len(text)
    length = bits // 8
    stray = bits - 8 * length
    value = int(text.translate(_TO_INT_DIGITS), 32)
    if value & ((1 << stray) - 1):
        raise ValueError("base32 with stray bits")
    return (value >> stray).to_bytes(length, "big")


@cache
def _spread_masks(levels: int) -> tuple[tuple[int, int], ...]:
    """For 2**levels groups of 5 bits: per level, the mask of each block's low half and its upper half's shift."""
    masks = []
    for level in reversed(range(levels)):
        half = 1 << level
        low_half = (1 << (5 * half)) - 1
        stride = 16 * half  # a block of 2 * half groups, already spread to 8 bits each
        mask = 0
        for block in range(1 << (levels - level - 1)):
            mask |= low_half << (block * stride)
        masks.append((mask, 3 * half))
    return tuple(masks)
