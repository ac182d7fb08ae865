"""The status lists' SQL on PostgreSQL (tests/store/conftest.py): indexes drawn, reserved, given back; bits set;
credentials stored and read back; the lists and the known seals current on every replica."""

from tests.service.test_credentials import (  # noqa: F401
    test_indexes_are_random_and_unique_across_1000_issuances,
    test_indexes_are_reserved_before_sealing_and_never_reused,
    test_refused_issuances_give_their_reserved_indexes_back,
    test_status_bits_flip_with_the_status_change,
    test_the_migration_gives_earlier_certificates_their_places_and_bits,
    test_two_replicas_serve_the_same_status_list,
)
from tests.service.test_public_reads import (  # noqa: F401
    services,
    test_a_status_change_reaches_known_seals_here_at_once_and_on_a_replica_within_a_second,
    test_an_earlier_certificate_gets_its_credential_on_first_read_once,
    test_status_lists_and_known_seals_are_served_without_the_database,
    test_the_credential_is_signed_at_issuance_and_served_as_stored,
)
