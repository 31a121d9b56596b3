"""A real sandbox on a free port for each test, stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from function.sandbox import Sandbox, start_sandbox
from tests.sandbox.helpers import TOKEN


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh in-process sandbox with no faults."""
    running = start_sandbox("127.0.0.1", 0, TOKEN)
    yield running
    running.stop()
