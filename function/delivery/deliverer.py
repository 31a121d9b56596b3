"""Delivers a batch of built events to Pinterest with retries, reading the answer event by event."""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from function import retry
from function.credentials.tokens import TokenProvider
from function.delivery.pinterest import Answer, PinterestClient, PinterestUnavailable
from function.logs.console import ConsoleLog
from function.logs.journal import EventRecord, Journal
from function.logs.scrub import scrub, scrub_json
from function.outcomes import Outcome
from function.pipeline.field_warnings import FieldWarning
from function.pipeline.options import DeliveryMode

if TYPE_CHECKING:
    import tenacity

# Pinterest's answers that refuse the token itself (401 after the refresh, 403 for an account it may
# not send to): each is one console line whatever LOG_CONSOLE says, which terraform's token alert counts.
TOKEN_REFUSALS = frozenset({401, 403})
TOKEN_REJECTED = "pinterest token rejected"  # noqa: S105 - a log message, not a secret


class Outgoing(NamedTuple):
    """One built event on its way, with what the logs need to tell its story."""

    payload: Mapping[str, Any]
    ad_account_id: str
    test: bool
    trace_id: str | None = None
    debug: bool = False
    ga4_event_name: str | None = None
    tag_name: str | None = None
    warnings: tuple[FieldWarning, ...] = ()  # what the event had and is not sent as given
    event_id_source: str | None = None  # pipeline.request.EVENT_ID_SOURCES, kept in the log rows
    delivery: str = DeliveryMode.AWAITED  # its request's mode (pinterest.delivery); modes.py routes by it
    size: int | None = None  # its compact JSON's length, when the build measured it (validate.event_size)


# Where a batch whose retries no longer fit in its deadline may go: `hand_off(items, not_before)`
# takes them for background delivery, not before that monotonic time, and answers None, or why not.
HandOff = Callable[[Sequence[Outgoing], float], str | None]


@dataclass(frozen=True)
class Batch:
    """Events for one call: same ad account, same test flag; at most 1000."""

    ad_account_id: str
    test: bool
    items: tuple[Outgoing, ...]
    batch_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def events(self) -> list[Mapping[str, Any]]:
        return [item.payload for item in self.items]


class EventOutcome(NamedTuple):
    """What one call did for one event; `response` is Pinterest's entry for it."""

    delivered: bool
    error: str | None = None
    response: Any = None


class Attempt(NamedTuple):
    """One call for a batch: Pinterest's answer (None if none came) and each event's outcome."""

    number: int
    outcomes: list[EventOutcome]
    answer: Answer | None = None
    error: str | None = None
    retryable: bool = False
    handed_off: bool = False  # its undelivered events went on to background delivery


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
    return [EventOutcome(False, error, answer.body)] * count


def _per_event(events: Any, count: int) -> list[EventOutcome]:
    """events[i].status is 'processed' or 'failed'; a missing entry is not a success."""
    listed = events if isinstance(events, list) else []
    outcomes = []
    for index in range(count):
        entry = listed[index] if index < len(listed) and isinstance(listed[index], Mapping) else {}
        if entry.get("status") == "processed":
            outcomes.append(EventOutcome(True, None, entry))
        else:
            reason = entry.get("error_message") or "Pinterest did not report this event as processed"
            outcomes.append(EventOutcome(False, str(reason), entry or None))
    return outcomes


