"""Jobs on PostgreSQL (tests/store/conftest.py): submitted, kept per issuer and bounded, claimed in SQL."""

from tests.service.test_jobs import (  # noqa: F401
    test_an_issuer_has_at_most_ten_jobs_waiting,
    test_jobs_are_checked_up_front_and_kept_per_issuer,
)
from tests.system.test_jobs_rendered import test_a_running_job_cancelled_writes_nothing  # noqa: F401
