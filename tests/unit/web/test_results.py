"""The caller's answer: per-event statuses folded into one status word and the README's HTTP status."""

from __future__ import annotations

import pytest

from function.delivery.deliverer import Attempt, EventOutcome
from function.delivery.pinterest import Answer
from function.outcomes import Outcome
from function.pipeline.field_warnings import FieldWarning
from function.pipeline.options import Options
from function.pipeline.request import Built
from function.web.results import EventResult, for_browser, summarize


def result(status: Outcome, error: str | None = None, http_status: int = 200) -> EventResult:
    return EventResult("e-1", "checkout", status, error, http_status)


# The caller's word → the outcome it reports: the answer says `sent` for delivered.
WORDS = {"sent": Outcome.DELIVERED, "queued": Outcome.QUEUED, "skipped": Outcome.SKIPPED,
         "failed": Outcome.FAILED, "invalid": Outcome.INVALID}


@pytest.mark.parametrize(
    ("statuses", "overall", "code"),
    [
        pytest.param(["sent", "sent"], "sent", 200, id="every event sent: 200"),
        pytest.param(["sent", "skipped"], "sent", 200, id="sent and skipped: 200"),
        pytest.param(["skipped"], "skipped", 200, id="every event skipped: 200"),
        pytest.param(["queued", "skipped"], "queued", 202, id="queued for optimistic delivery: 202"),
        pytest.param(["sent", "failed"], "partial", 207, id="some sent, some failed: 207"),
        pytest.param(["queued", "invalid"], "partial", 207, id="some queued, some invalid: 207"),
        pytest.param(["failed"], "failed", 502, id="every event failed: 502"),
        pytest.param(["failed", "invalid"], "failed", 502, id="failed and invalid, none sent: 502"),
    ],
)
def test_the_statuses_fold_into_the_readme_status(statuses: list[str], overall: str, code: int) -> None:
    body, status = summarize([result(WORDS[s]) for s in statuses], [])
    assert (body["status"], status) == (overall, code)
    assert [event["status"] for event in body["events"]] == statuses


def test_only_invalid_events_answer_with_the_status_of_the_first() -> None:
    body, status = summarize([result(Outcome.INVALID, "bad", 422), result(Outcome.INVALID, "worse", 400)], [])
    assert (body["status"], status) == ("invalid", 422)
    assert [event["error"] for event in body["events"]] == ["bad", "worse"]


def test_a_skipped_answer_says_why_and_a_skipped_event_gives_a_reason_not_an_error() -> None:
    body, status = summarize([result(Outcome.SKIPPED, "consent")], [])
    assert status == 200
    assert body["reason"] == "consent"
    assert body["events"] == [{"event_id": "e-1", "event_name": "checkout", "status": "skipped",
                               "reason": "consent"}]


def test_pinterest_s_counts_are_summarized_one_call_or_several() -> None:
    one = Attempt(1, [EventOutcome(True)], Answer(200, {"num_events_received": 1, "num_events_processed": 1}))
    unreached = Attempt(2, [EventOutcome(False, "timed out")], None, "timed out", retryable=True)
    rejected = Attempt(1, [EventOutcome(False)], Answer(422, {"message": "Invalid", "details": {
        "num_events_received": 1, "num_events_processed": 0}}))
    body, _ = summarize([result(Outcome.DELIVERED)], [one])
    assert body["pinterest"] == {"attempts": 1, "status_code": 200, "num_events_received": 1,
                                 "num_events_processed": 1}
    body, _ = summarize([result(Outcome.FAILED), result(Outcome.FAILED)], [unreached, rejected])
    assert body["pinterest"] == {"status_code": 422, "calls": [
        {"attempts": 2, "status_code": None, "error": "timed out"},
        {"attempts": 1, "status_code": 422, "num_events_received": 1, "num_events_processed": 0,
         "message": "Invalid"},
    ]}


def test_no_call_no_pinterest_summary() -> None:
    body, _ = summarize([result(Outcome.INVALID, "bad", 422)], [])
    assert "pinterest" not in body


def test_an_entry_names_the_ga4_event_when_known() -> None:
    named = EventResult("T-1", "checkout", Outcome.INVALID, "too old", 422, "purchase")
    assert named.as_json() == {"event_id": "T-1", "event_name": "checkout", "ga4_event_name": "purchase",
                               "status": "invalid", "error": "too old"}
    assert "ga4_event_name" not in result(Outcome.SKIPPED).as_json()


def _built(pixel: str | None, report_click_id: bool) -> Built:
    opts = Options(event_name_setup="inherit", event_name="", action_source="web", test=False,
                   pixel_tag_id="26" if pixel else "", report_click_id=report_click_id)
    return Built(0, {"event_id": "e-1", "user_data": {"click_id": "dj0yJnU9abc"}}, opts, "purchase", pixel)


@pytest.mark.parametrize("status", [Outcome.DELIVERED, Outcome.QUEUED])
def test_a_taken_event_carries_its_pixel_and_click_id_when_asked(status: Outcome) -> None:
    entry = for_browser(result(status), _built("https://ct.pinterest.com/v3/?event=checkout", True)).as_json()
    assert entry["pixel_url"] == "https://ct.pinterest.com/v3/?event=checkout"
    assert entry["click_id"] == "dj0yJnU9abc"


def test_a_failed_event_has_no_pixel_but_its_click_id_and_nothing_unasked_is_added() -> None:
    failed = for_browser(result(Outcome.FAILED), _built("https://ct.pinterest.com/v3/?event=checkout", True))
    assert "pixel_url" not in failed.as_json()
    assert failed.as_json()["click_id"] == "dj0yJnU9abc"
    assert for_browser(result(Outcome.DELIVERED), _built(None, False)).as_json() == result(
        Outcome.DELIVERED).as_json()


def test_an_entry_carries_its_warnings_and_leaves_the_key_out_without_any() -> None:
    warning = FieldWarning("custom_data.currency", "currency is not an ISO 4217 code; not sent")
    warned = EventResult("e-1", "checkout", Outcome.DELIVERED, warnings=(warning,))
    body, _ = summarize([warned, result(Outcome.DELIVERED)], [])
    assert body["events"][0]["warnings"] == [{"field": "custom_data.currency",
                                              "reason": "currency is not an ISO 4217 code; not sent"}]
    assert "warnings" not in body["events"][1]
