"""The status lists' SQL on PostgreSQL (tests/store/conftest.py): indexes drawn, reserved, given back; bits set."""

from tests.service.test_credentials import (  # noqa: F401
    test_indexes_are_random_and_unique_across_1000_issuances,
    test_indexes_are_reserved_before_sealing_and_never_reused,
    test_refused_issuances_give_their_reserved_indexes_back,
    test_status_bits_flip_with_the_status_change,
    test_the_migration_gives_earlier_certificates_their_places_and_bits,
    test_two_replicas_serve_the_same_status_list,
)
