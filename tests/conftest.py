"""Shared fixtures: a clean environment per test, and the session's sandbox (helpers: tests/processes.py)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from function.sandbox.server import Sandbox, start_sandbox
from tests.processes import SANDBOX_TOKEN, control


@pytest.fixture(autouse=True)
def _restore_environ() -> Iterator[None]:
    """Settings tests change os.environ; every test gets it back as it was."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def unanswered_connect() -> Iterator[str]:
    """A loopback URL whose connects never complete: the listener's accept queue is full, so the
    kernel drops further SYNs, as a Pinterest that does not answer the connect would."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):  # more than the queue holds (backlog 0 still queues one or two)
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/v5"
    for held in [*fillers, listener]:
        held.close()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One real sandbox for the session, answering to SANDBOX_TOKEN."""
    running = start_sandbox(port=0, token=SANDBOX_TOKEN)
    yield running
    running.stop()


@pytest.fixture
def clean_sandbox(sandbox: Sandbox) -> Sandbox:
    """The session's sandbox with its recordings, counters and faults reset before the test."""
    requests.delete(control(sandbox, "events"), timeout=5)
    return sandbox
