"""`replay` reads the log table as untrusted input: tampered rows are refused and nothing of them is sent.

Failed rows are made by the real functions-framework server (the sandbox answering 500), then
edited in the SQLite file as someone with write access to the table could; `python -m function
replay` then runs against a server that records every request it gets, whatever the path.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from function.sandbox.server import Sandbox
from tests.doubles import Seen, recording_server
from tests.processes import AD_ACCOUNT, ROOT, SANDBOX_TOKEN, control, start_function, stop_like_the_platform

pytestmark = pytest.mark.slow

REPLAY_TOKEN = "replay-canary-token-31c9"


@pytest.fixture
def recording() -> Iterator[tuple[str, Seen]]:
    with recording_server() as (url, seen):
        yield f"{url}/v5", seen


def ga4_event(event_id: str) -> dict:
    return {"event_name": "purchase", "event_id": event_id, "value": 10, "currency": "USD",
            "user_data": {"email_address": f"{event_id}@example.org"}, "page_location": "https://shop.example/done"}


def set_account(value: str) -> Callable[[dict], None]:
    return lambda row: row.update(ad_account_id=value)


def set_field(section: str, key: str, value: Any) -> Callable[[dict], None]:
    return lambda row: row["request_body"][section].update({key: value})


# event id → how its row is tampered with (None: left as the function wrote it).
TAMPERING: dict[str, Callable[[dict], None] | None] = {
    "t-intact": None,
    "t-path": set_account(f"{AD_ACCOUNT}/../../../other/endpoint?x="),
    "t-host": set_account(f"{AD_ACCOUNT}@evil.example"),
    "t-not-allowed": set_account("549000000099"),
    "t-raw-em": set_field("user_data", "em", ["victim@example.org"]),
    "t-raw-text": set_field("custom_data", "content_name", "for victim@example.org"),
}


def tamper(database: Path) -> None:
    with sqlite3.connect(database) as connection:
        for event_id, change in TAMPERING.items():
            if change is None:
                continue
            body, account = connection.execute(
                "SELECT request_body, ad_account_id FROM events WHERE event_id = ?", (event_id,)).fetchone()
            row = {"request_body": json.loads(body), "ad_account_id": account}
            change(row)
            connection.execute("UPDATE events SET request_body = ?, ad_account_id = ? WHERE event_id = ?",
                               (json.dumps(row["request_body"]), row["ad_account_id"], event_id))


def test_tampered_rows_are_refused_with_a_reason_and_only_the_intact_one_is_sent(
        clean_sandbox: Sandbox, recording: tuple[str, Seen], tmp_path: Path) -> None:
    database = tmp_path / "log.sqlite3"
    environ = {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
               "PINTEREST_API_URL": clean_sandbox.url, "PINTEREST_MAX_ATTEMPTS": "1", "LOG_CONSOLE": "no",
               "LOG_SQLITE_PATH": str(database), "LOG_BIGQUERY_FLUSH_MS": "1"}
    server = start_function(environ, tmp_path / "server.log")
    try:
        requests.post(control(clean_sandbox, "faults"), json={"script": ["500"]}, timeout=5)
        assert server.post([ga4_event(event_id) for event_id in TAMPERING]).status_code == 502
    finally:
        stop_like_the_platform(server.process)
    tamper(database)

    url, seen = recording
    done = subprocess.run([sys.executable, "-m", "function", "replay", "--since", "1h", "--json"], cwd=ROOT,
                          env={**os.environ, **environ, "PINTEREST_API_URL": url,
                               "PINTEREST_ACCESS_TOKEN": REPLAY_TOKEN},
                          capture_output=True, text=True, timeout=60)
    results = {r["event_id"]: (r["result"], r["detail"]) for r in map(json.loads, done.stdout.splitlines())}
    assert results == {
        "t-intact": ("delivered", None),
        "t-path": ("refused", "ad_account_id is not 1-18 digits"),
        "t-host": ("refused", "ad_account_id is not 1-18 digits"),
        "t-not-allowed": ("refused",
                          "ad_account_id is neither PINTEREST_AD_ACCOUNT_ID nor in PINTEREST_AD_ACCOUNT_IDS"),
        "t-raw-em": ("refused", "the payload holds a value the logs never keep (raw personal data?)"),
        "t-raw-text": ("refused", "the payload holds a value the logs never keep (raw personal data?)"),
    }, done.stderr
    [(path, _, body)] = seen  # one request, to the configured account's endpoint, with the intact event alone
    assert path == f"/v5/ad_accounts/{AD_ACCOUNT}/events"
    assert [event["event_id"] for event in json.loads(body)["data"]] == ["t-intact"]
    assert b"victim@example.org" not in body
