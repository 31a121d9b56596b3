"""The BigQuery log store: streams rows with insertAll and reads them back with queries.

`google.cloud.bigquery` is imported on first use (cold start), and its errors become ours.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from function.logs.query import LogQuery, delivered_sql, recent_sql, replayable_sql
from function.logs.schema import TIMESTAMP_FORMAT, to_wire
from function.logs.scrub import scrub
from function.logs.store import PendingRow, RowFailure, StoreUnavailable

# 5 s: one insert's budget, client retries included; the client's own default (600 s) would hold the
# writer — and the emulator answers a bad row with 500, which the client retries.
INSERT_DEADLINE_S = 5.0
# 60 s: a `logs` or `replay` query; interactive, so short.
QUERY_TIMEOUT_S = 60.0
# One insertAll request's body at most: BigQuery refuses a streaming insert request over 10 MB
# (cloud.google.com/bigquery/quotas#streaming_inserts); 9 MB leaves room for the envelope.
INSERT_REQUEST_BYTES = 9_000_000
# Bytes of the envelope around each row ({"insertId": …, "json": …}), beyond the row and its id.
_ROW_ENVELOPE_BYTES = 32
# insertErrors reasons worth sending again, the row itself being fine
# (cloud.google.com/bigquery/docs/error-messages).
_RETRYABLE_REASONS = frozenset({"backendError", "internalError", "stopped", "timeout", "rateLimitExceeded"})
# Characters of a foreign error message kept.
_MAX_ERROR = 300


class BigQueryStore:
    """One client per process, created on first use; AnonymousCredentials when an endpoint is given."""

    name = "bigquery"

    def __init__(self, table: str, endpoint: str | None = None, *,
                 insert_deadline_s: float = INSERT_DEADLINE_S) -> None:
        self.table = table
        self._project = table.rsplit(".", 2)[0]
        self._endpoint = endpoint
        self._insert_deadline_s = insert_deadline_s
        self._lock = threading.Lock()
        self._client: Any = None
        self._retry: Any = None

    def insert(self, rows: Sequence[PendingRow]) -> list[RowFailure]:
        """In requests under BigQuery's size limit; a request it still finds too large is halved, not retried.

        A row too large alone is refused for good (the writer sends it to the console); a part that
        fails for a passing reason is retryable, and when no part is stored the store is unavailable.
        """
        wire = [pending.wire or to_wire(pending.row) for pending in rows]
        failures: list[RowFailure] = []
        stored = False
        sizes = [_wire_bytes(row, pending.row_id) for row, pending in zip(wire, rows, strict=True)]
        for part in _parts(sizes):
            try:
                failed = self._insert(rows, wire, part)
            except StoreUnavailable as exc:
                failed = [RowFailure(index, str(exc), True) for index in part]
            stored = stored or len(failed) < len(part)
            failures += failed
        if not stored and failures and all(f.retryable for f in failures):
            raise StoreUnavailable(failures[0].reason)
        return failures

    def _insert(self, rows: Sequence[PendingRow], wire: list[dict[str, Any]],
                part: list[int]) -> list[RowFailure]:
        """One insertAll request for the rows at `part`; halved while BigQuery finds it too large."""
        try:
            client, retry = self._connect()
            errors = client.insert_rows_json(
                self.table, [wire[index] for index in part], row_ids=[rows[index].row_id for index in part],
                retry=retry, timeout=self._insert_deadline_s)
        except Exception as exc:  # every failure: credentials, transport, HTTP status, retry deadline
            if not _too_large(exc):
                raise StoreUnavailable(_describe(exc)) from None
            if len(part) == 1:
                return [RowFailure(part[0], _describe(exc), False)]
            half = len(part) // 2
            return self._insert(rows, wire, part[:half]) + self._insert(rows, wire, part[half:])
        return [replace(failure, index=part[failure.index]) for failure in map(_failure, errors)]

    def recent(self, query: LogQuery) -> list[dict[str, Any]]:
        return self._select(recent_sql(f"`{self.table}`", "@"), query)

    def replayable(self, query: LogQuery) -> list[dict[str, Any]]:
        return self._select(replayable_sql(f"`{self.table}`", "@"), query)

    def delivered(self, query: LogQuery) -> list[dict[str, Any]]:
        event_time = "LAX_INT64(request_body.event_time)"
        return self._select(delivered_sql(f"`{self.table}`", "@", event_time), query)

    def _select(self, sql: str, query: LogQuery) -> list[dict[str, Any]]:
        from google.cloud import bigquery

        params = [
            bigquery.ScalarQueryParameter("since", "TIMESTAMP", query.since),
            bigquery.ScalarQueryParameter("event_id", "STRING", query.event_id),
            bigquery.ScalarQueryParameter("outcome", "STRING", query.outcome),
            bigquery.ScalarQueryParameter("event_name", "STRING", query.event_name),
            bigquery.ScalarQueryParameter("limit", "INT64", query.limit),
            bigquery.ScalarQueryParameter("ad_account_id", "STRING", query.ad_account_id),
        ]
        try:
            client, _ = self._connect()
            job = client.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=params))
            found = list(job.result(timeout=QUERY_TIMEOUT_S))
        except Exception as exc:  # every failure of the query, mapped to ours
            raise StoreUnavailable(_describe(exc)) from None
        return [_from_bigquery(dict(row.items())) for row in found]

    def _connect(self) -> tuple[Any, Any]:
        """The client and the insert retry policy, created once per store."""
        with self._lock:
            if self._client is None:
                from google.api_core.client_options import ClientOptions
                from google.auth.credentials import AnonymousCredentials
                from google.cloud import bigquery
                from google.cloud.bigquery.retry import DEFAULT_RETRY

                if self._endpoint:
                    self._client = bigquery.Client(project=self._project, credentials=AnonymousCredentials(),
                                                   client_options=ClientOptions(api_endpoint=self._endpoint))
                else:
                    self._client = bigquery.Client(project=self._project)
                self._retry = DEFAULT_RETRY.with_timeout(self._insert_deadline_s)
            return self._client, self._retry


def _wire_bytes(row: dict[str, Any], row_id: str) -> int:
    """A row's share of the insertAll body, as the client encodes it."""
    return len(json.dumps(row).encode()) + len(row_id.encode()) + _ROW_ENVELOPE_BYTES


