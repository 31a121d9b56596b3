"""Sends built events to Pinterest and reads its answer event by event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from function.pinterest import Answer, PinterestClient, PinterestUnavailable
from function.tokens import TokenProvider, TokenUnavailable


@dataclass(frozen=True)
class Batch:
    """Events for one call: same ad account, same test flag."""

    ad_account_id: str
    test: bool
    events: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class EventOutcome:
    """What became of one event of a batch."""

    delivered: bool
    error: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One batch's fate: Pinterest's answer (None if none came) and each event's outcome."""

    batch: Batch
    outcomes: list[EventOutcome]
    answer: Answer | None = None
    request_url: str = ""
    error: str | None = None
    attempts: int = 1


def read_answer(answer: Answer, count: int) -> list[EventOutcome]:
    """Per-event outcomes: a 200 may still fail some events, a 422 names them in `details`."""
    body = answer.body if isinstance(answer.body, Mapping) else {}
    if answer.status_code == 200:
        return _per_event(body.get("events"), count)
    details = body.get("details")
    if answer.status_code == 422 and isinstance(details, Mapping) and isinstance(details.get("events"), list):
        return _per_event(details["events"], count)
    message = body.get("message") if isinstance(body.get("message"), str) else None
    error = f"Pinterest answered {answer.status_code}" + (f": {message}" if message else "")
    return [EventOutcome(False, error)] * count


def _per_event(events: Any, count: int) -> list[EventOutcome]:
    """events[i].status is 'processed' or 'failed'; a missing entry is not a success."""
    listed = events if isinstance(events, list) else []
    outcomes = []
    for index in range(count):
        entry = listed[index] if index < len(listed) and isinstance(listed[index], Mapping) else {}
        if entry.get("status") == "processed":
            outcomes.append(EventOutcome(True))
        else:
            reason = entry.get("error_message") or "Pinterest did not report this event as processed"
            outcomes.append(EventOutcome(False, str(reason)))
    return outcomes


class AwaitedSender:
    """Sends a batch and waits for Pinterest's answer; a 401 gets one token refresh and retry."""

    def __init__(self, client: PinterestClient, tokens: TokenProvider) -> None:
        self._client = client
        self._tokens = tokens

    def deliver(self, batch: Batch) -> Delivery:
        url = self._client.url(batch.ad_account_id)
        count = len(batch.events)
        try:
            answer = self._call(batch, self._tokens.get(batch.ad_account_id))
            attempts = 1
            if answer.status_code == 401:
                answer = self._call(batch, self._tokens.refresh(batch.ad_account_id))
                attempts = 2
        except TokenUnavailable:
            return _failed(batch, url, "token unavailable")
        except PinterestUnavailable as exc:
            return _failed(batch, url, f"Pinterest unreachable: {exc.reason}")
        if answer.status_code == 401:
            outcomes = [EventOutcome(False, "token rejected")] * count
        else:
            outcomes = read_answer(answer, count)
        return Delivery(batch, outcomes, answer, url, attempts=attempts)

    def _call(self, batch: Batch, token: str) -> Answer:
        return self._client.send(batch.ad_account_id, batch.events, test=batch.test, token=token)


def _failed(batch: Batch, url: str, reason: str) -> Delivery:
    """Every event of a batch that got no answer."""
    return Delivery(batch, [EventOutcome(False, reason)] * len(batch.events), None, url, error=reason)
