"""tests/service/test_key_withdrawal.py on PostgreSQL (tests/store/conftest.py): its subject is the registry's SQL."""

from tests.service.test_key_withdrawal import *  # noqa: F403
