"""With no log configuration at all: rows go to the SQLite file under the checkout's .local/, and `logs`
finds them from whatever directory it runs in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from function.sandbox.server import Sandbox
from tests.processes import AD_ACCOUNT, SANDBOX_TOKEN, copy_checkout, start_function, stop_process, wait_until

pytestmark = pytest.mark.slow


def logs(checkout: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m function logs` as an operator runs it elsewhere, with no LOG_* variable set."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("LOG_", "BIGQUERY_"))}
    return subprocess.run([sys.executable, "-m", "function", "logs", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env={**environ, "PYTHONPATH": str(checkout)})


def test_rows_go_to_the_checkouts_sqlite_file_and_logs_reads_them_from_any_directory(
        clean_sandbox: Sandbox, tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path / "checkout")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    server = start_function({"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
                             "PINTEREST_API_URL": clean_sandbox.url, "GATEWAY_AUTH": "none",
                             "LOG_CONSOLE": "no", "LOG_SQLITE_PATH": ""}, tmp_path / "server.log", checkout)
    try:
        events = [{"event_name": "purchase", "event_id": "local-1", "ip_override": "198.51.100.7",
                   "user_agent": "UA/local", "value": 1, "currency": "USD"}, {"event_name": "purchase"}]
        response = requests.post(server.url, json=events, timeout=30)
        assert response.status_code == 207, response.text
        assert wait_until(lambda: "local-1" in logs(checkout, elsewhere).stdout)
    finally:
        stop_process(server.process)
    assert (checkout / ".local" / "pinterest_capi_log.sqlite3").exists()
    assert not (elsewhere / ".local").exists()  # `logs` made no empty store of its own where it ran

    table = logs(checkout, elsewhere, "--since", "1h")
    assert table.returncode == 0, table.stderr
    header, *lines = table.stdout.splitlines()
    assert header.split()[:3] == ["TIME", "(UTC)", "OUTCOME"]
    assert sorted(line.split()[2] for line in lines) == ["delivered", "invalid"]

    as_json = logs(checkout, elsewhere, "--json", "--outcome", "delivered")
    [row] = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert (row["event_id"], row["request_body"]["event_id"], row["attempt"]) == ("local-1", "local-1", 1)

    assert logs(checkout, elsewhere, "--since", "soon").returncode == 2
