"""The QR mask chosen by the standard's penalty rules, as segno chooses it, in a few milliseconds rather than tens.

ISO/IEC 18004 (7.8.3) has the encoder try the eight data masks and keep the one with the lowest penalty
(runs of a colour, 2×2 blocks, finder-like patterns, the balance of dark and light). segno does so
module by module in Python: 15–50 ms a symbol, a tenth of a certificate's rendering. :func:`install`
puts :func:`find_and_apply_best_mask` in its place: the same rules over whole rows at once (XOR of row
integers, regular expressions over bytes, bit planes for the blocks), the same mask and matrix for
every symbol (tests/unit/test_qr.py holds it against segno's own on symbols of every version), so the same
text still gives the very same QR code. Micro QR codes and a mask asked for go to segno's code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain
from typing import Any

import segno.encoder

encoder: Any = segno.encoder  # untyped
_original = encoder.find_and_apply_best_mask
_RUNS = re.compile(rb"\x00{5,}|\x01{5,}|\x02{5,}|\x03{5,}")  # five or more modules of one value in a row
_FINDER = b"\x01\x00\x01\x01\x01\x00\x01"  # dark light dark dark dark light dark: 1:1:3:1:1
_PLANES = (bytes.maketrans(b"\x00\x01\x02\x03", b"0101"), bytes.maketrans(b"\x00\x01\x02\x03", b"0011"))


@lru_cache(maxsize=8)
def _masks(size: int) -> tuple[tuple[int, ...], ...]:
    """Per mask, per row: an integer with byte 1 where the mask flips a module of the encoding region."""
    function = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(function, size, size)
    encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1
    masks = []
    for pattern in encoder.get_data_mask_functions(False):
        rows = []
        for i in range(size):
            flips = bytes(1 if function[i][j] > 0x1 and pattern(i, j) else 0 for j in range(size))
            rows.append(int.from_bytes(flips, "big"))
        masks.append(tuple(rows))
    return tuple(masks)


def find_and_apply_best_mask(matrix: Any, width: int, height: int, proposed_mask: int | None = None) -> Any:
    """The best mask's number and the matrix masked with it, as segno's ``find_and_apply_best_mask``."""
    if proposed_mask is not None or width != height or width < 21 or any(max(row) > 3 for row in matrix):
        return _original(matrix, width, height, proposed_mask)
    rows = [int.from_bytes(row, "big") for row in matrix]
    best_score: int | None = None
    best_pattern = 0
    best_rows: tuple[bytes, ...] = ()
    for number, mask in enumerate(_masks(width)):
        masked = tuple((row ^ flips).to_bytes(width, "big") for row, flips in zip(rows, mask, strict=True))
        score = penalty(masked, width)
        if best_score is None or score < best_score:
            best_score, best_pattern, best_rows = score, number, masked
    return best_pattern, tuple(bytearray(row) for row in best_rows)


def penalty(rows: tuple[bytes, ...], size: int) -> int:
    """The penalty score N1 + N2 + N3 + N4 of a masked matrix (format and version areas still blank)."""
    columns = [bytes(column) for column in zip(*rows, strict=True)]
    runs = [run for line in chain(rows, columns) for run in _RUNS.findall(line)]
    n1 = sum(map(len, runs)) - 2 * len(runs)  # each run of L modules: L - 2
    n3 = sum(_finder_like(line, size) for line in chain(rows, columns))
    # N2: 2×2 blocks of one value, counted at their lower right module; each module's value as two bit planes.
    inner = (1 << (size - 1)) - 1
    n2 = 0
    above: tuple[int, int] | None = None
    for row in rows:
        planes = (int(row.translate(_PLANES[0]), 2), int(row.translate(_PLANES[1]), 2))
        if above is not None:
            (a0, a1), (b0, b1) = above, planes
            differ = (a0 ^ (a0 >> 1)) | (a1 ^ (a1 >> 1)) | (b0 ^ (b0 >> 1)) | (b1 ^ (b1 >> 1)) | (a0 ^ b0) | (a1 ^ b1)
            n2 += 3 * (~differ & inner).bit_count()
        above = planes
    dark = sum(sum(row) for row in rows)
    percent = float(dark) / (size**2)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


def _finder_like(line: bytes, size: int) -> int:
    """N3 of one row or column: 40 for each 1:1:3:1:1 pattern with four light modules on one side."""
    score = 0
    index = line.find(_FINDER)
    while index != -1:
        after = index + 7
        if index in (0, size - 7) or not any(line[max(index - 4, 0) : index]) or not any(line[after : after + 4]):
            score += 40
        else:
            after = index + 4  # not enough light around: the next match may start at the middle dark run
        index = line.find(_FINDER, after)
    return score


def install() -> None:
    """Make segno choose masks with :func:`find_and_apply_best_mask`."""
    encoder.find_and_apply_best_mask = find_and_apply_best_mask
