"""What `logs` and `replay` ask a log store for, in terms both stores answer; pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from function.logs.schema import COLUMNS, TIMESTAMP_FORMAT
from function.outcomes import FINAL_FAILURES, Outcome

# Unit letter of a --since value → seconds it stands for.
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SINCE = re.compile(r"\s*(\d{1,6})\s*([smhdw])\s*")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Outcomes whose event `replay` sends again, in a fixed order so the query text is stable.
REPLAYABLE = tuple(outcome for outcome in Outcome if outcome in FINAL_FAILURES)


@dataclass(frozen=True)
class LogQuery:
    """Rows written at or after `since`, newest first, filtered by the given columns."""

    since: datetime
    event_id: str | None = None
    outcome: str | None = None
    event_name: str | None = None
    limit: int = 50
    ad_account_id: str | None = None

    @property
    def since_text(self) -> str:
        """`since` as the rows spell timestamps, for text comparison in SQLite."""
        return self.since.strftime(TIMESTAMP_FORMAT)


def parse_since(text: str, now: datetime) -> datetime:
    """'30m', '1h', '2d', '1w' before `now`; anything else, or reaching before 1970, is a ValueError.

    The log holds nothing older than 1970, and earlier years would not even compare as text (year 302
    is written '302-…', after '2026-…'), nor exist at all before year 1.
    """
    match = _SINCE.fullmatch(text.lower())
    if not match:
        raise ValueError(f"--since {text!r}: use a number and a unit, e.g. 30m, 1h, 2d or 1w")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds > (now - _EPOCH).total_seconds():
        raise ValueError(f"--since {text!r} reaches back before 1970; the log holds nothing older")
    return now - timedelta(seconds=seconds)


def recent_sql(table: str, mark: str) -> str:
    """Rows of `query`, newest first; `mark` is the dialect's parameter prefix (':' SQLite, '@' BigQuery).

    The table name is a checked setting and every value a bound parameter, hence the S608 waivers.
    """
    return (
        f"SELECT {', '.join(COLUMNS)} FROM {table} WHERE timestamp >= {mark}since"  # noqa: S608
        f" AND ({mark}event_id IS NULL OR event_id = {mark}event_id)"
        f" AND ({mark}outcome IS NULL OR outcome = {mark}outcome)"
        f" AND ({mark}event_name IS NULL OR event_name = {mark}event_name)"
        f" ORDER BY timestamp DESC LIMIT {mark}limit"
    )


def replayable_sql(table: str, mark: str) -> str:
    """The last row per (ad account, event id) since `since`, kept when its outcome is REPLAYABLE."""
    outcomes = ", ".join(f"'{outcome}'" for outcome in REPLAYABLE)
    return (
        f"SELECT * FROM (SELECT {', '.join(COLUMNS)},"  # noqa: S608
        " ROW_NUMBER() OVER (PARTITION BY ad_account_id, event_id"
        " ORDER BY timestamp DESC, attempt DESC) AS position,"
        " MAX(attempt) OVER (PARTITION BY ad_account_id, event_id) AS last_attempt"
        f" FROM {table} WHERE timestamp >= {mark}since AND event_id IS NOT NULL"
        f" AND ({mark}event_id IS NULL OR event_id = {mark}event_id))"
        f" WHERE position = 1 AND outcome IN ({outcomes}) ORDER BY timestamp LIMIT {mark}limit"
    )


# Columns `report` reads of a delivered row.
_DELIVERED_COLUMNS = ("ad_account_id", "event_name", "outcome", "timestamp", "event_id_source", "match_keys",
                      "warnings")


def delivered_sql(table: str, mark: str, event_time: str) -> str:
    """Delivered rows since `since` (of one ad account when given), as `report` reads them.

    Only `delivered` rows count: retries, refusals and probe rows never enter the figures. Rows written
    before the log named match keys (match_keys null) are left out. `event_time` is the dialect's
    expression for the payload's event_time.
    """
    return (
        f"SELECT {', '.join(_DELIVERED_COLUMNS)}, {event_time} AS event_time"  # noqa: S608
        f" FROM {table} WHERE timestamp >= {mark}since AND outcome = '{Outcome.DELIVERED}'"
        f" AND match_keys IS NOT NULL"
        f" AND ({mark}ad_account_id IS NULL OR ad_account_id = {mark}ad_account_id)"
    )
