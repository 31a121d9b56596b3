"""The BigQuery log store with the real client against the local emulator: types, retries, reading."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from function.__main__ import main
from function.logs.bigquery import BigQueryStore
from function.logs.console import ConsoleLog
from function.logs.journal import EventRecord
from function.logs.query import LogQuery
from function.logs.rows import InstanceFacts
from function.logs.table_journal import TableJournal
from function.logs.writer import LogWriter
from function.pipeline.field_warnings import FieldWarning
from tests.logs.conftest import Emulator
from tests.processes import ROOT, free_port

pytestmark = pytest.mark.slow

# As the logs keep it (function/logs/payload.py), so a row reads back equal to it.
PAYLOAD = {"event_name": "checkout", "event_id": "bq-1", "event_time": 1777636800, "action_source": "web",
           "user_data": {"em": ["a" * 64], "client_ip_address": "198.51.100.0/24"},
           "custom_data": {"currency": "USD", "value": "59.97"}}
DELIVERED = EventRecord(
    outcome="delivered", event_id="bq-1", event_name="checkout", payload=PAYLOAD,
    ad_account_id="549000000001",
    test_mode=True, delivery="awaited", attempt=1, batch_id="b-1", batch_size=1,
    request_url="http://127.0.0.1:1/v5/ad_accounts/549000000001/events", response_status_code=200,
    response_body={"status": "processed", "error_message": None}, response_headers={"x-request-id": "r1"},
    latency_ms=41.27, trace_id="0af7651916cd43dd8448eb211c80319c", ga4_event_name="purchase",
    action_source="web", tag_name="Pinterest CAPI")
WARNING = FieldWarning("custom_data.currency", "currency is not an ISO 4217 currency code; not sent")
INVALID = EventRecord(outcome="invalid", reason="user_data needs em, hashed_maids or ip and ua",
                      ga4_event_name="page_view")


def journal(store: BigQueryStore, console: io.StringIO, **options: float) -> TableJournal:
    settings = {"batch_max": 500, "flush_s": 60.0, **options}
    writer = LogWriter(store, ConsoleLog("no", stream=console), **settings)  # type: ignore[arg-type]
    return TableJournal(writer, InstanceFacts("pinterest-capi-00007-xyz"), ConsoleLog("no", stream=console))


def test_rows_land_with_the_schemas_types(emulator: Emulator) -> None:
    table, console = emulator.new_table(), io.StringIO()
    rows_journal = journal(BigQueryStore(table, emulator.endpoint), console)
    rows_journal.record([DELIVERED, INVALID])
    rows_journal.close()
    assert console.getvalue() == ""
    by_outcome = {row["outcome"]: row for row in emulator.rows(table)}
    delivered = by_outcome["delivered"]
    assert isinstance(delivered["timestamp"], datetime)
    assert delivered["timestamp"].tzinfo is not None
    assert delivered["request_body"] == PAYLOAD  # a JSON object, not a JSON-encoded string
    assert delivered["response_body"] == {"status": "processed", "error_message": None}
    assert delivered["response_headers"] == {"x-request-id": "r1"}
    assert (delivered["test_mode"], delivered["attempt"], delivered["latency_ms"]) == (True, 1, 41.3)
    assert (delivered["type"], delivered["request_method"], delivered["tag_name"]) == (
        "Response", "POST", "Pinterest CAPI")
    assert delivered["function_revision"] == "pinterest-capi-00007-xyz"
    invalid = by_outcome["invalid"]
    assert (invalid["reason"], invalid["request_body"], invalid["event_id"]) == (INVALID.reason, None, None)


def test_the_store_reads_back_what_it_wrote_newest_first(emulator: Emulator) -> None:
    table = emulator.new_table()
    store = BigQueryStore(table, emulator.endpoint)
    rows_journal = journal(store, io.StringIO())
    rows_journal.record([DELIVERED])
    rows_journal.close()
    since = datetime.now(UTC) - timedelta(hours=1)
    [row] = store.recent(LogQuery(since, event_id="bq-1"))
    assert row["request_body"] == PAYLOAD
    assert row["timestamp"].endswith("Z")
    assert store.recent(LogQuery(since, outcome="failed")) == []
    assert store.replayable(LogQuery(since)) == []


def test_inserts_that_keep_failing_are_retried_then_logged_with_the_full_row(emulator: Emulator) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: every insert fails to connect
    console = io.StringIO()
    rows_journal = journal(BigQueryStore("test-project.logs.events", dead, insert_deadline_s=0.2), console,
                           attempts=3, backoff_s=0.01)
    rows_journal.record([DELIVERED, INVALID])
    rows_journal.close()
    lines = [json.loads(line) for line in console.getvalue().splitlines()]
    assert [line["log_row"]["outcome"] for line in lines] == ["delivered", "invalid"]
    assert lines[0]["log_row"]["request_body"] == PAYLOAD
    assert lines[0]["row_id"] == "549000000001:bq-1:1:delivered"
    assert all(line["severity"] == "ERROR" and "bigquery insert failed after 3 attempts" in line["reason"]
               for line in lines)


def test_logs_reads_the_bigquery_table_the_environment_names(emulator: Emulator,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    table = emulator.new_table()
    rows_journal = journal(BigQueryStore(table, emulator.endpoint), io.StringIO())
    rows_journal.record([DELIVERED, INVALID])
    rows_journal.close()
    assert main(["logs", "--json"], environ=emulator.env(table)) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(row["outcome"] for row in rows) == ["delivered", "invalid"]
    assert main(["logs", "--outcome", "delivered"], environ=emulator.env(table)) == 0
    text = capsys.readouterr().out
    assert "bq-1" in text
    assert "invalid" not in text


def readme_queries() -> list[str]:
    """The ```sql blocks of the README's "Logs and replay" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Logs and replay", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, re.S)


def test_the_readme_queries_run_on_the_log_table(emulator: Emulator) -> None:
    table = emulator.new_table()
    rows_journal = journal(BigQueryStore(table, emulator.endpoint), io.StringIO())
    failed = replace(DELIVERED, outcome="failed", event_id="A-1001", response_status_code=400, attempt=1,
                     batch_id="b-2", reason="Pinterest answered 400: Invalid request")
    warned = replace(DELIVERED, event_id="W-1", warnings=(WARNING,))
    rows_journal.record([DELIVERED, failed, INVALID, warned])
    rows_journal.close()
    queries = readme_queries()
    assert len(queries) == 5
    answers = [list(emulator.client.query(sql.replace("PROJECT.pinterest_capi.events", table)).result())
               for sql in queries]
    assert [row["outcome"] for row in answers[0]] == ["failed"]  # what happened to event A-1001
    assert {(row["outcome"], row["reason"]) for row in answers[1]} == {("failed", "HTTP 400"),
                                                                        ("invalid", INVALID.reason)}
    assert [row["calls"] for row in answers[2]] == [2]  # one latency per Pinterest call (W-1 shared b-1)
    assert sum(row["delivered"] for row in answers[3]) == 2
    assert [(row["field"], row["reason"], row["events"]) for row in answers[4]] == \
        [(WARNING.field, WARNING.reason, 1)]  # values not sent, by field and reason