class Deliverer:
    """Sends a batch until it is answered for good, the attempts run out or the deadline nears.

    A 401 gets one token refresh and one re-send inside the same attempt; 400/403/422 and
    per-event failures are final; the retryable statuses in `retry` are sent again. Every
    delivery's retries end by its deadline or the instance's `stop_by`, whichever comes first, and
    so do its calls unless `deliver` is told not to cut them (awaited delivery). With
    `retry_later` a retryable last attempt is recorded `retrying`, not `failed`: the caller
    (queued delivery) has it sent again later.
    """

    def __init__(self, client: PinterestClient, tokens: TokenProvider, journal: Journal, log: ConsoleLog,
                 max_attempts: int, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, retry_later: bool = False) -> None:
        self._client = client
        self._tokens = tokens
        self._journal = journal
        self._log = log
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._clock = clock
        self._retry_later = retry_later
        self._stop_at = math.inf
        self._idle = threading.Condition()
        self._active = 0  # deliveries under way, guarded by _idle

    def stop_by(self, at: float) -> None:
        """Shutdown: deliveries under way and to come end by `at` (monotonic)."""
        self._stop_at = at

    def wait_idle(self, until: float) -> bool:
        """Wait until no delivery is under way, or `until`; False if some still are."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout=max(until - self._clock(), 0.0))

    def deliver(self, batch: Batch, mode: str, deadline: Callable[[], float], *,
                hand_off: HandOff | None = None, cut: bool = True,
                settling: Callable[[], None] | None = None) -> Attempt:
        """The final attempt; every attempt is journaled. Raises TokenUnavailable untouched.

        With `hand_off`, a batch still worth retrying when the deadline stops it (not when its
        attempts ran out) is handed off rather than failed: its last attempt is journaled as
        retrying, and each event's error says where it went, or why it could not.
        With `cut` False the deadline still ends the retries, but a call is not cut by it: it ends
        by `stop_by` or the client's own timeouts (awaited delivery's calls, which go on after the
        caller was answered). `settling` is called once the calls are over, before the hand-off
        and the last journal record.
        """
        with self._idle:
            self._active += 1
        try:
            return self._deliver(batch, mode, lambda: min(deadline(), self._stop_at), hand_off, cut, settling)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _deliver(self, batch: Batch, mode: str, deadline: Callable[[], float], hand_off: HandOff | None,
                 cut: bool, settling: Callable[[], None] | None) -> Attempt:
        counter = iter(range(1, self._max_attempts + 1))
        ends = deadline if cut else (lambda: self._stop_at)
        final = self._attempt(batch, next(counter), ends)
        if final.retryable:
            final = retry.retried(final, lambda: self._attempt(batch, next(counter), ends),
                                  lambda: self._retrying(batch, mode, deadline))
        if settling is not None:
            settling()
        if hand_off is not None and final.retryable and final.number < self._max_attempts:
            final = self._hand_off(batch, final, hand_off)
        # Pub/Sub redelivers what is left retryable (retry_later): not final for the log either.
        self._report(batch, mode, final,
                     final=not (final.handed_off or (self._retry_later and final.retryable)))
        return final

    def _retrying(self, batch: Batch, mode: str, deadline: Callable[[], float]) -> tenacity.Retrying:
        """The loop of a batch's retries: each retrying attempt journaled before its wait."""
        import tenacity  # at the first retry, not at start-up

        def retry_after(state: tenacity.RetryCallState) -> float | None:
            answer = state.outcome.result().answer if state.outcome else None
            return retry.retry_after_s(answer.headers) if answer is not None else None

        return tenacity.Retrying(
            stop=retry.stop_strategy(self._max_attempts, deadline, self._clock),
            wait=retry.wait_strategy(retry_after),
            retry=tenacity.retry_if_result(lambda attempt: attempt.retryable),
            retry_error_callback=_last_attempt,
            before_sleep=lambda state: self._report(batch, mode, _last_attempt(state), final=False),
            sleep=self._sleep,
            reraise=True,
        )

    def pass_on(self, batch: Batch, mode: str, reason: str, hand_off: HandOff | None) -> Attempt:
        """A batch not called (attempt 0) for `reason`: handed off, or failed saying why not; journaled."""
        attempt = Attempt(0, [EventOutcome(False, reason)] * len(batch.items), retryable=True)
        final = attempt if hand_off is None else self._hand_off(batch, attempt, hand_off)
        self._report(batch, mode, final, final=not final.handed_off)
        return final

    def still_calling(self, batch: Batch, mode: str, reason: str) -> Attempt:
        """The batch's call goes on after its caller was answered: journaled retrying (attempt 0,
        as no call has ended), its outcome to follow when the call ends."""
        attempt = Attempt(0, [EventOutcome(False, reason)] * len(batch.items), error=reason,
                          retryable=True, handed_off=True)
        self._report(batch, mode, attempt, final=False)
        return attempt

    def drop(self, batch: Batch, mode: str, reason: str) -> None:
        """Shutdown came first: the batch is journaled dropped, with its payloads."""
        self._journal.record(dropped_records(batch, mode, reason))

    def _hand_off(self, batch: Batch, attempt: Attempt, hand_off: HandOff) -> Attempt:
        """The attempt once its events were offered to background delivery, after Pinterest's Retry-After."""
        told = retry.retry_after_s(attempt.answer.headers) if attempt.answer is not None else None
        refused = hand_off(batch.items, self._clock() + (told or 0.0))
        note = ("retrying in the background" if refused is None
                else f"not retried in the background: {refused}")
        outcomes = [EventOutcome(False, f"{outcome.error}; {note}", outcome.response)
                    for outcome in attempt.outcomes]
        return attempt._replace(outcomes=outcomes, handed_off=refused is None)

    def _attempt(self, batch: Batch, number: int, deadline: Callable[[], float]) -> Attempt:
        count = len(batch.items)
        try:
            answer = self._call(batch, self._tokens.get(batch.ad_account_id), deadline)
            if answer.status_code == 401:
                answer = self._call(batch, self._tokens.refresh(batch.ad_account_id), deadline)
        except PinterestUnavailable as exc:
            reason = f"Pinterest unreachable: {exc.reason}"
            return Attempt(number, [EventOutcome(False, reason)] * count, None, reason, retryable=True)
        if answer.status_code == 401:
            return Attempt(number, [EventOutcome(False, "token rejected", answer.body)] * count, answer)
        retryable = answer.status_code in retry.RETRYABLE_STATUSES
        return Attempt(number, read_answer(answer, count), answer, retryable=retryable)

    def _call(self, batch: Batch, token: str, ends: Callable[[], float]) -> Answer:
        """One call that ends by `ends` (after the token read, which may have taken a while); with
        no end set, by the client's own timeouts."""
        end = ends()
        within_s = None if math.isinf(end) else max(end - self._clock(), retry.MIN_CALL_S)
        return self._client.send(batch.ad_account_id, batch.events, test=batch.test, token=token,
                                 within_s=within_s)

    def _report(self, batch: Batch, mode: str, attempt: Attempt, *, final: bool) -> None:
        """One journal record per event, and the call itself on the console when asked for.

        The console line shows the records' payloads, which are kept as every log keeps them.
        """
        answer = attempt.answer
        called = attempt.number > 0  # attempt 0: no call was made (no time was left for one)
        url = self._client.url(batch.ad_account_id) if called else None
        records = [_record(batch, item, outcome, attempt, mode, url, final)
                   for item, outcome in zip(batch.items, attempt.outcomes, strict=True)]
        debug = any(item.debug for item in batch.items)
        if called and self._log.wanted(debug):
            self._log.write(
                "INFO" if answer is not None and answer.status_code == 200 else "WARNING",
                "pinterest call", batch.items[0].trace_id if len(batch.items) == 1 else None,
                request_method="POST", request_url=url, test_mode=batch.test, delivery=mode,
                attempt=attempt.number, batch_id=batch.batch_id,
                request_body={"data": [record.payload for record in records]},
                response_status_code=answer.status_code if answer else None,
                response_body=scrub_json(answer.body) if answer else None,
                response_headers=dict(answer.headers) if answer else None,
                latency_ms=round(answer.latency_ms, 1) if answer else None,
                error=scrub(attempt.error) if attempt.error else None,
            )
        if answer is not None and answer.status_code in TOKEN_REFUSALS:
            self._log.write(
                "ERROR", TOKEN_REJECTED, batch.items[0].trace_id if len(batch.items) == 1 else None,
                ad_account_id=batch.ad_account_id, response_status_code=answer.status_code,
                test_mode=batch.test, delivery=mode, attempt=attempt.number, batch_id=batch.batch_id,
                reason=scrub(attempt.outcomes[0].error or "") or None,
            )
        self._journal.record(records)


