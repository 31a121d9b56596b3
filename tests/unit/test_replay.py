"""Replay: which logged failures can be sent again, and how their new attempts are numbered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from function.console_log import ConsoleLog
from function.delivery import Deliverer
from function.journal import EventRecord
from function.pinterest import Answer
from function.replay import ContinuedAttempts, Replayed, last_attempts, plan, run
from function.tokens import StaticToken

NOW_S = 1_800_000_000.0
DAY = 86400


def last_row(event_id: str, *, age_s: float = 3600, last_attempt: int | None = 2, **more: Any) -> dict:
    payload = {"event_id": event_id, "event_name": "checkout", "event_time": int(NOW_S - age_s)}
    return {"event_id": event_id, "event_name": "checkout", "outcome": "failed", "request_body": payload,
            "ad_account_id": "549000000001", "test_mode": True, "trace_id": "t1",
            "ga4_event_name": "purchase",
            "tag_name": "CAPI", "last_attempt": last_attempt, **more}


class ProcessingClient:
    """Pinterest at our adapter interface: processes every event."""

    def __init__(self) -> None:
        self.sent: list[list[Mapping[str, Any]]] = []

    def url(self, ad_account_id: str) -> str:
        return f"http://pinterest.test/v5/ad_accounts/{ad_account_id}/events"

    def send(self, ad_account_id: str, events: Sequence[Mapping[str, Any]], *, test: bool, token: str,
             read_timeout: float | None = None) -> Answer:
        self.sent.append(list(events))
        return Answer(200, {"events": [{"status": "processed"} for _ in events]})


class ListJournal:
    def __init__(self) -> None:
        self.records: list[EventRecord] = []

    def record(self, records: Sequence[EventRecord]) -> None:
        self.records.extend(records)


def test_events_inside_pinterests_7_days_are_sent_with_their_logged_payload_and_account() -> None:
    chosen = plan([last_row("A")], NOW_S)
    [(item, last)] = chosen.send
    assert (item.payload["event_id"], item.ad_account_id, item.test, last) == ("A", "549000000001", True, 2)
    assert (item.trace_id, item.ga4_event_name, item.tag_name) == ("t1", "purchase", "CAPI")
    assert chosen.refused == ()


def test_events_older_than_7_days_or_without_a_payload_are_reported_not_sent() -> None:
    chosen = plan([last_row("old", age_s=7 * DAY + 60), last_row("bare", request_body=None),
                   last_row("dropped", last_attempt=None)], NOW_S)
    assert [(item.payload["event_id"], last) for item, last in chosen.send] == [("dropped", 0)]
    assert [(r.event_id, r.result) for r in chosen.refused] == [("old", "too old"), ("bare", "unusable")]


def test_replayed_attempts_continue_the_events_numbering_in_the_journal() -> None:
    chosen = plan([last_row("A", last_attempt=3), last_row("B", last_attempt=None)], NOW_S)
    journal, client = ListJournal(), ProcessingClient()
    numbered = ContinuedAttempts(journal, last_attempts(chosen.send))
    deliverer = Deliverer(client, StaticToken("t"), numbered, ConsoleLog("no"), 3)  # type: ignore[arg-type]
    results = run(chosen.send, deliverer)
    assert results == [Replayed("A", "checkout", "delivered"), Replayed("B", "checkout", "delivered")]
    assert [e["event_id"] for e in client.sent[0]] == ["A", "B"]
    assert [(r.event_id, r.attempt, r.delivery, r.outcome) for r in journal.records] == [
        ("A", 4, "replay", "delivered"), ("B", 1, "replay", "delivered")]


def test_a_missing_token_fails_the_replay_by_name_without_sending() -> None:
    chosen = plan([last_row("A")], NOW_S)
    client = ProcessingClient()
    deliverer = Deliverer(client, StaticToken(""), ListJournal(), ConsoleLog("no"), 3)  # type: ignore[arg-type]
    [result] = run(chosen.send, deliverer)
    assert result.result == "failed"
    assert result.detail == "token unavailable: PINTEREST_ACCESS_TOKEN is not set"
    assert client.sent == []
