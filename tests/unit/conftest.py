"""Fixtures for the unit tier: a Secret Manager stand-in that the real client library can call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from function.credentials import cache
from tests.secret_manager_stub import SecretManagerStub


@pytest.fixture
def secret_stub() -> Iterator[SecretManagerStub]:
    """A fresh stub on a free port, stopped after the test."""
    stub = SecretManagerStub()
    yield stub
    stub.stop()


@pytest.fixture
def waiting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts callers that wait on a secret read in flight."""
    count: list[int] = []
    real = cache._Flight.outcome

    def outcome(self: object, wait_s: float) -> object:
        count.append(1)
        return real(self, wait_s)  # type: ignore[arg-type]

    monkeypatch.setattr(cache._Flight, "outcome", outcome)
    return count
