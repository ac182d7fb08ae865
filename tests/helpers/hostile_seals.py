"""Hostile seal encodings, as an attacker writes them: for the decoder's tests, fuzzing and benchmark.

Each entry is COSE bytes that no encoder of ours writes, built to make a general CBOR decoder slow or
greedy: shared values (tags 28/29) that describe 2**n nodes in a few hundred bytes, deep nesting,
declared lengths far beyond the bytes that follow, many small items, indefinite lengths, and tags a
general decoder turns into objects (bignums, sets, regular expressions, dates). They are placed where
a verifier meets them: the whole envelope, the unprotected header, the protected header and the claims.
"""

from __future__ import annotations

from collections.abc import Callable

from verifier.seal.cose import protected_header, to_be_signed
from verifier.trust.keys import SigningKey


def head(major: int, value: int) -> bytes:
    """A CBOR head in its shortest form."""
    if value < 24:
        return bytes([major << 5 | value])
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * width):
            return bytes([major << 5 | info]) + value.to_bytes(width, "big")
    raise ValueError(value)


def bstr(data: bytes) -> bytes:
    return head(2, len(data)) + data


def shared_values(levels: int) -> bytes:
    """``28([28([... 28([0]) ...]), 29(k)])``: each level holds the one below twice, 2**levels nodes.

    A decoder numbers shareable items in the order it meets them, outermost first: level k (counted
    from the innermost, 0) has index ``levels - k``.
    """
    item = b"\xd8\x1c\x81\x00"  # the innermost: shareable [0]
    for level in range(1, levels + 1):
        item = b"\xd8\x1c\x82" + item + b"\xd8\x1d" + head(0, levels - level + 1)
    return item


def nested_arrays(depth: int) -> bytes:
    return b"\x81" * depth + b"\x00"


def nested_maps(depth: int) -> bytes:
    return b"\xa1\x00" * depth + b"\x00"


def many_items(count: int) -> bytes:
    return head(4, count) + b"\x00" * count


def many_keys(count: int) -> bytes:
    return head(5, count) + b"".join(head(0, i) + b"\x00" for i in range(count))


def indefinite_chunks(count: int) -> bytes:
    return b"\x5f" + b"\x41\x00" * count + b"\xff"


def bignum(size: int) -> bytes:
    return b"\xc2" + bstr(b"\xff" * size)


def big_set(count: int) -> bytes:
    return b"\xd9\x01\x02" + many_items(count)  # tag 258: a set (every member hashed)


def regex(pattern: str) -> bytes:
    data = pattern.encode()
    return b"\xd8\x23" + head(3, len(data)) + data  # tag 35: a regular expression


# Items a general decoder must work hard on; each small enough for a seal.
ITEMS: dict[str, Callable[[], bytes]] = {
    "shared values n=30": lambda: shared_values(30),
    "shared values n=50": lambda: shared_values(50),
    "nested arrays x600": lambda: nested_arrays(600),
    "nested maps x300": lambda: nested_maps(300),
    "array of 600 zeros": lambda: many_items(600),
    "map of 200 keys": lambda: many_keys(200),
    "indefinite byte string of 300 chunks": lambda: indefinite_chunks(300),
    "bignum of 600 bytes": lambda: bignum(600),
    "set of 600 zeros": lambda: big_set(600),
    "regular expression": lambda: regex("(a+)+$" * 40),
    "huge byte string length": lambda: b"\x5b" + b"\xff" * 8,
    "huge array length": lambda: b"\x9b" + b"\xff" * 8,
    "huge map length": lambda: b"\xbb" + b"\x7f" + b"\xff" * 7,
    "half float NaN": lambda: b"\xf9\x7e\x00",
    "epoch date far away": lambda: b"\xc1\x1b" + b"\x7f" + b"\xff" * 7,
}


def envelope(protected: bytes, unprotected: bytes, payload: bytes, signature: bytes, tag: bool = True) -> bytes:
    """A COSE_Sign1 of raw parts (``unprotected`` already encoded)."""
    return (b"\xd2" if tag else b"") + b"\x84" + bstr(protected) + unprotected + bstr(payload) + bstr(signature)


def corpus(key: SigningKey, genuine_claims: bytes) -> dict[str, bytes]:
    """Hostile COSE bytes for ``key`` (a trusted key): each item in each place a verifier meets it.

    In the claims the signature is genuine (as with a stolen key), so the claims reader runs too.
    """
    out: dict[str, bytes] = {}
    protected = protected_header(key.kid)
    signature = key.private_key.sign(to_be_signed(protected, genuine_claims))
    for name, make in ITEMS.items():
        item = make()
        out[f"{name}: whole envelope"] = b"\xd2" + item
        out[f"{name}: unprotected header key"] = envelope(
            protected, b"\xa1" + item + b"\x00", genuine_claims, signature
        )
        out[f"{name}: protected header"] = envelope(item, b"\xa0", genuine_claims, signature)
        claims = item
        out[f"{name}: signed claims"] = envelope(
            protected, b"\xa0", claims, key.private_key.sign(to_be_signed(protected, claims))
        )
    return out