def _last_attempt(state: tenacity.RetryCallState) -> Attempt:
    """What the last try returned; tenacity sets `outcome` before it calls these hooks."""
    assert state.outcome is not None
    attempt: Attempt = state.outcome.result()
    return attempt


def _record(batch: Batch, item: Outgoing, outcome: EventOutcome, attempt: Attempt, mode: str,
            url: str | None, final: bool) -> EventRecord:
    answer = attempt.answer
    status = Outcome.DELIVERED if outcome.delivered else (Outcome.FAILED if final else Outcome.RETRYING)
    return EventRecord(
        outcome=status, event_id=item.payload.get("event_id"), event_name=item.payload.get("event_name"),
        event_id_source=item.event_id_source, payload=item.payload, reason=outcome.error,
        ad_account_id=batch.ad_account_id, test_mode=batch.test,
        delivery=mode, attempt=attempt.number, batch_id=batch.batch_id, batch_size=len(batch.items),
        request_url=url, response_status_code=answer.status_code if answer else None,
        response_body=outcome.response, response_headers=answer.headers if answer else None,
        latency_ms=answer.latency_ms if answer else None, trace_id=item.trace_id,
        ga4_event_name=item.ga4_event_name, action_source=item.payload.get("action_source"),
        tag_name=item.tag_name, warnings=item.warnings,
        debug=item.debug,
    )


def dropped_records(batch: Batch, mode: str, reason: str) -> list[EventRecord]:
    """One `dropped` record per event of a batch that shutdown stopped before its outcome was known."""
    return [
        EventRecord(outcome=Outcome.DROPPED, event_id=item.payload.get("event_id"),
                    event_name=item.payload.get("event_name"), event_id_source=item.event_id_source,
                    payload=item.payload, reason=reason,
                    ad_account_id=batch.ad_account_id, test_mode=batch.test, delivery=mode,
                    batch_id=batch.batch_id, batch_size=len(batch.items), trace_id=item.trace_id,
                    ga4_event_name=item.ga4_event_name, tag_name=item.tag_name, warnings=item.warnings,
                    debug=item.debug)
        for item in batch.items
    ]


def batches(items: Sequence[Outgoing], batch_max: int) -> list[Batch]:
    """Items grouped per (ad account, test mode) in order of first appearance, at most batch_max each."""
    groups: dict[tuple[str, bool], list[Outgoing]] = {}
    for item in items:
        groups.setdefault((item.ad_account_id, item.test), []).append(item)
    return [
        Batch(account, test, tuple(members[start:start + batch_max]))
        for (account, test), members in groups.items()
        for start in range(0, len(members), batch_max)
    ]
