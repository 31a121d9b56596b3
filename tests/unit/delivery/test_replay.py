"""Replay: which logged failures can be sent again, and how their new attempts are numbered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from function.credentials.tokens import StaticToken
from function.delivery.deliverer import Deliverer
from function.delivery.pinterest import Answer
from function.delivery.replay import ContinuedAttempts, Replayed, last_attempts, run, triage
from function.logs.console import ConsoleLog
from function.pipeline.options import AccountAllowlist
from tests.doubles import ListJournal

NOW_S = 1_800_000_000.0
DAY = 86400


ACCOUNTS = AccountAllowlist("549000000001", ["549000000002"])
DIGEST = "b" * 64


def logged_event(event_id: str, age_s: float = 3600) -> dict:
    """An event as the function builds it and the logs keep it."""
    return {"event_name": "checkout", "action_source": "web", "event_time": int(NOW_S - age_s),
            "event_id": event_id, "event_source_url": "https://shop.example/done?email=&utm_source=news",
            "user_data": {"em": [DIGEST], "client_ip_address": "198.51.100.0/24",
                          "client_user_agent": "Mozilla/5 Chrome/120", "click_id": "dj0yJnU9abc"},
            "custom_data": {"currency": "USD", "value": "10", "order_id": "A-1001",
                            "search_string": "[withheld]",
                            "contents": [{"id": "SKU-1", "item_price": "10", "quantity": 1}]}}


def last_row(event_id: str, *, age_s: float = 3600, last_attempt: int | None = 2, **more: Any) -> dict:
    return {"event_id": event_id, "event_name": "checkout", "outcome": "failed",
            "request_body": logged_event(event_id, age_s),
            "ad_account_id": "549000000001", "test_mode": True, "trace_id": "t1",
            "ga4_event_name": "purchase",
            "tag_name": "CAPI", "last_attempt": last_attempt, **more}


def tampered(event_id: str, section: str, key: str, value: Any) -> dict:
    row = last_row(event_id)
    body = row["request_body"]
    (body if section == "event" else body[section])[key] = value
    return row


class ProcessingClient:
    """Pinterest at our adapter interface: processes every event."""

    def __init__(self) -> None:
        self.sent: list[list[Mapping[str, Any]]] = []

    def url(self, ad_account_id: str) -> str:
        return f"http://pinterest.test/v5/ad_accounts/{ad_account_id}/events"

    def send(self, ad_account_id: str, events: Sequence[Mapping[str, Any]], *, test: bool, token: str,
             within_s: float | None = None) -> Answer:
        self.sent.append(list(events))
        return Answer(200, {"events": [{"status": "processed"} for _ in events]})


def test_events_inside_pinterests_7_days_are_sent_with_their_logged_payload_and_account() -> None:
    chosen = triage([last_row("A")], NOW_S, ACCOUNTS)
    [(item, last)] = chosen.send
    assert (item.payload["event_id"], item.ad_account_id, item.test, last) == ("A", "549000000001", True, 2)
    assert (item.trace_id, item.ga4_event_name, item.tag_name) == ("t1", "purchase", "CAPI")
    assert chosen.refused == ()


def test_events_older_than_7_days_or_without_a_payload_are_reported_not_sent() -> None:
    chosen = triage([last_row("old", age_s=7 * DAY + 60), last_row("bare", request_body=None),
                   last_row("dropped", last_attempt=None)], NOW_S, ACCOUNTS)
    assert [(item.payload["event_id"], last) for item, last in chosen.send] == [("dropped", 0)]
    assert [(r.event_id, r.result) for r in chosen.refused] == [("old", "too old"), ("bare", "unusable")]


def test_replayed_attempts_continue_the_events_numbering_in_the_journal() -> None:
    chosen = triage([last_row("A", last_attempt=3), last_row("B", last_attempt=None)], NOW_S, ACCOUNTS)
    journal, client = ListJournal(), ProcessingClient()
    numbered = ContinuedAttempts(journal, last_attempts(chosen.send))
    deliverer = Deliverer(client, StaticToken("t"), numbered, ConsoleLog("no"), 3)  # type: ignore[arg-type]
    results = run(chosen.send, deliverer)
    assert results == [Replayed("A", "checkout", "delivered"), Replayed("B", "checkout", "delivered")]
    assert [e["event_id"] for e in client.sent[0]] == ["A", "B"]
    assert [(r.event_id, r.attempt, r.delivery, r.outcome) for r in journal.records] == [
        ("A", 4, "replay", "delivered"), ("B", 1, "replay", "delivered")]


def test_a_missing_token_fails_the_replay_by_name_without_sending() -> None:
    chosen = triage([last_row("A")], NOW_S, ACCOUNTS)
    client = ProcessingClient()
    deliverer = Deliverer(client, StaticToken(""), ListJournal(), ConsoleLog("no"), 3)  # type: ignore[arg-type]
    [result] = run(chosen.send, deliverer)
    assert result.result == "failed"
    assert result.detail == "token unavailable: PINTEREST_ACCESS_TOKEN is not set"
    assert client.sent == []


def test_the_sent_event_is_the_logged_one_without_what_the_logs_keep_only_reduced() -> None:
    [(item, _)] = triage([last_row("A")], NOW_S, ACCOUNTS).send
    expected = logged_event("A")
    del expected["user_data"]["client_ip_address"], expected["user_data"]["client_user_agent"]
    del expected["custom_data"]["search_string"]
    assert item.payload == expected


@pytest.mark.parametrize(("row", "detail"), [
    pytest.param(last_row("A", ad_account_id="549000000001/../../../other/endpoint?x="),
                 "ad_account_id is not 1-18 digits", id="a path in the account"),
    pytest.param(last_row("A", ad_account_id="549000000001@evil.example"), "ad_account_id is not 1-18 digits",
                 id="a host in the account"),
    pytest.param(last_row("A", ad_account_id="1" * 19), "ad_account_id is not 1-18 digits", id="19 digits"),
    pytest.param(last_row("A", ad_account_id=549000000001), "ad_account_id is not 1-18 digits",
                 id="a number, not text"),
    pytest.param(last_row("A", ad_account_id="549000000099"),
                 "ad_account_id is neither PINTEREST_AD_ACCOUNT_ID nor in PINTEREST_AD_ACCOUNT_IDS",
                 id="an account not allowed"),
    pytest.param(tampered("A", "user_data", "em", ["victim@example.org"]),
                 "the payload holds a value the logs never keep", id="an unhashed e-mail in em"),
    pytest.param(tampered("A", "user_data", "em", [DIGEST.upper()]),
                 "the payload holds a value the logs never keep", id="an upper-case digest"),
    pytest.param(tampered("A", "custom_data", "content_name", "victim@example.org"),
                 "the payload holds a value the logs never keep", id="an e-mail in free text"),
    pytest.param(tampered("A", "user_data", "client_ip_address", "198.51.100.7"),
                 "the payload holds a value the logs never keep", id="a whole IP address"),
    pytest.param(tampered("A", "event", "callback_url", "https://evil.example/"),
                 "the event holds a key build_event never writes", id="a key the build never writes"),
    pytest.param(tampered("A", "user_data", "em", "b" * 64), "user_data.em must hold SHA-256 digests",
                 id="a digest not in a list"),
    pytest.param(tampered("A", "custom_data", "value", 10),
                 "custom_data.value is not a value the gateway builds", id="a number, not a decimal string"),
    pytest.param(tampered("A", "event", "event_name", "check out!"), "event_name must be a standard name",
                 id="an event name Pinterest refuses"),
    pytest.param(tampered("A", "event", "event_id", "B"), "the payload's event_id is not the row's",
                 id="another event's id"),
    pytest.param(tampered("A", "user_data", "em", None), "no em or hashed_maids",
                 id="only IP and user agent"),
])
def test_a_tampered_row_is_refused_with_its_reason_and_nothing_is_sent(row: dict, detail: str) -> None:
    chosen = triage([row], NOW_S, ACCOUNTS)
    assert chosen.send == ()
    [refused] = chosen.refused
    assert (refused.result, refused.detail[:len(detail)]) == ("refused", detail)
