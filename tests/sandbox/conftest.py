"""A fresh sandbox per test for the sandbox's own tests, in place of the session's (tests/conftest.py):
they change its state, and a sleeping fault must not outlive its test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from function.sandbox import Sandbox, start_sandbox
from tests.sandbox.helpers import TOKEN


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh in-process sandbox with no faults, stopped after the test."""
    running = start_sandbox("127.0.0.1", 0, TOKEN)
    yield running
    running.stop()
