"""The journal that keeps every record as a row of the log table, in BigQuery or the local SQLite file."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from function.logs.console import ConsoleLog
from function.logs.journal import EventRecord
from function.logs.rows import InstanceFacts, build_row, row_id
from function.logs.schema import checked
from function.logs.store import PendingRow
from function.logs.writer import LogWriter


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
                found, wire = checked(row)  # the JSON columns dumped once, for the check and the store
                if found:
                    self._log.write("ERROR", "log row not stored", record.trace_id,
                                    reason="row does not fit the log table: " + "; ".join(found), log_row=row)
                else:
                    pending.append(PendingRow(row_id(row, position), row, wire))
            self.writer.submit(pending)
        except Exception as exc:  # the event path must never fail because of its log
            self._log.write("ERROR", "log rows not built", error=type(exc).__name__)

    def close(self, until: float = math.inf) -> None:
        """Write what is queued by `until` (commands wait for all of it; shutdown has a deadline)."""
        if self.writer is not None:
            self.writer.close(until)
