"""The SQLite log store: the table's columns and types, filters, and the replay query."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from function.logs import sqlite
from function.logs.journal import EventRecord
from function.logs.query import LogQuery
from function.logs.rows import InstanceFacts, build_row, row_id
from function.logs.schema import COLUMNS, to_wire
from function.logs.sqlite import SqliteStore
from function.logs.store import PendingRow
from function.pipeline.field_warnings import FieldWarning

START = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def pending(record: EventRecord, minutes: int) -> PendingRow:
    row = build_row(record, InstanceFacts("rev-1"), START + timedelta(minutes=minutes))
    return PendingRow(row_id(row, 0), row)


def attempt(event_id: str, outcome: str, number: int | None, **more: object) -> EventRecord:
    return EventRecord(outcome=outcome, event_id=event_id, event_name="checkout",  # type: ignore[arg-type]
                       payload={"event_id": event_id, "event_time": 1777636800}, ad_account_id="549",
                       test_mode=True, attempt=number, latency_ms=12.25, **more)  # type: ignore[arg-type]


def since(minutes: int = 0) -> datetime:
    return START + timedelta(minutes=minutes)


def test_rows_come_back_with_the_columns_and_types_they_went_in_with(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "sub" / "log.sqlite3"))
    written = pending(attempt("A", "delivered", 1, response_body={"status": "processed"},
                              response_status_code=200), 0)
    assert store.insert([written]) == []
    [row] = store.recent(LogQuery(since()))
    assert row == written.row
    assert list(row) == list(COLUMNS)
    assert (row["test_mode"], row["latency_ms"]) == (True, 12.2)


def test_the_file_is_in_wal_mode_and_readable_while_another_connection_writes(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    writer, reader = SqliteStore(str(path)), SqliteStore(str(path))
    writer.insert([pending(attempt("A", "delivered", 1), 0)])
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [r["event_id"] for r in reader.recent(LogQuery(since()))] == ["A"]


def test_inserts_from_many_threads_all_land(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "log.sqlite3"))
    threads = [threading.Thread(target=lambda n=n: store.insert(
        [pending(attempt(f"T{n}-{i}", "delivered", 1), 0) for i in range(20)])) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.recent(LogQuery(since(), limit=1000))) == 160


def test_recent_filters_by_time_event_outcome_and_name_newest_first(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "log.sqlite3"))
    store.insert([pending(attempt("A", "retrying", 1), 1), pending(attempt("A", "delivered", 2), 2),
                  pending(attempt("B", "failed", 1), 3), pending(attempt("C", "delivered", 1), -60)])
    ids = [(r["event_id"], r["outcome"]) for r in store.recent(LogQuery(since()))]
    assert ids == [("B", "failed"), ("A", "delivered"), ("A", "retrying")]
    assert [r["attempt"] for r in store.recent(LogQuery(since(), event_id="A"))] == [2, 1]
    assert [r["event_id"] for r in store.recent(LogQuery(since(), outcome="failed"))] == ["B"]
    assert store.recent(LogQuery(since(), event_name="lead")) == []
    assert len(store.recent(LogQuery(since(-120), limit=2))) == 2


def test_replayable_is_the_last_row_of_events_that_ended_failed_or_dropped(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "log.sqlite3"))
    store.insert([
        pending(attempt("recovered", "failed", 2), 1), pending(attempt("recovered", "delivered", 3), 2),
        pending(attempt("failed", "retrying", 1), 1), pending(attempt("failed", "failed", 2), 2),
        pending(attempt("dropped", "retrying", 1), 1), pending(attempt("dropped", "dropped", None), 2),
        pending(attempt("old", "failed", 1), -60),
    ])
    found = {r["event_id"]: (r["outcome"], r["last_attempt"]) for r in store.replayable(LogQuery(since()))}
    assert found == {"failed": ("failed", 2), "dropped": ("dropped", 1)}
    assert [r["event_id"] for r in store.replayable(LogQuery(since(), event_id="dropped"))] == ["dropped"]


def test_a_row_is_converted_once_not_once_per_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # to_wire serialises the JSON columns, the costly part of an insert
    calls: list[Any] = []
    monkeypatch.setattr(sqlite, "to_wire", lambda row: calls.append(row) or to_wire(row))
    rows = [pending(attempt(f"E{n}", "delivered", 1), 0) for n in range(3)]
    SqliteStore(str(tmp_path / "log.sqlite3")).insert(rows)
    assert calls == [row.row for row in rows]


def test_warnings_come_back_as_json_and_a_file_from_before_the_column_gains_it(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old_columns = [column for column in COLUMNS if column != "warnings"]
    with sqlite3.connect(path) as old:  # the table as an earlier version created it
        old.execute(f"CREATE TABLE events ({', '.join(old_columns)})")
        old.execute("INSERT INTO events (timestamp, outcome, event_id) VALUES ('2026-05-01T11:00:00.000000Z',"
                    " 'delivered', 'OLD')")
    old.close()
    store = SqliteStore(str(path))
    warning = FieldWarning("custom_data.value", "value must be a number such as 12 or 12.5; not sent")
    assert store.insert([pending(attempt("A", "delivered", 1, warnings=(warning,)), 0)]) == []
    found = {row["event_id"]: row for row in store.recent(LogQuery(since(-120)))}
    assert found["A"]["warnings"] == [warning.as_json()]
    assert found["OLD"]["warnings"] is None


def test_the_writer_keeps_a_small_page_cache(tmp_path: Path) -> None:
    """SQLite's default 2 MB cache stays filled in the worker for good; the writer only inserts."""
    store = SqliteStore(str(tmp_path / "log.sqlite3"))
    store.insert([pending(attempt("A", "delivered", 1), 0)])
    assert store._connect().execute("PRAGMA cache_size").fetchone()[0] == -sqlite._CACHE_KIB
    assert sqlite._CACHE_KIB * 1024 < 2_000_000
