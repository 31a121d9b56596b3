"""The log store: the interface both sinks (BigQuery, SQLite) implement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from function.logs.query import LogQuery


class StoreUnavailable(Exception):
    """The store could not be written or read; the message is already scrubbed."""


class PendingRow(NamedTuple):
    """A checked row on its way to the store, with the id that makes a re-sent insert harmless.

    `wire` is the row as the stores send it (schema.to_wire), when the check already made it.
    """

    row_id: str
    row: dict[str, Any]
    wire: dict[str, Any] | None = None


@dataclass(frozen=True)
class RowFailure:
    """A row the store refused: its position in the insert, why, and whether sending it again may help."""

    index: int
    reason: str
    retryable: bool


class LogStore(Protocol):
    """Writes rows in batches; reads them back for `logs` and `replay`."""

    name: str

    def insert(self, rows: Sequence[PendingRow]) -> list[RowFailure]:
        """Rows not stored (empty when all were); raises StoreUnavailable when none could be."""
        ...

    def recent(self, query: LogQuery) -> list[dict[str, Any]]:
        """Rows matching `query`, newest first, JSON columns parsed, timestamps as the rows spell them."""
        ...

    def replayable(self, query: LogQuery) -> list[dict[str, Any]]:
        """The last row of each event whose last outcome is failed or dropped since `query.since`.

        Each row carries `last_attempt`: the highest attempt number the event reached in the window.
        """
        ...

    def delivered(self, query: LogQuery) -> list[dict[str, Any]]:
        """Delivered rows since `query.since` (of `query.ad_account_id` when set), as `report` reads them:
        ad_account_id, event_name, outcome, timestamp, event_id_source, match_keys, event_time, warnings."""
        ...
