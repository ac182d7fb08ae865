"""The fast base32 codec agrees with the standard library and refuses every non-canonical text."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier.seal import base32


@given(st.binary(max_size=1200))
def test_matches_the_standard_library(data: bytes) -> None:
    text = base32.encode(data)
    assert text == base64.b32encode(data).decode("ascii").rstrip("=")
    assert base32.decode(text) == data


@given(st.text(alphabet=base32.ALPHABET + "=018abz ", max_size=80))
def test_decodes_exactly_what_it_would_encode(text: str) -> None:
    try:
        data = base32.decode(text)
    except ValueError:
        return
    assert base32.encode(data) == text


@pytest.mark.parametrize(
    "text", ["A", "ABC", "ABCDEF", "AB======", "AB=", "ab", "A1", "0A", "AZ", " AA", "A_AA", "+AA"]
)
def test_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="base32"):
        base32.decode(text)
