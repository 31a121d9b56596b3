"""The journal that keeps every record as a row of the log table, in BigQuery or the local SQLite file."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from function.logs.bigquery import BigQueryStore
from function.logs.console import ConsoleLog
from function.logs.journal import EventRecord
from function.logs.rows import InstanceFacts, build_row, row_id
from function.logs.schema import problems
from function.logs.sqlite import SqliteStore
from function.logs.store import LogStore, PendingRow
from function.logs.writer import LogWriter
from function.settings import Settings


def open_store(settings: Settings) -> LogStore | None:
    """BigQuery when LOG_BIGQUERY_TABLE is set, else the SQLite file; None when LOG_SQLITE_PATH=none."""
    if settings.log_bigquery_table:
        return BigQueryStore(settings.log_bigquery_table, settings.bigquery_api_endpoint)
    if settings.log_sqlite_path:
        return SqliteStore(settings.log_sqlite_path)
    return None


class TableJournal:
    """Builds one checked row per record and queues it; never raises into the event path."""

    def __init__(self, writer: LogWriter | None, facts: InstanceFacts, log: ConsoleLog, *,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.writer = writer
        self._facts = facts
        self._log = log
        self._now = now

    def record(self, records: Sequence[EventRecord]) -> None:
        if self.writer is None:
            return
        try:
            now = self._now()
            pending = []
            for position, record in enumerate(records):
                row = build_row(record, self._facts, now)
                found = problems(row)
                if found:
                    self._log.write("ERROR", "log row not stored", record.trace_id,
                                    reason="row does not fit the log table: " + "; ".join(found), log_row=row)
                else:
                    pending.append(PendingRow(row_id(row, position), row))
            self.writer.submit(pending)
        except Exception as exc:  # the event path must never fail because of its log
            self._log.write("ERROR", "log rows not built", error=type(exc).__name__)

    def close(self, until: float = math.inf) -> None:
        """Write what is queued by `until` (commands wait for all of it; shutdown has a deadline)."""
        if self.writer is not None:
            self.writer.close(until)


def table_journal(settings: Settings, log: ConsoleLog) -> TableJournal:
    """The journal of the configured store, its writer sized by LOG_BIGQUERY_BATCH_MAX/_FLUSH_MS."""
    store = open_store(settings)
    writer = None if store is None else LogWriter(
        store, log, batch_max=settings.log_batch_max, flush_s=settings.log_flush_ms / 1000)
    return TableJournal(writer, InstanceFacts(settings.platform_revision), log)
