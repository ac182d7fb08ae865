"""The public reads' pure parts: If-None-Match read within bounds, and the credentials held within a budget."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from verifier.api.conditional import MAX_HEADER, MAX_TAGS, not_modified
from verifier.reads.credentials import CredentialCache
from verifier.reads.lists import Representations, etag

TAG = '"0123456789abcdef0123456789abcdef"'


def test_if_none_match_names_the_tag_weakly_or_with_a_star() -> None:
    assert not_modified(TAG, TAG)
    assert not_modified(f"W/{TAG}", TAG)  # weak comparison, as RFC 9110 says for If-None-Match
    assert not_modified(f'"a", {TAG} ,"b"', TAG)
    assert not_modified(" * ", TAG)
    assert not not_modified(None, TAG)
    assert not not_modified("", TAG)
    assert not not_modified(TAG[:-2] + '"', TAG)
    assert not not_modified(TAG.strip('"'), TAG)  # unquoted: not an entity tag


def test_if_none_match_is_read_within_bounds() -> None:
    many = ", ".join(f'"{i}"' for i in range(MAX_TAGS)) + f", {TAG}"
    assert len(many) < MAX_HEADER
    assert not not_modified(many, TAG)  # past the 64th tag: not read
    assert not_modified(", ".join(f'"{i}"' for i in range(MAX_TAGS - 1)) + f", {TAG}", TAG)
    assert not not_modified(" " * MAX_HEADER + TAG, TAG)  # too long to read at all: the full answer


@given(st.text(max_size=200))
def test_no_header_raises(header: str) -> None:
    assert not_modified(header, TAG) in (True, False)


def test_representations_and_their_strong_tags() -> None:
    served = Representations.of("eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln")
    assert served.jwt == b"eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln"
    assert served.enveloped.startswith(
        b'{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"data:application/vc+jwt,'
    )
    assert served.jwt_etag == etag(served.jwt) != served.enveloped_etag == etag(served.enveloped)


def test_the_credentials_held_stay_within_the_budget() -> None:
    one = Representations.of("eyJ." + "a" * 1000 + ".sig")
    cache = CredentialCache(budget=one.size * 3)
    for i in range(10):
        cache.put(f"id-{i}", one)
        assert cache.held <= cache.budget
    assert len(cache) == 3 and cache.get("id-0") is None and cache.get("id-9") is one
    cache.get("id-7")  # asked for: kept longest
    cache.put("id-10", one)
    assert cache.get("id-7") is one and cache.get("id-8") is None
    cache.put("huge", Representations.of("eyJ." + "a" * (one.size * 4) + ".sig"))  # more than the budget: not held
    assert cache.get("huge") is None and cache.held <= cache.budget
