"""`logs` and `replay` end to end: a failed event in BigQuery is sent again and ends delivered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from function.__main__ import main
from function.sandbox.server import Sandbox
from tests.logs.conftest import Emulator
from tests.processes import (
    AD_ACCOUNT,
    ROOT,
    SANDBOX_TOKEN,
    control,
    recorded_ids,
    start_function,
    stop_process,
    wait_until,
)

pytestmark = pytest.mark.slow


def rows_of(event_id: str, environ: dict[str, str], capsys: pytest.CaptureFixture[str]) -> list[dict]:
    """`logs --event-id X --json`, oldest first."""
    assert main(["logs", "--event-id", event_id, "--json"], environ=environ) == 0
    return [json.loads(line) for line in reversed(capsys.readouterr().out.splitlines())]


def test_a_failed_event_replays_into_a_delivered_one_with_its_attempts_continued(
        emulator: Emulator, clean_sandbox: Sandbox, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    table = emulator.new_table()
    environ = {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
               "PINTEREST_API_URL": clean_sandbox.url, "PINTEREST_MAX_ATTEMPTS": "2", "LOG_CONSOLE": "no",
               "LOG_BIGQUERY_FLUSH_MS": "1", **emulator.env(table)}
    server = start_function(environ, tmp_path / "server.log")
    try:
        requests.post(control(clean_sandbox, "faults"), json={"script": ["500", "503"]}, timeout=5)
        event = {"event_name": "purchase", "event_id": "replay-1", "ip_override": "198.51.100.7",
                 "user_agent": "UA/replay", "value": 10, "currency": "USD",
                 "user_data": {"email_address": "replay@example.org"}}
        assert server.post([event], headers={"X-Tag-Name": "Pinterest CAPI"}).status_code == 502
        assert wait_until(lambda: len(rows_of("replay-1", environ, capsys)) == 2)
    finally:
        stop_process(server.process)
    assert recorded_ids(clean_sandbox) == []
    before = rows_of("replay-1", environ, capsys)
    assert [(r["outcome"], r["attempt"], r["response_status_code"]) for r in before] == [
        ("retrying", 1, 500), ("failed", 2, 503)]

    dry = subprocess.run([sys.executable, "-m", "function", "replay", "--since", "1h", "--dry-run", "--json"],
                         cwd=ROOT, env={**os.environ, **environ}, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert [json.loads(line) for line in dry.stdout.splitlines()] == [
        {"event_id": "replay-1", "event_name": "checkout", "result": "would send", "detail": "attempt 3"}]
    assert recorded_ids(clean_sandbox) == []

    assert main(["replay", "--event-id", "replay-1"], environ=environ) == 0
    assert "replay-1  checkout  delivered" in capsys.readouterr().out
    assert recorded_ids(clean_sandbox) == ["replay-1"]
    after = rows_of("replay-1", environ, capsys)
    assert [(r["outcome"], r["attempt"], r["delivery"]) for r in after[2:]] == [("delivered", 3, "replay")]
    # The same hashed event and event_id, without the IP address and user agent the log keeps only reduced.
    logged = before[1]["request_body"]
    assert (logged["user_data"]["client_ip_address"], logged["user_data"]["client_user_agent"]) == (
        "198.51.100.0/24", "[withheld]")
    del logged["user_data"]["client_ip_address"], logged["user_data"]["client_user_agent"]
    assert after[2]["request_body"] == logged
    assert after[2]["tag_name"] == "Pinterest CAPI"

    assert main(["replay"], environ=environ) == 0
    assert "nothing to replay" in capsys.readouterr().err
