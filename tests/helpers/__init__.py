"""What the tests share: the demo certificates, the service in process, databases, servers and browsers.

``certificates`` and ``service`` are re-exported here (``from tests.helpers import DEMO, Service``);
the heavier helpers (``postgres``, ``server``, ``browser``, the hostile corpora) are imported by name.
"""

from tests.helpers.certificates import (
    CHECK_AT,
    CURRENT,
    DELETE,
    DEMO,
    DEMO_DIR,
    PUBLIC_URL,
    REPO,
    SEALED_AT,
    changed,
    demo_certificates_by_name,
)
from tests.helpers.service import Clock, Service, count_certificates, make_settings, running_service

__all__ = [
    "CHECK_AT",
    "CURRENT",
    "DELETE",
    "DEMO",
    "DEMO_DIR",
    "PUBLIC_URL",
    "REPO",
    "SEALED_AT",
    "Clock",
    "Service",
    "changed",
    "count_certificates",
    "demo_certificates_by_name",
    "make_settings",
    "running_service",
]
