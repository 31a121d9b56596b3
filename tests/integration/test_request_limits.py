"""One authenticated request costs bounded memory and time, on the real functions-framework server.

The amplifying bodies (tests/amplifiers.py) once took the worker to 555 MB and 3.2 GB and kept it
busy for up to a minute. Each must now be answered 400 within 1 s, and all of them together must
raise the worker's peak RSS (VmHWM, which only grows) by less than 100 MB.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from function.sandbox.server import Sandbox
from tests.amplifiers import AMPLIFIERS
from tests.processes import (
    AD_ACCOUNT,
    CALLER_KEY,
    SANDBOX_TOKEN,
    FunctionServer,
    sqlite_rows,
    start_function,
    stop_process,
    wait_until,
)

ANSWER_BOUND_S = 1.0
PEAK_GROWTH_BOUND_KB = 100 * 1024
REFUSED = [name for name in AMPLIFIERS if name != "1000 events with many content_ids"]


@pytest.fixture(scope="module")
def server(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FunctionServer]:
    """A server of its own, so the peak RSS it reports is this module's alone."""
    env = {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
           "PINTEREST_API_URL": sandbox.url, "LOG_CONSOLE": "no", "LOG_BIGQUERY_FLUSH_MS": "50"}
    running = start_function(env, tmp_path_factory.mktemp("limits") / "server.log")
    yield running
    stop_process(running.process)


def _post(server: FunctionServer, body: bytes) -> requests.Response:
    return requests.post(server.url, data=body, timeout=60, headers={
        "Authorization": f"Bearer {CALLER_KEY}", "Content-Type": "application/json"})


def _peak_rss_kb(pid: int) -> int:
    """The largest VmHWM of the server process and its children (gunicorn's worker)."""
    pids = [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    peaks = []
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]))
    return max(peaks)


def test_amplifying_bodies_are_answered_400_at_once_in_bounded_memory(server: FunctionServer) -> None:
    assert _post(server, b'{"event_name": "page_view", "ip_override": "203.0.113.7", '
                         b'"user_agent": "Mozilla/5.0"}').status_code == 200  # warm: imports done
    idle = _peak_rss_kb(server.process.pid)
    for name in REFUSED:
        started = time.monotonic()
        answer = _post(server, AMPLIFIERS[name])
        took = time.monotonic() - started
        assert answer.status_code == 400, (name, answer.text[:300])
        assert "at most" in answer.text, name  # the limit is named
        assert took < ANSWER_BOUND_S, f"{name}: answered after {took:.2f} s"
    assert _post(server, AMPLIFIERS["1000 events with many content_ids"]).status_code == 200
    growth = _peak_rss_kb(server.process.pid) - idle
    assert growth < PEAK_GROWTH_BOUND_KB, f"peak RSS grew by {growth / 1024:.0f} MB"


@pytest.mark.parametrize(("key", "message"), [
    ("event_id", "event_id holds 900000 characters; at most 256 are accepted"),
    ("event_name", "event_name holds 900000 characters; at most 100 are accepted"),
])
def test_a_900000_character_event_id_or_name_is_refused_and_stored_nowhere(server: FunctionServer, key: str,
                                                                           message: str) -> None:
    event = {"event_name": "purchase", "event_id": "short-1", "ip_override": "203.0.113.7",
             "user_agent": "Mozilla/5.0", key: "x" * 900_000}
    answer = _post(server, json.dumps(event).encode())
    assert answer.status_code == 400
    assert [event["error"] for event in answer.json()["events"]] == [message]
    rows: list[tuple[object, ...]] = []

    def written() -> bool:
        rows[:] = sqlite_rows(server, "SELECT * FROM events WHERE reason = ?", (message,))
        return bool(rows)

    wait_until(written)
    [row] = rows
    assert max(len(str(value)) for value in row) < 1000
