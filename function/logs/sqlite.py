"""The embedded log store: the log table's columns in a local SQLite file (the default without BigQuery)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import function
from function.logs.query import LogQuery, delivered_sql, recent_sql, replayable_sql
from function.logs.schema import COLUMNS, JSON_COLUMNS, SCHEMA, TYPES, to_wire
from function.logs.store import PendingRow, RowFailure, StoreUnavailable

if TYPE_CHECKING:
    import sqlite3

TABLE = "events"
# BigQuery column type → SQLite column type; JSON as text, TIMESTAMP as sortable ISO text.
_SQLITE_TYPES = {"STRING": "TEXT", "INTEGER": "INTEGER", "FLOAT": "REAL", "BOOLEAN": "INTEGER",
                 "TIMESTAMP": "TEXT", "JSON": "TEXT"}
# The checkout, the directory holding the function package: a relative LOG_SQLITE_PATH starts there, so
# the function, `make dev` and `python -m function logs` run from any directory all find the same file.
CHECKOUT = Path(function.__file__).resolve().parent.parent
# 5 s: how long a write waits for another process (a `logs` reader, a second worker) to let go.
_BUSY_TIMEOUT_MS = 5000
# 512 KiB of page cache instead of SQLite's 2 MB, which fills after some 1,000 rows and then holds
# 1.5 MB more of the worker's memory for good: the writer only inserts, so a page it needs again is
# read from the OS's file cache. Measured on 5,000 inserts in batches of 50 into a 3 MB log: the
# same instructions (callgrind, within 0.1 %), 5 % more page reads even at 256 KiB.
_CACHE_KIB = 512


def _create_sql() -> str:
    columns = ", ".join(
        f"{c['name']} {_SQLITE_TYPES[c['type']]}{' NOT NULL' if c.get('mode') == 'REQUIRED' else ''}"
        for c in SCHEMA
    )
    return f"CREATE TABLE IF NOT EXISTS {TABLE} ({columns})"


def _add_new_columns(connection: sqlite3.Connection) -> None:
    """A file written before a column was added to the schema gains it (NULL in its older rows)."""
    present = {column[1] for column in connection.execute(f"PRAGMA table_info({TABLE})")}
    for column in SCHEMA:
        if column["name"] not in present:  # a new column is NULLABLE: no NOT NULL to add
            kind = _SQLITE_TYPES[column["type"]]
            connection.execute(f"ALTER TABLE {TABLE} ADD COLUMN {column['name']} {kind}")


class SqliteStore:
    """One connection per process, opened on first use (after gunicorn's fork), shared under a lock."""

    name = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = CHECKOUT / path  # an absolute path stays as it is
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    def insert(self, rows: Sequence[PendingRow]) -> list[RowFailure]:
        # sqlite3 is imported where it is used: the log writer's thread loads it after the first answer,
        # and an instance that logs to BigQuery never does.
        import sqlite3

        placeholders = ", ".join("?" for _ in COLUMNS)
        values = [_to_sqlite(pending) for pending in rows]
        with self._lock:
            try:
                connection = self._connect()
                with connection:
                    connection.executemany(
                        f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({placeholders})",  # noqa: S608 - constants
                        values)
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"SQLite {self.path}: {type(exc).__name__}: {exc}") from None
        return []

    def recent(self, query: LogQuery) -> list[dict[str, Any]]:
        return self._select(recent_sql(TABLE, ":"), query)

    def replayable(self, query: LogQuery) -> list[dict[str, Any]]:
        return self._select(replayable_sql(TABLE, ":"), query)

    def delivered(self, query: LogQuery) -> list[dict[str, Any]]:
        return self._select(delivered_sql(TABLE, ":", "json_extract(request_body, '$.event_time')"), query)

    def _select(self, sql: str, query: LogQuery) -> list[dict[str, Any]]:
        import sqlite3
        params = {"since": query.since_text, "event_id": query.event_id, "outcome": query.outcome,
                  "event_name": query.event_name, "limit": query.limit, "ad_account_id": query.ad_account_id}
        with self._lock:
            try:
                cursor = self._connect().execute(sql, params)
                names = [description[0] for description in cursor.description]
                found = cursor.fetchall()
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"SQLite {self.path}: {type(exc).__name__}: {exc}") from None
        return [_from_sqlite(dict(zip(names, values, strict=True))) for values in found]

    def _connect(self) -> sqlite3.Connection:
        """The connection of this process (lock held); a forked child opens its own."""
        if self._connection is None or self._pid != os.getpid():
            import sqlite3

            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
                                         isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            connection.execute(_create_sql())
            _add_new_columns(connection)
            connection.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_timestamp ON {TABLE} (timestamp)")
            connection.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_event_id ON {TABLE} (event_id)")
            connection.isolation_level = "DEFERRED"  # `with connection:` makes each insert one transaction
            self._connection, self._pid = connection, os.getpid()
        return self._connection


def _to_sqlite(pending: PendingRow) -> tuple[Any, ...]:
    """The row's values in column order, `to_wire` (its JSON the costly part) run once per row at most."""
    wire = pending.wire or to_wire(pending.row)
    return tuple(map(wire.get, COLUMNS))


def _from_sqlite(row: dict[str, Any]) -> dict[str, Any]:
    """Back to the row's own types (JSON parsed, booleans as bool); helper columns like last_attempt kept."""
    result = {name: value for name, value in row.items() if name != "position"}
    for name in JSON_COLUMNS:
        if result.get(name) is not None:
            result[name] = json.loads(result[name])
    for name, kind in TYPES.items():
        if kind == "BOOLEAN" and result.get(name) is not None:
            result[name] = bool(result[name])
    return result
