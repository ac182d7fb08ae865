"""tests/service/test_trust_list_versions.py on PostgreSQL (tests/store/conftest.py): the registry's SQL."""

from tests.service.test_trust_list_versions import *  # noqa: F403
