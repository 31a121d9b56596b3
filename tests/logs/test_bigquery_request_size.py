"""BigQuery's request size limit: a batch over it is split, never retried whole nor sent to the console.

The real client, store and writer, against a stand-in insertAll that refuses a request body over
the limit as BigQuery does ("Request payload size exceeds the limit"); the emulator enforces none.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from function.logs.bigquery import BigQueryStore
from function.logs.console import ConsoleLog
from function.logs.journal import EventRecord
from function.logs.rows import InstanceFacts
from function.logs.table_journal import TableJournal
from function.logs.writer import LogWriter
from tests.bigquery_stub import BIGQUERY_REQUEST_LIMIT, BigQueryInsertStub

TABLE = "proj.pinterest_capi.events"


@pytest.fixture
def stub() -> Iterator[BigQueryInsertStub]:
    running = BigQueryInsertStub()
    yield running
    running.stop()


def _record(n: int, payload_bytes: int) -> EventRecord:
    payload = {"event_name": "checkout", "event_id": f"e{n}", "event_time": 1777636800,
               "action_source": "web", "user_data": {"em": ["a" * 64]},
               "custom_data": {"content_ids": ["x" * 90] * (payload_bytes // 93)}}
    return EventRecord(outcome="delivered", event_id=f"e{n}", event_name="checkout", payload=payload,
                       ad_account_id="549000000001", delivery="awaited", attempt=1)


def _write(stub: BigQueryInsertStub, records: list[EventRecord]) -> list[dict[str, object]]:
    """Every record through the journal and one writer batch; the console's lines are returned."""
    console = io.StringIO()
    writer = LogWriter(BigQueryStore(TABLE, stub.endpoint), ConsoleLog("no", stream=console), batch_max=500,
                       flush_s=60.0, backoff_s=0.01)
    TableJournal(writer, InstanceFacts("rev-1"), ConsoleLog("no", stream=console)).record(records)
    assert writer.flush(30.0)
    return [json.loads(line) for line in console.getvalue().splitlines()]


def test_a_batch_over_the_request_limit_is_stored_in_parts_that_fit(stub: BigQueryInsertStub) -> None:
    records = [_record(n, 40_000) for n in range(300)]  # 12 MB in one batch of 300 rows
    console = _write(stub, records)
    assert console == []
    assert sorted(stub.rows) == sorted(f"549000000001:e{n}:1:delivered" for n in range(300))
    assert all(size <= BIGQUERY_REQUEST_LIMIT and status == 200 for size, status in stub.requests)


def test_a_refused_size_is_split_at_once_and_only_a_row_too_large_alone_goes_to_the_console(
        stub: BigQueryInsertStub) -> None:
    stub.limit_bytes = 1 << 20  # a limit below the store's own estimate: BigQuery's answer decides
    records = [_record(n, 40_000) for n in range(60)] + [_record(60, 1_200_000)]
    console = _write(stub, records)
    assert sorted(stub.rows) == sorted(f"549000000001:e{n}:1:delivered" for n in range(60))
    [line] = console
    assert line["log_row"]["event_id"] == "e60"
    assert "exceeds the limit" in line["reason"]
    refused = [size for size, status in stub.requests if status == 400]
    assert len(refused) < 2 * len(records)  # halved, never the same request again
    assert len(set(refused)) == len(refused)
