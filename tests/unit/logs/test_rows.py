"""The row builder: one schema-exact row per journal record, with nothing raw or secret in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from function.logs.journal import EventRecord
from function.logs.rows import InstanceFacts, build_row, row_id, safe_url
from function.logs.schema import COLUMNS, checked
from function.pipeline.field_warnings import FieldWarning

NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
FACTS = InstanceFacts(revision="pinterest-capi-00042-abc")
PAYLOAD = {"event_name": "checkout", "event_id": "A-1001", "event_time": 1777636800, "action_source": "web",
           "user_data": {"em": ["f" * 64]}}
URL = "https://api.pinterest.com/v5/ad_accounts/549000000001/events"


def attempt(**overrides: object) -> EventRecord:
    fields = {"outcome": "delivered", "event_id": "A-1001", "event_name": "checkout", "payload": PAYLOAD,
              "ad_account_id": "549000000001", "test_mode": False, "delivery": "awaited", "attempt": 1,
              "batch_id": "b1", "batch_size": 1, "request_url": URL, "response_status_code": 200,
              "response_body": {"status": "processed", "error_message": None},
              "response_headers": {"x-request-id": "r-1"}, "latency_ms": 87.456, "trace_id": "t" * 32,
              "ga4_event_name": "purchase", "action_source": "web", "tag_name": "Pinterest CAPI",
              "event_id_source": "transaction_id"}
    return EventRecord(**{**fields, **overrides})  # type: ignore[arg-type]


def test_a_delivered_attempt_fills_every_column_with_the_schemas_types() -> None:
    row = build_row(attempt(), FACTS, NOW)
    assert list(row) == list(COLUMNS)
    assert checked(row)[0] == []
    assert row == {
        "timestamp": "2026-05-01T12:00:00.123456Z", "type": "Response", "trace_id": "t" * 32,
        "tag_name": "Pinterest CAPI", "event_name": "checkout", "request_method": "POST", "request_url": URL,
        "request_body": PAYLOAD, "response_status_code": 200,
        "response_body": {"status": "processed", "error_message": None},
        "response_headers": {"x-request-id": "r-1"}, "message": "Pinterest processed the event",
        "reason": None,
        "event_id": "A-1001", "ad_account_id": "549000000001", "ga4_event_name": "purchase",
        "action_source": "web", "test_mode": False, "delivery": "awaited", "attempt": 1, "batch_id": "b1",
        "batch_size": 1, "latency_ms": 87.5, "outcome": "delivered", "error": None,
        "function_revision": "pinterest-capi-00042-abc", "warnings": None,
        "event_id_source": "transaction_id",
        "match_keys": ["em"],
    }


def failure(outcome: str, reason: str, **more: object) -> EventRecord:
    return attempt(outcome=outcome, reason=reason, **more)


FAILURES = [
    ("an event Pinterest failed in a 200",
     failure("failed", "em is not a hash", response_body={"status": "failed", "error_message": "x"}),
     "event rejected (HTTP 200)", "Response"),
    ("a 400 for the whole call",
     failure("failed", "Pinterest answered 400", response_status_code=400,
             response_body={"code": 1, "message": "Invalid"}),
     "HTTP 400", "Response"),
    ("no answer",
     failure("retrying", "Pinterest unreachable: timeout", response_status_code=None, response_body=None,
             latency_ms=None),
     "no answer", "Request"),
    ("a drop at shutdown",
     failure("dropped", "the shutdown budget ended before delivery", request_url=None,
             response_status_code=None, attempt=None),
     "not sent", "Message"),
]


@pytest.mark.parametrize(("record", "reason", "kind"), [case[1:] for case in FAILURES],
                         ids=[case[0] for case in FAILURES])
def test_a_failure_has_a_category_to_group_by_and_the_full_text_as_error(
        record: EventRecord, reason: str, kind: str) -> None:
    row = build_row(record, FACTS, NOW)
    assert (row["reason"], row["type"], row["error"]) == (reason, kind, record.reason)
    assert checked(row)[0] == []


def test_a_refusal_keeps_its_reason_and_carries_no_payload() -> None:
    row = build_row(EventRecord(outcome="invalid", reason="user_data needs em, hashed_maids or ip and ua",
                                ga4_event_name="purchase", trace_id="t1"), InstanceFacts(), NOW)
    assert row["reason"] == "user_data needs em, hashed_maids or ip and ua"
    assert (row["request_body"], row["error"], row["type"]) == (None, None, "Message")
    assert row["function_revision"] is None
    assert checked(row)[0] == []


def test_texts_from_other_systems_are_scrubbed_again() -> None:
    record = attempt(outcome="failed", reason="bad value jane@example.com for Bearer abc.def",
                     response_body={"status": "failed", "error_message": "phone 4155550199 is invalid"},
                     tag_name="tag for jane@example.com", ga4_event_name="x 4155550199")
    row = build_row(record, FACTS, NOW)
    assert row["error"] == "bad value [email] for Bearer [redacted]"
    assert row["response_body"]["error_message"] == "phone [digits] is invalid"
    assert (row["tag_name"], row["ga4_event_name"]) == ("tag for [email]", "x [digits]")


def test_a_response_that_is_not_an_object_is_wrapped_in_one() -> None:
    assert build_row(attempt(response_body=["x"]), FACTS, NOW)["response_body"] == {"value": ["x"]}


def test_action_source_falls_back_to_the_payloads() -> None:
    assert build_row(attempt(action_source=None), FACTS, NOW)["action_source"] == "web"


@pytest.mark.parametrize(("url", "expected"), [
    (URL + "?test=true", URL + "?test=true"),
    (URL + "?access_token=secret&test=true#frag", URL + "?test=true"),
    ("https://user:pw@api.example.com:8443/v5/x?key=1", "https://api.example.com:8443/v5/x"),
])
def test_a_logged_url_keeps_no_credential_and_no_unknown_query(url: str, expected: str) -> None:
    assert safe_url(url) == expected


def test_row_ids_are_account_event_attempt_and_outcome_so_a_resent_insert_is_not_counted_twice() -> None:
    assert row_id(build_row(attempt(attempt=3), FACTS, NOW), 0) == "549000000001:A-1001:3:delivered"
    assert row_id(build_row(attempt(outcome="dropped", attempt=None), FACTS, NOW), 0) == (
        "549000000001:A-1001:-:dropped")
    assert row_id(build_row(attempt(ad_account_id=None), FACTS, NOW), 0) == "-:A-1001:1:delivered"


def test_one_event_id_sent_to_two_ad_accounts_gets_two_row_ids() -> None:
    rows = [build_row(attempt(ad_account_id=account), FACTS, NOW)
            for account in ("549000000001", "549000000002")]
    assert row_id(rows[0], 0) != row_id(rows[1], 0)


def test_refusals_without_an_event_id_get_ids_that_are_stable_and_unique_within_a_request() -> None:
    rows = [build_row(EventRecord(outcome="invalid", reason="same"), FACTS, NOW) for _ in range(2)]
    ids = [row_id(row, position) for position, row in enumerate(rows)]
    assert ids == [row_id(row, position) for position, row in enumerate(rows)]
    assert len(set(ids)) == 2
    assert all(i.startswith("invalid:") for i in ids)


def test_the_warnings_column_lists_field_and_reason_and_is_null_without_any() -> None:
    warning = FieldWarning("user_data.em", "user_data.email_address is not an e-mail address; not sent")
    row = build_row(attempt(warnings=(warning,)), FACTS, NOW)
    assert row["warnings"] == [{"field": "user_data.em",
                                "reason": "user_data.email_address is not an e-mail address; not sent"}]
    assert checked(row)[0] == []
    assert build_row(attempt(), FACTS, NOW)["warnings"] is None


def test_a_warning_is_scrubbed_like_every_logged_text() -> None:
    leaked = FieldWarning("custom_data.contents[0].jane@example.com", "a reason with 4155550199 in it")
    row = build_row(attempt(warnings=(leaked,)), FACTS, NOW)
    assert row["warnings"] == [{"field": "custom_data.contents[0][email]",  # the dot reads as the address's
                                "reason": "a reason with [digits] in it"}]


def test_a_row_names_the_match_keys_an_event_carried_never_their_values() -> None:
    digest = "a" * 64
    payload = {**PAYLOAD, "user_data": {"ph": [digest], "em": [digest], "client_ip_address": "203.0.113.7",
                                        "client_user_agent": "Mozilla/5.0", "click_id": "dj0yJnU9abc",
                                        "partner_id": "p-1", "fn": []}}
    row = build_row(attempt(payload=payload), FACTS, NOW)
    assert row["match_keys"] == ["em", "ph", "client_ip_address", "client_user_agent", "click_id"]
    assert checked(row)[0] == []


def test_a_row_without_a_payload_names_no_match_keys() -> None:
    row = build_row(EventRecord(outcome="invalid", event_id="A-1", reason="no identifier"), FACTS, NOW)
    assert row["match_keys"] is None
    assert row["event_id_source"] is None


def test_each_row_is_stamped_with_its_own_time_though_rows_of_a_batch_share_one() -> None:
    # the text of a batch's `now` is made once; an equal instant given in another offset reads apart
    first = datetime(2026, 12, 1, 12, 0, 0, 5, tzinfo=UTC)
    same_instant = first.astimezone(timezone(timedelta(hours=1)))
    later = datetime(2026, 12, 1, 12, 0, 1, tzinfo=UTC)
    times = (first, first, same_instant, later)
    stamps = [build_row(attempt(), InstanceFacts(), now)["timestamp"] for now in times]
    assert stamps == [now.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for now in times]
