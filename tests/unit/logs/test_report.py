"""The match-quality figures on crafted rows: key coverage, site-given ids, warnings, lateness, findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from function.logs.quality import MATCH_KEYS
from function.logs.report import (
    PAIR_LABEL,
    REPORTED_KEYS,
    figures,
    findings,
    lateness_s,
    percentile,
    render,
    warnings_by_field,
)

EVENT_TIME = 1777636800  # 2026-05-01T12:00:00Z


def row(keys: list[str] | None, *, name: str = "checkout", source: str | None = "event_id",
        late_s: float = 0.0, outcome: str = "delivered", account: str = "549000000001",
        warnings: Any = None) -> dict[str, Any]:
    seconds, fraction = divmod(late_s, 1)
    minutes, second = divmod(int(seconds), 60)
    stamp = f"2026-05-01T12:{minutes:02d}:{second:02d}.{round(fraction * 1e6):06d}Z"
    return {"ad_account_id": account, "event_name": name, "outcome": outcome, "timestamp": stamp,
            "event_id_source": source, "match_keys": keys, "event_time": EVENT_TIME, "warnings": warnings}


def test_every_match_key_is_reported_with_ip_and_user_agent_as_one_pair() -> None:
    labels = [label for label, _ in REPORTED_KEYS]
    assert labels == ["em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id",
                      "hashed_maids", PAIR_LABEL, "click_id"]
    assert {key for _, needed in REPORTED_KEYS for key in needed} == set(MATCH_KEYS)


def test_shares_are_of_delivered_events_per_account_and_event_name() -> None:
    rows = [
        row(["em", "client_ip_address", "client_user_agent"]),
        row(["ph", "client_ip_address"], source="transaction_id"),
        row(["click_id"], source="generated"),
        row([], source="generated"),
        row(["em"], name="lead"),
    ]
    checkout, lead = figures(rows)
    assert (checkout.event_name, checkout.delivered) == ("checkout", 4)
    assert (lead.event_name, lead.delivered) == ("lead", 1)
    assert checkout.em_or_ph == 0.5
    assert checkout.site_event_id == 0.5
    assert checkout.keys["em"] == 0.25
    assert checkout.keys["ph"] == 0.25
    assert checkout.keys[PAIR_LABEL] == 0.25  # the IP address alone does not count
    assert checkout.keys["click_id"] == 0.25
    assert checkout.keys["fn"] == 0.0
    assert lead.keys["em"] == 1.0


def test_only_delivered_rows_that_name_their_keys_count() -> None:
    rows = [row(["em"]), row([], outcome="probe"), row([], outcome="retrying"), row([], outcome="failed"),
            row(None)]
    [only] = figures(rows)
    assert only.delivered == 1
    assert only.em_or_ph == 1.0


def test_lateness_is_whole_seconds_from_event_time_truncated() -> None:
    assert lateness_s(row([], late_s=10.999999)) == 10
    assert lateness_s(row([], late_s=0.0)) == 0
    early = {**row([]), "event_time": EVENT_TIME + 3, "timestamp": "2026-05-01T12:00:01.500000Z"}
    assert lateness_s(early) == -1
    assert lateness_s({**row([]), "event_time": None}) is None
    assert lateness_s({**row([]), "event_time": True}) is None


def test_percentiles_take_the_nearest_rank() -> None:
    values = list(range(1, 21))  # 1..20
    assert percentile(values, 0.5) == 10
    assert percentile(values, 0.95) == 19
    assert percentile([7], 0.95) == 7
    assert percentile([3, 9], 0.5) == 3
    assert percentile([], 0.5) is None


def test_lateness_median_and_p95_per_event_name() -> None:
    rows = [row(["em"], late_s=float(seconds)) for seconds in range(1, 21)]
    [checkout] = figures(rows)
    assert (checkout.lateness_p50_s, checkout.lateness_p95_s) == (10, 19)


def test_warnings_count_events_per_field_and_tolerate_anything_else() -> None:
    rows = [
        row(["em"], warnings=[{"field": "em", "reason": "not an e-mail"}, {"field": "em", "reason": "2"}]),
        row(["em"], warnings=[{"field": "ph", "reason": "too short"}, {"field": "em", "reason": "x"}]),
        row(["em"], warnings="not a list"),
        row(["em"], warnings='[{"field": "ct", "reason": "as JSON text"}]'),
        row(["em"], warnings=[1, {"reason": "no field"}]),
        {key: value for key, value in row(["em"]).items() if key != "warnings"},
    ]
    assert warnings_by_field(rows) == {"em": 2, "ct": 1, "ph": 1}
    [checkout] = figures(rows)
    assert checkout.warnings == {"em": 2, "ct": 1, "ph": 1}


def test_the_first_finding_is_the_one_touching_most_events() -> None:
    rows = ([row([], source="event_id") for _ in range(62)]
            + [row(["em"], source="generated") for _ in range(38)]
            + [row(["ph"], name="lead", source="generated")])
    found = findings(figures(rows))
    assert found[0].events == 62
    assert found[0].text == ("62 % of checkout events have no e-mail or phone (em, ph):"
                             " Pinterest matches them poorly")
    assert found[1].text.startswith("38 % of checkout events have a generated event_id")
    text = render(figures(rows), "7d")
    assert text.splitlines()[0] == f"To fix first: {found[0].text}."


def test_a_clean_log_says_there_is_nothing_to_fix() -> None:
    text = render(figures([row(["em", "ph"]), row(["em"], source="transaction_id")]), "7d")
    assert text.startswith("Nothing to fix:")
    assert render([], "1d") == "no delivered events since 1d"


@pytest.mark.parametrize(("share", "shown"),
                         [(0.004, "<1 %"), (0.996, ">99 %"), (0.62, "62 %"), (1.0, "100 %")])
def test_percentages_never_round_a_problem_away(share: float, shown: str) -> None:
    total = 1000
    carrying = round(share * total)
    rows = [row(["em"]) for _ in range(carrying)] + [row([]) for _ in range(total - carrying)]
    [checkout] = figures(rows)
    line = render([checkout], "7d").splitlines()[-1].split()
    assert " ".join(line[5:7]) == shown  # EM|PH column, after SITE ID


@pytest.mark.parametrize("name", ["match_quality.sql", "warnings_by_field.sql"])
def test_the_readme_shows_the_sql_files_the_view_and_the_tests_run(name: str) -> None:
    root = Path(__file__).resolve().parents[3]
    sql = (root / "function" / "logs" / name).read_text().replace("${table}", "PROJECT.pinterest_capi.events")
    assert f"```sql\n{sql}```" in (root / "README.md").read_text()
