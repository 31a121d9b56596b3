"""An awaited request is answered within its deadline, in time for the tag; what did not fit goes on.

Through the real functions-framework server and the sandbox: a Pinterest that does not answer the
connect, answers too slowly, or asks to wait longer than the deadline leaves. The answer comes
within the deadline (the bound is the deadline plus a generous second for the request's own work),
says `queued` and why, and the event is then delivered by the background sender; the log rows say so.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from function.sandbox.server import Sandbox
from function.settings import Settings
from tests.processes import (
    AD_ACCOUNT,
    SANDBOX_TOKEN,
    FunctionServer,
    control,
    sqlite_rows,
    start_function,
    stop_process,
    wait_until,
)

pytestmark = pytest.mark.slow

# The default deadline: what a deployment gets unless it sets PINTEREST_AWAIT_DEADLINE_S.
DEADLINE_S = Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT}).await_deadline_s
# Stape's tag gives up after 3 s by default.
STAPE_TIMEOUT_S = 3.0



def sandbox_copies(sandbox: Sandbox, event_id: str) -> int:
    """How many times the sandbox processed the event (each call that reached it counts)."""
    records = requests.get(control(sandbox, "events"), timeout=5).json()["events"]
    return sum(1 for r in records if r["event"]["event_id"] == event_id)


def rows(server: FunctionServer, event_id: str) -> list[tuple[str, str, str | None]]:
    """(delivery, outcome, error) of the event's log rows, in the order they were written."""
    return sqlite_rows(server, "SELECT delivery, outcome, error FROM events WHERE event_id = ? "
                               "ORDER BY rowid", (event_id,))


def event(event_id: str) -> dict[str, Any]:
    return {"event_name": "purchase", "event_id": event_id, "value": 1, "currency": "USD",
            "ip_override": "198.51.100.7", "user_agent": "UA/deadline"}


def timed_post(server: FunctionServer, body: object) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = server.post(body)
    return response, time.monotonic() - started


def test_the_default_deadline_leaves_room_under_stapes_default_tag_timeout() -> None:
    assert DEADLINE_S + 0.5 <= STAPE_TIMEOUT_S


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


@pytest.mark.parametrize(("faults", "reason", "copies"), [
    ({"script": ["429"], "retry_after": 4}, "Pinterest answered 429: ", 1),
    # Held 3.5 s, then closed unanswered and unprocessed: the background's call is the one copy.
    ({"script": ["timeout"], "timeout_s": 3.5}, "Pinterest unreachable: timeout", 1),
    # Every call takes 3.5 s and is then processed, the one cut by the deadline too: Pinterest gets
    # the event twice with its one event_id, and deduplicates it.
    ({"probability": 1.0, "kinds": ["slow"], "latency_ms": 3500}, "Pinterest unreachable: timeout", 2),
], ids=["429 Retry-After 4", "held 3.5 s unanswered", "slowed to 3.5 s"])
def test_an_answer_within_the_deadline_says_queued_and_the_event_is_delivered_later(
        clean_sandbox: Sandbox, tmp_path: Path, faults: dict[str, Any], reason: str, copies: int) -> None:
    server = start_function({
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
        "PINTEREST_API_URL": clean_sandbox.url, "LOG_CONSOLE": "no",
    }, tmp_path / "server.log")
    try:
        requests.post(control(clean_sandbox, "faults"), json=faults, timeout=5).raise_for_status()
        response, took_s = timed_post(server, [event("late-1")])
        wait_until(lambda: sandbox_copies(clean_sandbox, "late-1") >= copies)
        wait_until(lambda: Path(str(server.log_path) + ".sqlite3").exists()
                   and ("optimistic", "delivered", None) in rows(server, "late-1"))
    finally:
        stop_process(server.process)
    assert took_s < DEADLINE_S + 1, f"answered after {took_s:.1f} s"
    assert response.status_code == 202, response.text
    answered = response.json()["events"][0]
    assert (answered["event_id"], answered["status"]) == ("late-1", "queued")
    assert answered["reason"].startswith(reason)
    assert answered["reason"].endswith("; retrying in the background")
    assert sandbox_copies(clean_sandbox, "late-1") == copies
    assert [(delivery, outcome) for delivery, outcome, _ in rows(server, "late-1")] == [
        ("awaited", "retrying"), ("optimistic", "delivered")]
    assert rows(server, "late-1")[0][2].endswith("; retrying in the background")


def test_when_the_background_queue_is_full_the_event_fails_saying_so_and_is_not_sent(
        clean_sandbox: Sandbox, tmp_path: Path) -> None:
    server = start_function({
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
        "PINTEREST_API_URL": clean_sandbox.url, "LOG_CONSOLE": "no", "PINTEREST_QUEUE_MAX": "1",
    }, tmp_path / "server.log")
    try:
        requests.post(control(clean_sandbox, "faults"), json={"script": ["429"], "retry_after": 4},
                      timeout=5).raise_for_status()
        response, took_s = timed_post(server, [event("full-1"), event("full-2")])
    finally:
        stop_process(server.process)  # the shutdown would deliver anything queued
    assert took_s < DEADLINE_S + 1, f"answered after {took_s:.1f} s"
    assert response.status_code == 502, response.text  # the tag reports a failure, and it is one
    assert [e["status"] for e in response.json()["events"]] == ["failed", "failed"]
    assert all(e["error"].endswith("; not retried in the background: its queue is full")
               for e in response.json()["events"])
    assert sandbox_copies(clean_sandbox, "full-1") == sandbox_copies(clean_sandbox, "full-2") == 0
    assert [(delivery, outcome) for delivery, outcome, _ in rows(server, "full-1")] == [("awaited", "failed")]
