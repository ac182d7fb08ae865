"""tests/service/test_api_operator.py on PostgreSQL (tests/store/conftest.py): its subject is the registry's SQL."""

from tests.service.test_api_operator import *  # noqa: F403
