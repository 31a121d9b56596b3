"""An awaited request is answered within its deadline, in time for the tag; what did not fit goes on.

Through the real functions-framework server and the sandbox: a Pinterest that does not answer the
connect, answers too slowly, or asks to wait longer than the deadline leaves. The answer comes
within the deadline (the bound is the deadline plus a generous second for the request's own work),
says `queued` and why, and the event is then delivered by the background sender; the log rows say so.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from function.sandbox.server import Sandbox
from function.settings import Settings
from tests.processes import AD_ACCOUNT, SANDBOX_TOKEN, FunctionServer, start_function, stop_process

pytestmark = pytest.mark.slow

# The default deadline: what a deployment gets unless it sets PINTEREST_AWAIT_DEADLINE_S.
DEADLINE_S = Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT}).await_deadline_s
# Stape's tag gives up after 3 s by default.
STAPE_TIMEOUT_S = 3.0


def control(sandbox: Sandbox, path: str) -> str:
    return f"{sandbox.url.removesuffix('/v5')}/_sandbox/{path}"


def sandbox_copies(sandbox: Sandbox, event_id: str) -> int:
    """How many times the sandbox processed the event (each call that reached it counts)."""
    records = requests.get(control(sandbox, "events"), timeout=5).json()["events"]
    return sum(1 for r in records if r["event"]["event_id"] == event_id)


def wait_until(condition: Any, timeout_s: float = 20.0) -> None:
    """Bounded wait for an outcome, never a timing assertion."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not condition():
        time.sleep(0.1)


def rows(server: FunctionServer, event_id: str) -> list[tuple[str, str, str | None]]:
    """(delivery, outcome, error) of the event's log rows, in the order they were written."""
    with sqlite3.connect(str(server.log_path) + ".sqlite3") as db:
        return db.execute("SELECT delivery, outcome, error FROM events WHERE event_id = ? ORDER BY rowid",
                          (event_id,)).fetchall()


def event(event_id: str) -> dict[str, Any]:
    return {"event_name": "purchase", "event_id": event_id, "value": 1, "currency": "USD",
            "ip_override": "198.51.100.7", "user_agent": "UA/deadline"}


def timed_post(server: FunctionServer, body: object) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = server.post(body)
    return response, time.monotonic() - started


def test_an_awaited_request_is_answered_within_its_deadline_when_the_connect_hangs(
        unanswered_connect: str, tmp_path: Path) -> None:
    server = start_function({
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
        "PINTEREST_API_URL": unanswered_connect, "PINTEREST_AWAIT_DEADLINE_S": "1.5", "LOG_CONSOLE": "no",
    }, tmp_path / "server.log")
    try:
        response, took_s = timed_post(server, [event("hang-1")])
    finally:
        stop_process(server.process)
    assert response.status_code == 202, response.text  # not abandoned: it goes on in the background
    assert response.json()["events"][0]["reason"] == (
        "Pinterest unreachable: timeout; retrying in the background")
    # The deadline (1.5 s) and the request's own work; a 3 s connect timeout, as before, overran it.
    assert took_s < 2.5, f"answered after {took_s:.1f} s"
