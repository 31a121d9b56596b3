"""--since parsing and the SQL both stores share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from function.logs.query import parse_since, recent_sql, replayable_sql

NOW = datetime(2026, 5, 8, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "delta"), [
    ("30m", timedelta(minutes=30)), ("1h", timedelta(hours=1)), ("2d", timedelta(days=2)),
    (" 1W ", timedelta(weeks=1)), ("45s", timedelta(seconds=45)),
])
def test_since_counts_back_from_now(text: str, delta: timedelta) -> None:
    assert parse_since(text, NOW) == NOW - delta


@pytest.mark.parametrize("text", ["", "1", "h", "1y", "-1h", "1.5h"])
def test_a_since_without_number_and_unit_is_refused_with_the_form_to_use(text: str) -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 30m, 1h, 2d or 1w"):
        parse_since(text, NOW)


def test_the_sql_binds_every_value_in_the_dialects_parameter_style() -> None:
    for mark in (":", "@"):
        for sql in (recent_sql("events", mark), replayable_sql("events", mark)):
            assert f"{mark}since" in sql
            assert f"{mark}limit" in sql
    assert "outcome IN ('failed', 'dropped')" in replayable_sql("events", ":")
