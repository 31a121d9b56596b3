"""Through the real functions-framework server: Pinterest gets the event whole, no log keeps a raw value.

Canaries (an e-mail, a phone number, a name, an order id, a search term, a user agent, an IP address)
go in where sGTM puts them; none may be found in a console line, a SQLite or BigQuery-emulator row or
`python -m function logs --json`, while the sandbox records each as sent. Values that are not sent
(an e-mail without @, a birth date that is no date) carry canaries too: their warnings are in the
rows, the values are not.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

import pytest
import requests

from function.sandbox.server import Sandbox
from tests.logs.conftest import Emulator
from tests.processes import (
    AD_ACCOUNT,
    ROOT,
    SANDBOX_TOKEN,
    FunctionServer,
    control,
    start_function,
    stop_like_the_platform,
    wait_until,
)

pytestmark = pytest.mark.slow

MARK = uuid.uuid4().hex[:10]
EMAIL = f"zebulon.{MARK}@example.org"
PHONE = "+1 415 555 0187"
PHONE_DIGITS = "4155550187"
NAME = f"Zebulon{MARK}"
ORDER_ID = f"W{MARK} / {EMAIL}"  # an order reference carrying the buyer's e-mail
SEARCH = f"{NAME} 12 Quince Lane"
DEVICE = f"CanaryPhone-{MARK}"
UA = (f"Mozilla/5.0 (Linux; Android 14; {DEVICE}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
      "Safari/537.36")
IP = "198.51.100.73"
PAGE = (f"https://shop.example/checkout/done?email={EMAIL.replace('@', '%40')}&phone=%2B14155550187"
        f"&first_name={NAME}&utm_source=newsletter&epik=dj0yJnU9{MARK}")
CANARIES = (EMAIL, EMAIL.replace("@", "%40"), PHONE, PHONE_DIGITS, "+14155550187", NAME, NAME.lower(), SEARCH,
            UA, DEVICE, IP, SANDBOX_TOKEN)


def ga4_event(event_id: str) -> dict:
    return {"event_name": "purchase", "event_id": event_id, "page_location": PAGE, "ip_override": IP,
            "user_agent": UA, "transaction_id": ORDER_ID, "search_term": SEARCH, "value": 10,
            "currency": "USD", "db": f"born {NAME}",
            "user_data": {"email_address": [EMAIL, f"{NAME}.at.example.org"], "phone_number": PHONE},
            "items": [{"item_id": "SKU-1", "item_name": f"Gift for {PHONE}", "price": 10, "quantity": 1}]}


def run_server(sandbox: Sandbox, log_path: Path, store: Mapping[str, str]) -> tuple[FunctionServer, dict]:
    """One delivered and one failed event (console lines of both, with payloads), then SIGTERM."""
    environ = {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
               "PINTEREST_API_URL": sandbox.url, "PINTEREST_MAX_ATTEMPTS": "1", "LOG_CONSOLE": "always",
               "LOG_BIGQUERY_FLUSH_MS": "1", **store}
    server = start_function(environ, log_path)
    try:
        assert server.post([ga4_event(f"ok-{MARK}")]).status_code == 200
        requests.post(control(sandbox, "faults"), json={"script": ["500"]}, timeout=5)
        assert server.post([ga4_event(f"fail-{MARK}")]).status_code == 502
    finally:
        stop_like_the_platform(server.process)
    return server, environ


def logs_json(environ: Mapping[str, str]) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "function", "logs", "--since", "1h", "--json"], cwd=ROOT,
                          env={**os.environ, **environ}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def assert_pinterest_got_everything(sandbox: Sandbox) -> None:
    [recorded] = requests.get(control(sandbox, "events"), timeout=5).json()["events"]
    event = recorded["event"]
    assert event["event_source_url"] == PAGE
    assert (event["user_data"]["client_ip_address"], event["user_data"]["client_user_agent"]) == (IP, UA)
    assert event["user_data"]["click_id"] == f"dj0yJnU9{MARK}"
    assert (event["custom_data"]["order_id"], event["custom_data"]["search_string"]) == (ORDER_ID, SEARCH)
    assert event["custom_data"]["content_name"] == f"Gift for {PHONE}"


def assert_no_canary(text: str, where: str) -> None:
    found = [canary for canary in CANARIES if canary in text]
    assert not found, f"{where} holds {found}"


def assert_kept_form(rows: list[dict]) -> None:
    """The rows still tell the story: the event, its reduced address, agent and page."""
    bodies = [row["request_body"] for row in rows if row.get("request_body")]
    assert {row["outcome"] for row in rows} >= {"delivered", "failed"}
    assert bodies, rows
    user, custom = bodies[0]["user_data"], bodies[0]["custom_data"]
    assert user["client_ip_address"] == "198.51.100.0/24"
    assert user["client_user_agent"] == "Mozilla/5 AppleWebKit/537 Chrome/120 Safari/537"
    assert bodies[0]["event_source_url"] == (
        f"https://shop.example/checkout/done?email=&phone=&first_name=&utm_source=newsletter&epik=dj0yJnU9{MARK}")
    assert (custom["order_id"], custom["search_string"]) == (f"W{MARK} / [email]", "[withheld]")
    warned = {tuple(sorted(warning["field"] for warning in row["warnings"])) for row in rows}
    assert warned == {("user_data.db", "user_data.em")}  # the dropped values are named, never shown


def test_sqlite_rows_console_lines_and_logs_json_hold_no_canary(clean_sandbox: Sandbox,
                                                                tmp_path: Path) -> None:
    database = tmp_path / "log.sqlite3"
    server, environ = run_server(clean_sandbox, tmp_path / "server.log", {"LOG_SQLITE_PATH": str(database)})
    assert_pinterest_got_everything(clean_sandbox)
    console = server.log_text()
    assert "pinterest call" in console  # the lines that carry payloads were written
    assert '"payload"' in console
    assert_no_canary(console, "the console")
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        stored = [dict(row) for row in connection.execute("SELECT * FROM events")]
    assert_no_canary(json.dumps(stored), "the SQLite file")
    rows = logs_json(environ)
    assert_no_canary(json.dumps(rows), "logs --json")
    assert_kept_form(rows)


def test_bigquery_rows_and_logs_json_hold_no_canary(emulator: Emulator, clean_sandbox: Sandbox,
                                                    tmp_path: Path) -> None:
    table = emulator.new_table()
    server, environ = run_server(clean_sandbox, tmp_path / "server.log", emulator.env(table))
    assert_pinterest_got_everything(clean_sandbox)
    assert_no_canary(server.log_text(), "the console")
    assert wait_until(lambda: len(emulator.rows(table)) >= 2)
    assert_no_canary(json.dumps(emulator.rows(table), default=str), "the BigQuery table")
    rows = logs_json(environ)
    assert_no_canary(json.dumps(rows), "logs --json")
    assert_kept_form(rows)
