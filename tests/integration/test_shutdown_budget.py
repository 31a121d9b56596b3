"""SIGTERM while Pinterest is slow: the queue is full, awaited requests are in flight, SIGKILL 10 s later.

The shutdown budget is counted from SIGTERM, so every accepted event ends delivered (at the sandbox) or
on record in the log table (dropped or failed, with its payload) before the platform's SIGKILL.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from function.sandbox.server import Sandbox, start_sandbox
from tests.processes import (
    AD_ACCOUNT,
    SANDBOX_TOKEN,
    control,
    recorded_ids,
    start_function,
    stop_like_the_platform,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def slow_sandbox() -> Iterator[Sandbox]:
    """Its own sandbox: the slow calls it holds must not record into another test's sandbox."""
    running = start_sandbox(port=0, token=SANDBOX_TOKEN)
    slow = {"probability": 1.0, "kinds": ["slow"], "latency_ms": 30_000}
    requests.post(control(running, "faults"), json=slow, timeout=5)
    yield running
    running.stop()


def on_record(sqlite_path: Path) -> dict[str, dict]:
    """Events the log table holds as dropped or failed, with their payload (the event as it would be sent)."""
    if not sqlite_path.exists():
        return {}
    with sqlite3.connect(sqlite_path) as connection:
        rows = connection.execute(
            "SELECT event_id, request_body FROM events WHERE outcome IN ('dropped', 'failed')")
        return {event_id: json.loads(payload) for event_id, payload in rows if event_id}


def event(event_id: str) -> dict:
    return {"event_name": "purchase", "event_id": event_id, "ip_override": "198.51.100.7",
            "user_agent": "UA/shutdown", "value": 10, "currency": "USD"}


def accepted_ids(response: requests.Response) -> list[str]:
    return [e["event_id"] for e in response.json()["events"] if e["status"] in ("queued", "sent")]


def test_sigterm_with_a_full_queue_and_slow_awaited_requests_loses_nothing(
        slow_sandbox: Sandbox, tmp_path: Path) -> None:
    server = start_function({
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
        "PINTEREST_API_URL": slow_sandbox.url, "PINTEREST_DELIVERY": "optimistic",
        "PINTEREST_QUEUE_MAX": "2000", "PINTEREST_BATCH_WAIT_MS": "60000", "THREADS": "8",
        "LOG_CONSOLE": "no",
    }, tmp_path / "server.log")
    accepted: list[str] = []
    for r in range(60):  # bounded: until the queue is full and a request falls back to awaited
        response = server.post([event(f"q{r}-{i}") for i in range(100)])
        accepted += accepted_ids(response)
        # Fell back to awaited: failed, or queued with a reason (its call goes on after the answer).
        if response.status_code != 202 or any("reason" in e for e in response.json()["events"]):
            break
    else:
        pytest.fail("the queue never filled")
    # The first 1000 went out in one call Pinterest holds; now awaited requests wait on Pinterest too.
    answers: list[requests.Response] = []

    def awaited(n: int) -> None:
        with contextlib.suppress(requests.RequestException):  # cut off by the kill: nothing accepted
            answers.append(server.post([event(f"a{n}-{i}") for i in range(10)]))

    callers = [threading.Thread(target=awaited, args=(n,)) for n in range(6)]
    for caller in callers:
        caller.start()
    time.sleep(1.0)  # let them reach Pinterest
    exited_by_itself = stop_like_the_platform(server.process)
    delivered = set(recorded_ids(slow_sandbox))  # before the sandbox stops: stopping ends its slow calls
    for caller in callers:
        caller.join(timeout=30)
    for answer in answers:
        accepted += accepted_ids(answer)
    recorded = on_record(Path(str(server.log_path) + ".sqlite3"))
    lost = set(accepted) - delivered - set(recorded)
    assert len(accepted) >= 2000
    assert not lost, f"{len(lost)} of {len(accepted)} accepted events lost"
    assert all(recorded[event_id]["event_id"] == event_id for event_id in set(accepted) & set(recorded))
    assert exited_by_itself, "the server overran the platform's 10 s"
