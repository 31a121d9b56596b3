"""Nothing silent: each case the issue found dropped without a word now gives its warning (issue 14).

Through the real functions-framework server and the sandbox: the warning is in the caller's answer,
in the event's log row (SQLite, and BigQuery through the emulator) and on the console of a debug
request; the event still reaches the sandbox with what could be sent, and no warning, row or line
repeats the dropped values.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from function import limits
from function.sandbox.server import Sandbox
from tests.logs.conftest import Emulator
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

EMAIL = "jane.doe@example.com"
# Dropped values, planted: none may come back in a warning, a row or a console line.
BAD_EMAIL = "canary.no.at.sign"
BAD_PHONE = "555 0199 7731"  # national, and the event has no country: it cannot be placed
BAD_CURRENCY = "CANARYDOLLARS"
BAD_PRICE = "canary-price"


def _event(event_id: str, **fields: Any) -> dict[str, Any]:
    return {"event_name": "purchase", "event_id": event_id, "user_data": {"email_address": EMAIL}, **fields}


# The silent cases, one event each: event id → (the event, the fields it must warn of).
CASES: dict[str, tuple[dict[str, Any], set[str]]] = {
    "w-comma": (_event("w-comma", value="12,50", currency="EUR"), set()),  # read as 12.5: nothing dropped
    "w-value": (_event("w-value", value="1,234", currency="EUR"), {"custom_data.value"}),
    "w-currency": (_event("w-currency", value=5, currency=BAD_CURRENCY), {"custom_data.currency"}),
    "w-price": (_event("w-price", items=[{"item_id": "SKU-1", "price": BAD_PRICE, "quantity": 2}]),
                {"custom_data.contents[0].item_price", "custom_data.value"}),
    "w-user": (_event("w-user", user_data={"email_address": [EMAIL, BAD_EMAIL], "phone_number": BAD_PHONE}),
               {"user_data.em", "user_data.ph"}),
    "w-map": (_event("w-map", pinterest={"event_map": {"purchase": "WatchVideo"}}), {"event_name"}),
    "w-contents": (_event("w-contents", pinterest={"custom_data": {
        "contents": [{"id": "SKU-9", "price": 7, "colour": "canary-red"}]}}),
        {"custom_data.contents[0].price", "custom_data.contents[0].colour"}),
}
PLANTED = (BAD_EMAIL, BAD_PHONE, "5550199", BAD_CURRENCY, BAD_PRICE, "1,234", "canary")


def _env(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
            "PINTEREST_API_URL": sandbox.url, "LOG_CONSOLE": "debug", **extra}


@pytest.fixture(scope="module")
def server(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FunctionServer]:
    running = start_function(_env(sandbox), tmp_path_factory.mktemp("warnings") / "server.log")
    yield running
    stop_process(running.process)


def _post_cases(server: FunctionServer) -> dict[str, dict[str, Any]]:
    answer = server.post({"events": [event for event, _ in CASES.values()]}, headers={"X-Debug": "true"})
    assert answer.status_code == 200, answer.text
    return {entry["event_id"]: entry for entry in answer.json()["events"]}


def _fields(warnings: list[dict[str, str]] | None) -> set[str]:
    return {warning["field"] for warning in warnings or ()}


def _no_planted_value(text: str) -> None:
    assert [value for value in PLANTED if value in text] == []


def test_each_silent_case_is_warned_of_in_the_answer_and_still_sent(server: FunctionServer,
                                                                    clean_sandbox: Sandbox) -> None:
    entries = _post_cases(server)
    assert {event_id: _fields(entry.get("warnings")) for event_id, entry in entries.items()} == \
        {event_id: fields for event_id, (_, fields) in CASES.items()}
    assert all(entry["status"] == "sent" for entry in entries.values())
    assert "warnings" not in entries["w-comma"]  # no empty list on an event without any
    assert next(w for w in entries["w-map"]["warnings"])["reason"].endswith("did you mean watch_video?")
    _no_planted_value(json.dumps(entries))
    recorded = requests.get(control(clean_sandbox, "events"), timeout=5).json()["events"]
    received = {entry["event"]["event_id"]: entry["event"] for entry in recorded}
    assert received["w-comma"]["custom_data"]["value"] == "12.5"
    assert "value" not in received["w-value"]["custom_data"]
    assert "currency" not in received["w-currency"]["custom_data"]
    assert received["w-price"]["custom_data"]["contents"] == [{"id": "SKU-1", "quantity": 2}]
    assert "ph" not in received["w-user"]["user_data"]
    assert len(received["w-user"]["user_data"]["em"]) == 1
    assert received["w-map"]["event_name"] == "WatchVideo"
    assert received["w-contents"]["custom_data"]["contents"] == [{"id": "SKU-9", "quantity": 1}]


def _sqlite_rows(server: FunctionServer, count: int) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def written() -> bool:
        rows = sqlite_rows(server, "SELECT event_id, warnings FROM events WHERE event_id LIKE 'w-%'")
        found.update({event_id: {"event_id": event_id, "warnings": warnings} for event_id, warnings in rows})
        return len(found) >= count

    assert wait_until(written), found
    return found


def test_each_warning_is_in_the_events_sqlite_row_and_on_the_debug_console(server: FunctionServer,
                                                                            clean_sandbox: Sandbox) -> None:
    entries = _post_cases(server)
    rows = _sqlite_rows(server, len(CASES))
    for event_id, entry in entries.items():
        stored = json.loads(rows[event_id]["warnings"]) if rows[event_id]["warnings"] else None
        assert stored == entry.get("warnings"), event_id
    _no_planted_value(json.dumps(rows))

    def console_lines() -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
        return [line for line in lines
                if line.get("message") == "event delivered" and str(line.get("event_id")).startswith("w-")]

    assert wait_until(lambda: len(console_lines()) >= len(CASES))
    by_id = {line["event_id"]: line for line in console_lines()}
    assert {event_id: _fields(line["warnings"]) for event_id, line in by_id.items()} == \
        {event_id: fields for event_id, (_, fields) in CASES.items()}
    _no_planted_value(server.log_text())


def test_without_debug_only_the_always_written_delivered_line_shows_the_warnings(
        server: FunctionServer, clean_sandbox: Sandbox) -> None:
    before = len(server.log_text().splitlines())
    event, fields = CASES["w-currency"]
    assert server.post(event).status_code == 200  # its lines are written before it is answered
    lines = [json.loads(line) for line in server.log_text().splitlines()[before:] if line.startswith("{")]
    [line] = [line for line in lines if line.get("event_id") == "w-currency"]
    assert line["message"] == "event delivered"  # the line the traffic alert counts, whatever LOG_CONSOLE
    assert _fields(line["warnings"]) == fields
    _no_planted_value(json.dumps(lines))


def test_a_body_of_thousands_of_warnings_per_event_keeps_each_answer_entry_and_row_small(
        server: FunctionServer, clean_sandbox: Sandbox) -> None:
    # The review's amplifier: events sharing a contents override of 300 items with 4 keys Pinterest's
    # contents lack gave 1,200 warnings to each event, ~270 KB of them per answer entry and log row.
    contents = [{"id": str(n), "colour": "red", "size": "M", "fit": "slim", "pattern": "plain"}
                for n in range(300)]
    events = [_event(f"many-{n}") for n in range(100)]
    answer = server.post({"events": events, "pinterest": {"custom_data": {"contents": contents}}})
    assert answer.status_code == 200, answer.text[:500]
    limit = limits.WARNINGS_PER_EVENT
    entries = answer.json()["events"]
    assert [len(entry["warnings"]) for entry in entries] == [limit + 1] * len(events)
    assert {entry["warnings"][-1]["reason"] for entry in entries} == {
        f"{1200 - limit} more warnings not listed (at most {limit} are listed per event)"}
    assert len(answer.content) < len(events) * (8 << 10)
    rows: list[tuple[str, str]] = []

    def written() -> bool:
        rows[:] = sqlite_rows(server, "SELECT event_id, warnings FROM events WHERE event_id LIKE 'many-%'")
        return len(rows) >= len(events)

    assert wait_until(written), len(rows)
    assert all(len(json.loads(warnings)) == limit + 1 and len(warnings) < 8 << 10 for _, warnings in rows)
    delivered = [line for line in server.log_text().splitlines()
                 if '"event delivered"' in line and '"many-' in line]
    assert delivered
    assert max(len(line) for line in delivered) < 16 << 10


def test_each_warning_is_in_the_events_bigquery_row(emulator: Emulator, sandbox: Sandbox,
                                                    tmp_path: Path) -> None:
    table = emulator.new_table()
    running = start_function(_env(sandbox, **emulator.env(table), LOG_BIGQUERY_FLUSH_MS="100"),
                             tmp_path / "server.log")
    try:
        entries = _post_cases(running)
    finally:
        stop_process(running.process)  # SIGTERM: the writer stores what it holds
    rows: dict[str, dict[str, Any]] = {}

    def stored() -> bool:
        rows.update({row["event_id"]: row for row in emulator.rows(table)})
        return len(rows) >= len(CASES)

    assert wait_until(stored), rows
    for event_id, entry in entries.items():
        assert rows[event_id]["warnings"] == entry.get("warnings"), event_id
    _no_planted_value(json.dumps(rows, default=str))
