"""tests/service/test_tokens.py on PostgreSQL (tests/store/conftest.py): its subject is the registry's SQL."""

from tests.service.test_tokens import *  # noqa: F403
