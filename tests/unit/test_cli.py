"""`python -m function`: the readable table and the errors that stop a command."""

from __future__ import annotations

from pathlib import Path

import pytest

from function.__main__ import main, table


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
