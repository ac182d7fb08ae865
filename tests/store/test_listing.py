"""tests/service/test_api_list.py on PostgreSQL (tests/store/conftest.py): its subject is the registry's SQL."""

from tests.service.test_api_list import *  # noqa: F403
