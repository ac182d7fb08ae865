"""What the tests share: the reference certificates, the service in process, databases, servers and browsers.

``certificates`` and ``service`` are re-exported here (``from tests.helpers import REFERENCE, Service``);
the heavier helpers (``postgres``, ``server``, ``browser``, the hostile corpora) are imported by name.
"""

from tests.helpers.certificates import (
    CHECK_AT,
    CURRENT,
    DELETE,
    PUBLIC_URL,
    REFERENCE,
    REFERENCE_DIR,
    REPO,
    SEALED_AT,
    changed,
    reference_certificates,
)
from tests.helpers.service import Clock, Service, count_certificates, make_settings, running_service

__all__ = [
    "CHECK_AT",
    "CURRENT",
    "DELETE",
    "PUBLIC_URL",
    "REFERENCE",
    "REFERENCE_DIR",
    "REPO",
    "SEALED_AT",
    "Clock",
    "Service",
    "changed",
    "count_certificates",
    "make_settings",
    "reference_certificates",
    "running_service",
]
