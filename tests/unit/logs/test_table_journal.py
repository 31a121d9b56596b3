"""The table journal: checked rows to the writer, misfits to the console, and never an exception."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from function.app import open_store, table_journal
from function.logs import sqlite
from function.logs.bigquery import BigQueryStore
from function.logs.console import ConsoleLog
from function.logs.journal import EventRecord
from function.logs.query import LogQuery
from function.logs.rows import InstanceFacts
from function.logs.schema import to_wire
from function.logs.sqlite import CHECKOUT, SqliteStore
from function.logs.store import PendingRow
from function.logs.table_journal import TableJournal
from function.settings import Settings

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class ListWriter:
    def __init__(self) -> None:
        self.rows: list[PendingRow] = []

    def submit(self, rows: Sequence[PendingRow]) -> None:
        self.rows.extend(rows)


def journal(writer: ListWriter, console: io.StringIO) -> TableJournal:
    return TableJournal(writer, InstanceFacts("rev-3"), ConsoleLog("no", stream=console),  # type: ignore[arg-type]
                        now=lambda: NOW)


def test_each_record_becomes_one_queued_row_with_its_id() -> None:
    writer, console = ListWriter(), io.StringIO()
    journal(writer, console).record([
        EventRecord(outcome="delivered", event_id="A", attempt=2, payload={"event_id": "A"}),
        EventRecord(outcome="skipped", reason="consent"),
    ])
    assert writer.rows[0].row_id == "-:A:2:delivered"  # no ad account in the record
    assert [p.row["outcome"] for p in writer.rows] == ["delivered", "skipped"]
    assert console.getvalue() == ""


def test_a_row_that_does_not_fit_the_table_goes_to_the_console_instead() -> None:
    writer, console = ListWriter(), io.StringIO()
    journal(writer, console).record([EventRecord(outcome="failed", event_id="A", attempt="2")])  # type: ignore[arg-type]
    assert writer.rows == []
    [line] = [json.loads(text) for text in console.getvalue().splitlines()]
    assert line["reason"] == "row does not fit the log table: attempt: not a valid INTEGER"
    assert line["log_row"]["event_id"] == "A"


def test_a_record_that_cannot_be_built_never_raises_into_the_event_path() -> None:
    writer, console = ListWriter(), io.StringIO()
    journal(writer, console).record([EventRecord(outcome="delivered", payload=42)])  # type: ignore[arg-type]
    assert writer.rows == []
    assert json.loads(console.getvalue())["message"] == "log rows not built"


def test_the_settings_pick_bigquery_then_sqlite_then_nothing() -> None:
    base = {"PINTEREST_AD_ACCOUNT_ID": "549"}
    bigquery = open_store(Settings.from_env({**base, "LOG_BIGQUERY_TABLE": "p.d.t"}))
    assert isinstance(bigquery, BigQueryStore)
    assert bigquery.table == "p.d.t"
    sqlite = open_store(Settings.from_env(base))
    assert isinstance(sqlite, SqliteStore)
    assert sqlite.path == CHECKOUT / ".local" / "pinterest_capi_log.sqlite3"  # the checkout's, not the cwd's
    assert open_store(Settings.from_env({**base, "LOG_SQLITE_PATH": "none"})) is None


def test_with_the_store_switched_off_records_are_simply_not_kept() -> None:
    off = table_journal(Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": "549", "LOG_SQLITE_PATH": "off"}),
                        ConsoleLog("no"))
    off.record([EventRecord(outcome="skipped")])
    off.close()
    assert off.writer is None


def test_a_row_is_serialised_once_for_its_check_and_its_store(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # the check dumps the JSON columns; the store sends that text rather than dumping them again
    calls: list[Any] = []
    monkeypatch.setattr(sqlite, "to_wire", lambda row: calls.append(row) or to_wire(row))
    writer = ListWriter()
    payload = {"event_id": "A", "custom_data": {"value": 1.5}}
    journal(writer, io.StringIO()).record([EventRecord(outcome="delivered", event_id="A", attempt=1,
                                                       payload=payload)])
    [pending] = writer.rows
    assert pending.wire == to_wire(pending.row)
    store = SqliteStore(str(tmp_path / "log.sqlite3"))
    store.insert(writer.rows)
    assert calls == []
    [stored] = store.recent(LogQuery(NOW - timedelta(minutes=1)))
    assert stored["request_body"] == pending.row["request_body"]
