"""The caller's answer: per-event statuses folded into one body and one HTTP status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from function.delivery.deliverer import Attempt
from function.outcomes import TAKEN, Outcome, caller_word
from function.pipeline.field_warnings import FieldWarning
from function.pipeline.request import Built

# The answer's word when some events were taken and some not; an answer's word, not an outcome.
_PARTIAL = "partial"
# Outcomes whose explanation is a reason, not an error: skipped on purpose, or queued for a retry.
_NOT_ERRORS = frozenset({Outcome.SKIPPED, Outcome.QUEUED})


class EventResult(NamedTuple):
    """One event's status for the caller; http_status says why an invalid event was refused."""

    event_id: str | None
    event_name: str | None
    status: Outcome
    error: str | None = None
    http_status: int = 200
    ga4_event_name: str | None = None  # the caller's own name, so a refused event is still named
    pixel_url: str | None = None  # for the tag to have the browser load (pinterest.pixel_tag_id)
    click_id: str | None = None  # for the tag's _epik cookie (pinterest.report_click_id)
    warnings: tuple[FieldWarning, ...] = ()  # what the event had and is not sent as given

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"event_id": self.event_id, "event_name": self.event_name,
                                 "status": caller_word(self.status)}
        if self.ga4_event_name:
            entry["ga4_event_name"] = self.ga4_event_name
        if self.pixel_url:
            entry["pixel_url"] = self.pixel_url
        if self.click_id:
            entry["click_id"] = self.click_id
        if self.error:
            entry["reason" if self.status in _NOT_ERRORS else "error"] = self.error
        if self.warnings:
            entry["warnings"] = [warning.as_json() for warning in self.warnings]
        return entry


def for_browser(result: EventResult, built: Built) -> EventResult:
    """What a server-side tag passes on to the browser, when the request asked for it.

    The pixel only for an event Pinterest took or the queue holds (a failed one may be sent again
    by replay, and its pixel would then count alone); the click id for any built event.
    """
    pixel = built.pixel_url if result.status in (Outcome.DELIVERED, Outcome.QUEUED) else None
    click_id = built.payload["user_data"].get("click_id") if built.options.report_click_id else None
    return result._replace(pixel_url=pixel, click_id=click_id) if pixel or click_id else result


def summarize(results: Sequence[EventResult], attempts: Sequence[Attempt]) -> tuple[dict[str, Any], int]:
    """200 all sent or skipped; 202 queued; 207 mixed; otherwise the invalid events' status or 502."""
    statuses = {r.status for r in results}
    if statuses <= TAKEN:
        if Outcome.DELIVERED in statuses:
            overall, code = caller_word(Outcome.DELIVERED), 200
        elif Outcome.QUEUED in statuses:
            overall, code = caller_word(Outcome.QUEUED), 202
        else:
            overall, code = caller_word(Outcome.SKIPPED), 200
    elif statuses & TAKEN:
        overall, code = _PARTIAL, 207
    elif statuses == {Outcome.INVALID}:
        overall, code = caller_word(Outcome.INVALID), results[0].http_status
    else:
        overall, code = caller_word(Outcome.FAILED), 502
    body: dict[str, Any] = {"status": overall, "events": [r.as_json() for r in results]}
    if overall == caller_word(Outcome.SKIPPED) and results[0].error:
        body["reason"] = results[0].error
    if attempts:
        body["pinterest"] = _pinterest_summary(attempts)
    return body, code


def _pinterest_summary(attempts: Sequence[Attempt]) -> dict[str, Any]:
    """Pinterest's status and counts; with several calls (accounts, test mode), one entry each."""
    calls = [_call_summary(a) for a in attempts]
    if len(calls) == 1:
        return calls[0]
    worst = max((c.get("status_code") or 0 for c in calls), default=0)
    return {"status_code": worst or None, "calls": calls}


def _call_summary(attempt: Attempt) -> dict[str, Any]:
    answer = attempt.answer
    summary: dict[str, Any] = {"attempts": attempt.number}
    if answer is None:
        summary.update(status_code=None, error=attempt.error)
        return summary
    summary["status_code"] = answer.status_code
    body = answer.body if isinstance(answer.body, dict) else {}
    details = body.get("details")
    source = details if isinstance(details, dict) else body
    for key in ("num_events_received", "num_events_processed"):
        if isinstance(source.get(key), int):
            summary[key] = source[key]
    if isinstance(body.get("message"), str):
        summary["message"] = body["message"]
    return summary
