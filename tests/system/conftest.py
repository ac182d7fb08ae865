"""What the system tests share: one headless Chromium per module that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.browser import Browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium over DevTools, kept for the module's tests (its cookies and language too)."""
    running = Browser()
    yield running
    running.close()
