"""tests/service/test_api_status.py on PostgreSQL (tests/store/conftest.py): its subject is the registry's SQL."""

from tests.service.test_api_status import *  # noqa: F403
