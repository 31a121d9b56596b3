"""`python -m function`: the readable table and the errors that stop a command."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from function.__main__ import main, table
from function.logs.journal import EventRecord
from function.logs.rows import InstanceFacts, build_row
from function.logs.sqlite import SqliteStore
from function.logs.store import PendingRow
from function.pipeline.field_warnings import FieldWarning


def test_the_table_aligns_columns_shortens_timestamps_and_cuts_long_texts() -> None:
    rows = [{"timestamp": "2026-05-01T12:00:00.123456Z", "outcome": "failed", "reason": "x" * 12},
            {"timestamp": None, "outcome": "delivered", "reason": None}]
    text = table(rows, [("TIME", "timestamp", 19), ("OUTCOME", "outcome", 9), ("REASON", "reason", 10)])
    assert text.splitlines() == [
        "TIME                 OUTCOME    REASON",
        "2026-05-01 12:00:00  failed     xxxxxxxxx…",
        "                     delivered",
    ]


def test_logs_with_a_bad_since_or_setting_names_the_problem_and_exits_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    local = {"LOG_SQLITE_PATH": str(tmp_path / "log.sqlite3")}
    assert main(["logs", "--since", "yesterday"], environ=local) == 2
    assert "--since 'yesterday': use a number and a unit" in capsys.readouterr().err
    assert main(["logs"], environ={"LOG_BIGQUERY_TABLE": "not-a-table"}) == 2
    assert "LOG_BIGQUERY_TABLE must be project.dataset.table" in capsys.readouterr().err
    assert main(["logs"], environ={"LOG_SQLITE_PATH": "none"}) == 2
    assert "no log store" in capsys.readouterr().err


def test_logs_on_an_empty_store_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", "--since", "2h"], environ={"LOG_SQLITE_PATH": str(tmp_path / "log.sqlite3")}) == 0
    assert capsys.readouterr().out.strip() == "no rows in the sqlite log since 2h"


@pytest.mark.parametrize("since", ["999999w", "90000w", "30000d"])
def test_logs_reaching_back_before_1970_is_a_clear_error_not_a_traceback_nor_an_empty_answer(
        since: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", "--since", since], environ={"LOG_SQLITE_PATH": str(tmp_path / "log.sqlite3")}) == 2
    assert f"--since {since!r} reaches back before 1970" in capsys.readouterr().err


def test_caller_controlled_texts_cannot_forge_or_hide_rows_of_the_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    forged = "A-1\n2026-05-01 12:00:00  delivered  checkout  FORGED"
    hidden = "\x1b[1A\x1b[2K\r\u202eruined"
    store = SqliteStore(str(tmp_path / "log.sqlite3"))
    record = EventRecord(outcome="invalid", event_id=forged, event_name="checkout", reason=hidden, attempt=1)
    store.insert([PendingRow("r1", build_row(record, InstanceFacts(), datetime.now(UTC)))])
    assert main(["logs"], environ={"LOG_SQLITE_PATH": str(store.path)}) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 2, out  # the heading and the one row
    assert all(c.isprintable() for c in out.replace("\n", "")), repr(out)
    assert "A-1\\n2026-05-01" in lines[1]
    assert "\\x1b[1A\\x1b[2K\\r\\u202eruined" in lines[1]


def test_logs_names_the_fields_an_event_was_warned_of(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    store = SqliteStore(str(tmp_path / "log.sqlite3"))
    warnings = (FieldWarning("custom_data.value", "value is ambiguous; not sent"),
                FieldWarning("user_data.ph", "phone cannot be placed; not sent"))
    record = EventRecord(outcome="delivered", event_id="A-1", event_name="checkout", attempt=1,
                         warnings=warnings)
    store.insert([PendingRow("r1", build_row(record, InstanceFacts(), datetime.now(UTC)))])
    assert main(["logs"], environ={"LOG_SQLITE_PATH": str(store.path)}) == 0
    heading, row = capsys.readouterr().out.splitlines()
    assert heading.endswith("WARNED")
    assert row.endswith("custom_data.value, user_data.ph")


def test_replay_dead_letters_needs_its_subscription_and_refuses_the_log_s_filters(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    local = {"LOG_SQLITE_PATH": str(tmp_path / "log.sqlite3")}
    assert main(["replay", "--dead-letters"], environ=local) == 2
    assert "--dead-letters needs PUBSUB_DEAD_LETTER_SUBSCRIPTION" in capsys.readouterr().err
    dead = {**local, "PUBSUB_DEAD_LETTER_SUBSCRIPTION": "projects/my-project/subscriptions/events-dead"}
    for chosen in (["--event-id", "A-1"], ["--since", "1d"]):
        assert main(["replay", "--dead-letters", "--dry-run", *chosen], environ=dead) == 2
        assert "--event-id and --since choose logged failures" in capsys.readouterr().err
