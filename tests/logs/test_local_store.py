"""With no log configuration at all: rows go to the SQLite file under .local/, and `logs` shows them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import flask
import pytest

from function.app import create_gateway
from function.sandbox.server import Sandbox
from tests.integration.conftest import AD_ACCOUNT, ROOT, SANDBOX_TOKEN
from tests.logs.conftest import wait_until

pytestmark = pytest.mark.slow


def logs(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m function logs` as an operator runs it, with no LOG_* variable set."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("LOG_", "BIGQUERY_"))}
    return subprocess.run([sys.executable, "-m", "function", "logs", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env={**environ, "PYTHONPATH": str(ROOT)})


def test_rows_go_to_the_local_sqlite_file_and_logs_reads_them(clean_sandbox: Sandbox, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    gateway = create_gateway({"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
                              "PINTEREST_API_URL": clean_sandbox.url, "GATEWAY_AUTH": "none",
                              "LOG_CONSOLE": "no"})
    events = [{"event_name": "purchase", "event_id": "local-1", "ip_override": "198.51.100.7",
               "user_agent": "UA/local", "value": 1, "currency": "USD"}, {"event_name": "purchase"}]
    response = gateway(flask.Request.from_values(path="/", method="POST", content_type="application/json",
                                                 data=json.dumps(events)))
    assert response.status_code == 207, response.get_data(as_text=True)
    assert wait_until(lambda: "local-1" in logs(tmp_path).stdout)
    assert (tmp_path / ".local" / "pinterest_capi_log.sqlite3").exists()

    table = logs(tmp_path, "--since", "1h")
    assert table.returncode == 0, table.stderr
    header, *lines = table.stdout.splitlines()
    assert header.split()[:3] == ["TIME", "(UTC)", "OUTCOME"]
    assert sorted(line.split()[2] for line in lines) == ["delivered", "invalid"]

    as_json = logs(tmp_path, "--json", "--outcome", "delivered")
    [row] = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert (row["event_id"], row["request_body"]["event_id"], row["attempt"]) == ("local-1", "local-1", 1)

    assert logs(tmp_path, "--since", "soon").returncode == 2
