"""SIGTERM in optimistic mode: the sender flushes first, then the log writer, so every row lands."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from function.sandbox.server import Sandbox
from tests.logs.conftest import Emulator
from tests.processes import AD_ACCOUNT, SANDBOX_TOKEN, start_function

pytestmark = pytest.mark.slow


def test_rows_of_the_events_flushed_at_sigterm_reach_bigquery(emulator: Emulator, clean_sandbox: Sandbox,
                                                              tmp_path: Path) -> None:
    table = emulator.new_table()
    # Nothing is due before SIGTERM: the sender's exit flush delivers, and only the writer's exit flush,
    # running after it, can store the rows.
    server = start_function({
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
        "PINTEREST_API_URL": clean_sandbox.url, "PINTEREST_DELIVERY": "optimistic",
        "PINTEREST_BATCH_WAIT_MS": "60000", "LOG_BIGQUERY_FLUSH_MS": "60000", "LOG_CONSOLE": "no",
        **emulator.env(table),
    }, tmp_path / "server.log")
    accepted = []
    for r in range(3):
        response = server.post([{"event_name": "purchase", "event_id": f"term-{r}-{i}", "value": 1,
                                 "currency": "USD", "ip_override": "198.51.100.7", "user_agent": "UA/term"}
                                for i in range(50)])
        assert response.status_code == 202, response.text
        accepted += [e["event_id"] for e in response.json()["events"]]
    assert emulator.rows(table) == []
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()  # what the platform does 10 s after SIGTERM
        server.process.wait()
    rows = emulator.rows(table)
    assert sorted(row["event_id"] for row in rows) == sorted(accepted)
    assert {(row["outcome"], row["delivery"], row["attempt"]) for row in rows} == {
        ("delivered", "optimistic", 1)}
    assert "log row not stored" not in server.log_text()