def _parts(sizes: list[int]) -> list[list[int]]:
    """Row positions grouped in order, each group's rows within INSERT_REQUEST_BYTES (a larger row alone)."""
    parts: list[list[int]] = []
    total = INSERT_REQUEST_BYTES
    for index, size in enumerate(sizes):
        if total + size > INSERT_REQUEST_BYTES:
            parts.append([])
            total = 0
        parts[-1].append(index)
        total += size
    return parts


def _too_large(exc: Exception) -> bool:
    """BigQuery's answer to a request over its size limit: 413, or 400 "payload size exceeds the limit"."""
    code = getattr(exc, "code", None)
    return code == 413 or (code == 400 and "payload size exceeds the limit" in str(exc).lower())


def _failure(entry: dict[str, Any]) -> RowFailure:
    """One insertErrors entry: {"index": i, "errors": [{"reason", "location", "message"}, ...]}."""
    errors = entry.get("errors") or [{}]
    reasons = {str(error.get("reason")) for error in errors}
    detail = "; ".join(
        " ".join(str(error.get(key, "")) for key in ("reason", "location", "message")).strip()
        for error in errors)
    return RowFailure(int(entry.get("index", 0)), scrub(detail)[:_MAX_ERROR], reasons <= _RETRYABLE_REASONS)


def _describe(exc: Exception) -> str:
    return scrub(f"BigQuery: {type(exc).__name__}: {exc}")[:_MAX_ERROR]


def _from_bigquery(row: dict[str, Any]) -> dict[str, Any]:
    """Timestamps spelt as the rows spell them; JSON columns already parsed by the client."""
    result = {name: value for name, value in row.items() if name != "position"}
    stamp = result.get("timestamp")
    if isinstance(stamp, datetime):
        result["timestamp"] = stamp.astimezone(UTC).strftime(TIMESTAMP_FORMAT)
    return result
