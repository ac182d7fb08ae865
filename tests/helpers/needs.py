"""A system library no machine has, for the tests of what issuance needs."""

from __future__ import annotations

from verifier.needs import Need

ABSENT = Need("libzbar0", "zbar, the self-test's second QR decoder", library="libzbar-absent-for-a-test.so.0")
