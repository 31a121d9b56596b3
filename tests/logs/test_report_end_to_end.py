"""`report` end to end: rows the real server wrote give the same figures from SQLite, from the BigQuery
emulator, and from the view's SQL (function/logs/match_quality.sql) run on the emulator."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from function.__main__ import main
from function.logs.bigquery import BigQueryStore
from function.logs.query import LogQuery
from function.logs.report import REPORTED_KEYS, warnings_by_field
from function.logs.rows import row_id
from function.logs.schema import SCHEMA_PATH
from function.logs.sqlite import SqliteStore
from function.logs.store import PendingRow
from function.sandbox.server import Sandbox
from tests.logs.conftest import DATASET, PROJECT, Emulator
from tests.processes import AD_ACCOUNT, ROOT, SANDBOX_TOKEN, start_function, stop_process

pytestmark = pytest.mark.slow

VIEW_SQL = ROOT / "function" / "logs" / "match_quality.sql"
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def events(now: int) -> list[dict[str, Any]]:
    """Checkouts with and without e-mail or phone and a site id, a lead, a page view; each a known age."""
    web = {"ip_override": "198.51.100.7", "user_agent": UA}
    return [
        {"event_name": "purchase", "transaction_id": "T-1", "event_time": now - 600, **web,
         "user_data": {"email_address": "jane@example.com"}, "value": 10, "currency": "USD"},
        {"event_name": "purchase", "event_id": "E-2", "event_time": now - 7200, **web,
         "user_data": {"phone_number": "+14155550100"}},
        {"event_name": "purchase", "event_time": now - 30, **web},
        {"event_name": "purchase", "event_time": now - 86400, "ip_override": "198.51.100.8",
         "user_agent": UA},
        {"event_name": "generate_lead", "event_id": "L-1", "user_id": "u-1", "event_time": now - 5,
         "page_location": "https://shop.example.com/?epik=dj0yJnU9abc", **web,
         "user_data": {"email_address": "lead@example.com"}},
        {"event_name": "page_view", "event_id": "P-1", "hashed_maids": "a" * 64},
    ]


def report(environ: dict[str, str], capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["report", "--json", *args], environ=environ) == 0
    out = capsys.readouterr().out
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def by_name(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The figures of each event name as the view's columns name them."""
    return {f["event_name"]: {"ad_account_id": f["ad_account_id"], "delivered": f["delivered"],
                              "site_event_id": f["site_event_id"], "em_or_ph": f["em_or_ph"], **f["keys"],
                              "lateness_p50_s": f["lateness_p50_s"], "lateness_p95_s": f["lateness_p95_s"]}
            for f in found}


