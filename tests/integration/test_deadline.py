"""An awaited request is answered within its deadline, in time for the tag; what did not fit goes on.

Through the real functions-framework server and the sandbox: a Pinterest that does not answer the
connect, answers too slowly, or asks to wait longer than the deadline leaves. The answer comes
within the deadline (the bound is the deadline plus a generous second for the request's own work),
says `queued` and why, and the event is then delivered exactly once: by the call that went on
after the answer, or by the background sender when that call could not deliver it; the log rows
say which.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from function.delivery.awaited import STILL_CALLING
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
    assert response.status_code == 202, response.text  # not abandoned: its call goes on
    assert response.json()["events"][0]["reason"] == STILL_CALLING
    # The deadline (1.5 s) and the request's own work; the 3 s connect timeout goes on after the answer.
    assert took_s < 2.5, f"answered after {took_s:.1f} s"


# What each case leaves in the log, row by row: (delivery, outcome, how the error starts).
_ANSWERED_AT_THE_DEADLINE = ("awaited", "retrying", STILL_CALLING)


@pytest.mark.parametrize(("faults", "reason", "story"), [
    # Answered at once, asking for 4 s: handed off, and the background's call is the one copy.
    ({"script": ["429"], "retry_after": 4}, "Pinterest answered 429: ",
     [("awaited", "retrying", "Pinterest answered 429: "), ("optimistic", "delivered", None)]),
    # Held 3.5 s, then closed unanswered and unprocessed: the call goes on past the answer, ends
    # retryable, and is handed off; the background's call is the one copy.
    ({"script": ["timeout"], "timeout_s": 3.5}, STILL_CALLING,
     [_ANSWERED_AT_THE_DEADLINE, ("awaited", "retrying", "Pinterest unreachable: "),
      ("optimistic", "delivered", None)]),
    # Every call takes 3.5 s and is then processed: the call goes on past the answer and delivers;
    # nothing sends it again (before: cut at the deadline, then re-sent, so the sandbox had it twice).
    ({"probability": 1.0, "kinds": ["slow"], "latency_ms": 3500}, STILL_CALLING,
     [_ANSWERED_AT_THE_DEADLINE, ("awaited", "delivered", None)]),
], ids=["429 Retry-After 4", "held 3.5 s unanswered", "slowed to 3.5 s"])
def test_an_answer_within_the_deadline_says_queued_and_the_event_is_delivered_once_later(
        clean_sandbox: Sandbox, tmp_path: Path, faults: dict[str, Any], reason: str,
        story: list[tuple[str, str, str | None]]) -> None:
    server = start_function({
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
        "PINTEREST_API_URL": clean_sandbox.url, "LOG_CONSOLE": "no",
    }, tmp_path / "server.log")
    delivered = story[-1][:2]
    try:
        requests.post(control(clean_sandbox, "faults"), json=faults, timeout=5).raise_for_status()
        response, took_s = timed_post(server, [event("late-1")])
        wait_until(lambda: Path(str(server.log_path) + ".sqlite3").exists()
                   and delivered in [row[:2] for row in rows(server, "late-1")])
    finally:
        stop_process(server.process)  # the shutdown sends whatever is still queued: a copy would show
    assert took_s < DEADLINE_S + 1, f"answered after {took_s:.1f} s"
    assert response.status_code == 202, response.text
    answered = response.json()["events"][0]
    assert (answered["event_id"], answered["status"]) == ("late-1", "queued")
    assert answered["reason"].startswith(reason)
    assert answered["reason"].endswith(" in the background")
    assert sandbox_copies(clean_sandbox, "late-1") == 1
    written = rows(server, "late-1")
    assert [(delivery, outcome) for delivery, outcome, _ in written] == [row[:2] for row in story]
    for (_, _, error), (_, _, starts) in zip(written, story, strict=True):
        assert (error is None) == (starts is None), written
        assert starts is None or (error or "").startswith(starts), written
    handed_off = [error for delivery, outcome, error in written
                  if (delivery, outcome) == ("awaited", "retrying") and error != STILL_CALLING]
    assert all((error or "").endswith("; retrying in the background") for error in handed_off)


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
