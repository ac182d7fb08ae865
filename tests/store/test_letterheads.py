"""Letterheads and stamps on PostgreSQL (tests/store/conftest.py): kept, changed, cleared; a refusal keeps all."""

from tests.service.test_letterhead import (  # noqa: F401
    test_bad_letterhead_is_refused_and_changes_nothing,
    test_bad_stamps_are_refused_and_lose_nothing,
    test_letterhead_set_at_registration_then_updated_and_cleared,
    test_only_the_operator_sets_letterheads,
    test_svg_stamp_accepted_then_removed,
)
