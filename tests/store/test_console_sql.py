"""The console's and the import's SQL on PostgreSQL (tests/store/conftest.py): search with its LIKE escapes and
paging, numbers looked up, sessions and roles, an import's jobs and its original statuses, a second run's nothing."""

from tests.service.test_console import (  # noqa: F401
    desk,
    test_a_pasted_list_is_checked_confirmed_then_changed,
    test_a_session_cookie_from_before_sign_out_no_longer_works,
    test_paging_runs_through_every_certificate_once,
    test_search_finds_by_number_holder_credit_code_hs_code_market_status_and_validity,
    test_twenty_wrong_passwords_lock_the_account_and_say_so_in_the_audit_log,
)
from tests.service.test_imports import (  # noqa: F401
    test_an_import_keeps_numbers_dates_and_statuses_and_a_second_run_changes_nothing,
)