def test_report_gives_the_same_figures_from_sqlite_bigquery_and_the_view(
        emulator: Emulator, clean_sandbox: Sandbox, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "log.sqlite3"
    sqlite_env = {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
                  "PINTEREST_API_URL": clean_sandbox.url, "LOG_CONSOLE": "no", "LOG_BIGQUERY_FLUSH_MS": "1",
                  "LOG_SQLITE_PATH": str(database)}
    server = start_function(sqlite_env, tmp_path / "server.log")
    try:
        answer = server.post(events(int(time.time())))
        assert answer.status_code == 200, answer.text
    finally:
        stop_process(server.process)  # SIGTERM: the writer stores every row before the worker exits
    since = LogQuery(datetime.now(UTC) - timedelta(hours=1), limit=1000)
    rows = SqliteStore(str(database)).recent(since)
    assert sorted(row["event_id_source"] for row in rows) == [
        "event_id", "event_id", "event_id", "generated", "generated", "transaction_id"]
    # A probe row (its own outcome, written by a later change) never counts among deliveries.
    probe = {**rows[0], "outcome": "probe", "event_id": "probe-1", "match_keys": []}
    SqliteStore(str(database)).insert([PendingRow("probe", probe)])

    table = emulator.new_table()
    BigQueryStore(table, emulator.endpoint).insert(
        [PendingRow(row_id(row, index), row) for index, row in enumerate([*rows, probe])])
    bigquery_env = {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, **emulator.env(table)}

    from_sqlite = report(sqlite_env, capsys)
    from_bigquery = report(bigquery_env, capsys)
    assert from_sqlite == from_bigquery
    figures = by_name(from_sqlite["figures"])
    assert set(figures) == {"checkout", "lead", "page_visit"}
    checkout = figures["checkout"]
    assert (checkout["delivered"], checkout["site_event_id"], checkout["em_or_ph"]) == (4, 0.5, 0.5)
    assert checkout["client_ip_address_and_user_agent"] == 1.0
    assert 590 <= checkout["lateness_p50_s"] <= 7300
    assert 86390 <= checkout["lateness_p95_s"] <= 86500  # the day-old one: rank ceil(0.95 * 4) = 4
    assert figures["lead"]["click_id"] == figures["lead"]["external_id"] == 1.0
    assert figures["page_visit"]["hashed_maids"] == 1.0
    assert from_sqlite["findings"][0] == (
        "50 % of checkout events have no e-mail or phone (em, ph): Pinterest matches them poorly")

    # The view the terraform module creates, from the same file, over the same table.
    sql = VIEW_SQL.read_text().replace("${table}", table)
    viewed = [dict(row.items()) for row in emulator.client.query(sql).result()]
    assert {row.pop("event_name"): row for row in viewed} == figures
    assert [label for label, _ in REPORTED_KEYS] == [name for name in figures["lead"]
                                                      if name not in ("ad_account_id", "delivered",
                                                                      "site_event_id", "em_or_ph",
                                                                      "lateness_p50_s", "lateness_p95_s")]

    # One account's figures, and text output that starts with what to fix.
    assert report(sqlite_env, capsys, "--ad-account", "1") == {"since": "7d", "findings": [], "figures": []}
    assert main(["report"], environ=sqlite_env) == 0
    assert capsys.readouterr().out.startswith("To fix first: 50 % of checkout events have no e-mail or phone")
    assert main(["report", "--ad-account", "x1"], environ=sqlite_env) == 2


def test_warnings_by_field_sql_counts_as_report_does(emulator: Emulator) -> None:
    """On a table with the `warnings` column (added here when the schema has none yet)."""
    from google.cloud import bigquery

    columns = json.loads(SCHEMA_PATH.read_text())
    if "warnings" not in [column["name"] for column in columns]:
        columns.append({"name": "warnings", "type": "JSON", "mode": "NULLABLE"})
    created = emulator.client.create_table(bigquery.Table(
        f"{PROJECT}.{DATASET}.warnings_{uuid.uuid4().hex[:12]}",
        schema=[bigquery.SchemaField.from_api_repr(column) for column in columns]))
    table = created.full_table_id.replace(":", ".")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    warned = [[{"field": "em", "reason": "not hashed"}, {"field": "em", "reason": "twice"}],
              [{"field": "ph", "reason": "short"}, {"field": "em", "reason": "x"}], [], None]
    rows = [{"timestamp": stamp, "outcome": outcome, "ad_account_id": AD_ACCOUNT, "event_name": "checkout",
             "event_id": f"w-{index}", "batch_id": "b", "attempt": 1, "match_keys": ["em"],
             "warnings": warnings}
            for index, (outcome, warnings) in enumerate(
                [("delivered", w) for w in warned] + [("retrying", warned[0]), ("probe", warned[0])])]
    errors = emulator.client.insert_rows_json(table, [
        {key: json.dumps(value) if key in ("match_keys", "warnings") else value
         for key, value in row.items() if value is not None} for row in rows])
    assert errors == []
    sql = (ROOT / "function" / "logs" / "warnings_by_field.sql").read_text().replace("${table}", table)
    found = {row["field"]: row["events"] for row in emulator.client.query(sql).result()}
    delivered = [row for row in rows if row["outcome"] == "delivered"]
    assert found == warnings_by_field(delivered) == {"em": 2, "ph": 1}
