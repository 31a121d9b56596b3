"""The scheduled probe through the real functions-framework server (target pinterest_capi_probe), sandbox.

A passing probe is one test-mode call per account and a `probe` row, never a delivered row or line;
a revoked token (the sandbox answers 401 to the call and to the refresh) is a failed probe row and the
one ERROR line terraform's probe alert counts. LOG_CONSOLE=no: the probe's line is written regardless.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from function.__main__ import main
from function.delivery.probe import PROBE_FAILED, PROBE_PASSED
from function.sandbox.server import Sandbox
from tests.processes import (
    AD_ACCOUNT,
    SANDBOX_TOKEN,
    FunctionServer,
    faults,
    recorded,
    sqlite_rows,
    start_function,
    stop_process,
    wait_until,
)
from tests.secret_manager_stub import SecretManagerStub

OTHER_ACCOUNT = "549000000002"
_ROWS = ("SELECT outcome, ad_account_id, reason, error, response_status_code, test_mode, delivery, "
         "request_url FROM events ORDER BY timestamp")


@pytest.fixture
def probe_server(clean_sandbox: Sandbox, tmp_path: Any) -> Iterator[FunctionServer]:
    env = {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_AD_ACCOUNT_IDS": OTHER_ACCOUNT,
           "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN, "PINTEREST_API_URL": clean_sandbox.url,
           "LOG_CONSOLE": "no", "PINTEREST_MAX_ATTEMPTS": "1"}
    server = start_function(env, tmp_path / "probe.log", target="pinterest_capi_probe")
    yield server
    stop_process(server.process)


def _lines(server: FunctionServer) -> list[dict[str, Any]]:
    return [json.loads(text) for text in server.log_text().splitlines() if text.startswith("{")]


def _rows(server: FunctionServer, count: int) -> list[tuple[Any, ...]]:
    assert wait_until(lambda: len(sqlite_rows(server, _ROWS)) >= count)
    return sqlite_rows(server, _ROWS)


def test_a_passing_probe_is_a_probe_row_per_account_and_no_delivered_row(probe_server: FunctionServer,
                                                                          clean_sandbox: Sandbox) -> None:
    answer = requests.post(probe_server.url, timeout=30)  # no ad_account_id: every configured account
    assert answer.status_code == 200
    assert [(r["ad_account_id"], r["passed"], r["response_status_code"]) for r in answer.json()] == [
        (AD_ACCOUNT, True, 200), (OTHER_ACCOUNT, True, 200)]
    calls = recorded(clean_sandbox)
    assert [(c["ad_account_id"], c["test"], c["event"]["event_name"]) for c in calls] == [
        (AD_ACCOUNT, True, "page_visit"), (OTHER_ACCOUNT, True, "page_visit")]
    rows = _rows(probe_server, 2)
    assert [row[:7] for row in rows] == [
        ("probe", AD_ACCOUNT, "passed", None, 200, 1, "probe"),
        ("probe", OTHER_ACCOUNT, "passed", None, 200, 1, "probe")]
    assert [row[7].removeprefix(clean_sandbox.url) for row in rows] == [
        f"/ad_accounts/{AD_ACCOUNT}/events", f"/ad_accounts/{OTHER_ACCOUNT}/events"]
    lines = _lines(probe_server)
    assert [(line["message"], line["ad_account_id"]) for line in lines if "probe" in line["message"]] == [
        (PROBE_PASSED, AD_ACCOUNT), (PROBE_PASSED, OTHER_ACCOUNT)]
    assert not [line for line in lines if line.get("outcome") in ("delivered", "failed")]


def test_a_refused_token_is_a_failed_probe_row_and_the_alerts_line(probe_server: FunctionServer,
                                                                   clean_sandbox: Sandbox) -> None:
    faults(clean_sandbox, {"script": ["401", "401"]})  # the call and the call after the token refresh
    answer = requests.post(probe_server.url, params={"ad_account_id": AD_ACCOUNT}, timeout=30)
    assert answer.status_code == 200
    [result] = answer.json()
    assert (result["passed"], result["response_status_code"], result["reason"]) == (
        False, 401, "token rejected")
    [row] = _rows(probe_server, 1)
    assert row[:7] == ("probe", AD_ACCOUNT, "HTTP 401", "token rejected", 401, 1, "probe")
    [line] = [line for line in _lines(probe_server) if line["message"] == PROBE_FAILED]
    assert (line["severity"], line["ad_account_id"], line["response_status_code"]) == (
        "ERROR", AD_ACCOUNT, 401)
    assert SANDBOX_TOKEN not in probe_server.log_text()
    assert recorded(clean_sandbox) == []


def test_an_account_that_is_not_configured_is_refused_and_not_called(probe_server: FunctionServer,
                                                                     clean_sandbox: Sandbox) -> None:
    for asked in ("549000000009", "../v5", "1" * 19):
        answer = requests.post(probe_server.url, params={"ad_account_id": asked}, timeout=30)
        assert answer.status_code == 400
    assert recorded(clean_sandbox) == []
    assert sqlite_rows(probe_server, _ROWS) == []


def test_the_probe_command_probes_each_account_and_exits_1_when_one_fails(
        clean_sandbox: Sandbox, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env = {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_AD_ACCOUNT_IDS": OTHER_ACCOUNT,
           "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN, "PINTEREST_API_URL": clean_sandbox.url,
           "PINTEREST_MAX_ATTEMPTS": "1", "LOG_SQLITE_PATH": str(tmp_path / "rows.sqlite3")}
    assert main(["probe"], environ=env) == 0
    faults(clean_sandbox, {"script": ["401", "401"]})
    assert main(["probe", "--ad-account", AD_ACCOUNT], environ=env) == 1
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]  # the lines: on stderr
    assert [(r["ad_account_id"], r["passed"]) for r in results] == [
        (AD_ACCOUNT, True), (OTHER_ACCOUNT, True), (AD_ACCOUNT, False)]
    assert main(["probe", "--ad-account", "549000000009"], environ=env) == 2
    assert main(["logs", "--outcome", "probe", "--json"], environ=env) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(row["reason"] for row in rows) == ["HTTP 401", "passed", "passed"]


def test_the_probe_reads_the_deployed_token_from_secret_manager_and_again_after_a_401(
        clean_sandbox: Sandbox, tmp_path: Any) -> None:
    secret = "projects/demo/secrets/pinterest-token"
    stub = SecretManagerStub()
    stub.add_version(secret, SANDBOX_TOKEN + "\n")
    env = {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN_SECRET": secret,
           "SECRET_MANAGER_API_ENDPOINT": stub.endpoint, "PINTEREST_API_URL": clean_sandbox.url,
           "LOG_CONSOLE": "no", "PINTEREST_MAX_ATTEMPTS": "1"}
    server = start_function(env, tmp_path / "probe.log", target="pinterest_capi_probe")
    try:
        first = requests.post(server.url, timeout=30).json()
        faults(clean_sandbox, {"script": ["401"]})  # revoked once: the refresh reads the secret again
        second = requests.post(server.url, timeout=30).json()
        assert [(r["passed"], r["response_status_code"]) for r in first + second] == [
            (True, 200), (True, 200)]
        # Each run reads the secret afresh (the token deployed now), and once more after the 401.
        assert stub.count(secret) == 3
        assert [row[2] for row in _rows(server, 2)] == ["passed", "passed"]
    finally:
        stop_process(server.process)
        stub.stop()
    assert SANDBOX_TOKEN not in server.log_text()
