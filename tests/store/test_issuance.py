"""Issuance's writes on PostgreSQL (tests/store/conftest.py): a batch all or nothing, numbers once, lists filtered,
a PDF found again by its digest."""

from tests.service.test_api_input import (  # noqa: F401
    test_a_taken_number_says_how_to_get_a_fresh_one,
    test_batch_is_all_or_nothing_on_a_duplicate_number,
    test_batch_is_all_or_nothing_on_bad_input,
    test_list_filters_are_checked,
    test_the_api_documentation_examples_issue_as_they_stand,
)
from tests.service.test_api_verify_pdf import test_verdicts_and_identity  # noqa: F401
