"""tests/service/test_refusals.py on PostgreSQL (tests/store/conftest.py): its subject is the registry's SQL."""

from tests.service.test_refusals import *  # noqa: F403
