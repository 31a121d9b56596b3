"""Awaited delivery within its deadline: what fits is retried, what does not goes on in the background.

The first tests drive the retries on a clock that moves only when a call or a wait moves it: a call
that returns past the deadline has returned before the caller gave up waiting. The continuation
tests below use real time: a Pinterest that holds its answer until the test lets it go.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from function.credentials.tokens import TokenUnavailable
from function.delivery.awaited import ALL_CALLS_BUSY, STILL_CALLING, STUCK_AT_SHUTDOWN, Awaited
from function.delivery.deliverer import Deliverer, HandOff, Outgoing
from function.delivery.modes import ByMode
from function.delivery.optimistic import BackgroundSender
from function.delivery.pinterest import Answer, PinterestUnavailable
from function.logs.console import ConsoleLog
from function.outcomes import Outcome
from tests.doubles import Clock, ListJournal
from tests.unit.delivery.test_deliverer import ScriptedClient, Tokens, error, ok
from tests.unit.delivery.test_optimistic import RecordingDeliverer

DEADLINE_S = 2.5
# The client's own bound on a call no deadline cuts (PINTEREST_TIMEOUT_S's default).
CLIENT_TIMEOUT_S = 10.0
ITEMS = [Outgoing({"event_id": f"e-{i}", "event_name": "checkout"}, "549000000001", False) for i in range(2)]


class TimedClient(ScriptedClient):
    """Also remembers how long each call was allowed (None: the client's own timeouts), takes
    `latency_s` to answer, and spends all of its time when told to time out."""

    def __init__(self, clock: Clock, *script: Answer | Exception, latency_s: float = 0.0) -> None:
        super().__init__(*script)
        self.clock = clock
        self.latency_s = latency_s
        self.allowed: list[float] = []

    def send(self, ad_account_id: str, events: Sequence[Mapping[str, Any]], *, test: bool, token: str,
             within_s: float | None = None) -> Answer:
        self.allowed.append(within_s)
        timed_out = isinstance(self.script[0], PinterestUnavailable)
        self.clock.now += (within_s or CLIENT_TIMEOUT_S) if timed_out else self.latency_s
        return super().send(ad_account_id, events, test=test, token=token, within_s=within_s)


class Background:
    """The hand-off: takes the events (not before a time), or says why it cannot."""

    def __init__(self, refusal: str | None = None) -> None:
        self.refusal = refusal
        self.taken: list[tuple[list[str], float]] = []

    def take_over(self, items: Sequence[Outgoing], not_before: float) -> str | None:
        if self.refusal is None:
            self.taken.append(([item.payload["event_id"] for item in items], not_before))
        return self.refusal


def send(*script: Answer | Exception, background: Background | None = None, max_attempts: int = 5,
         latency_s: float = 0.0, take_over: HandOff | None = None,
         ) -> tuple[Any, TimedClient, ListJournal, Clock]:
    clock, journal = Clock(100.0), ListJournal()
    client = TimedClient(clock, *script, latency_s=latency_s)
    deliverer = Deliverer(client, Tokens(), journal, ConsoleLog("no"), max_attempts,  # type: ignore[arg-type]
                          sleep=clock.sleep, clock=clock)
    awaited = Awaited(deliverer, DEADLINE_S, hand_off=background.take_over if background else take_over,
                      clock=clock)
    return awaited.send(ITEMS), client, journal, clock


def test_a_retry_after_beyond_the_deadline_hands_the_events_to_the_background_answered_queued() -> None:
    background = Background()
    sent, _, journal, clock = send(error(429, {"retry-after": "4"}), background=background)
    assert [(t.outcome, t.error) for t in sent.taken] == [
        (Outcome.QUEUED, "Pinterest answered 429: status 429; retrying in the background")] * 2
    assert background.taken == [(["e-0", "e-1"], clock.now + 4)]  # the lane waits out Retry-After
    assert clock.sleeps == []  # the caller is answered at once, not after 4 s
    assert [(r.outcome, r.delivery, r.attempt) for r in journal.records] == [
        (Outcome.RETRYING, "awaited", 1)] * 2
    assert [a.number for a in sent.attempts] == [1]


def test_a_call_is_not_cut_by_the_deadline_and_a_timeout_goes_on_in_the_background() -> None:
    background = Background()
    sent, client, _, clock = send(PinterestUnavailable("timeout", timed_out=True), background=background)
    assert client.allowed == [None]  # before: cut to the 2.5 s left, though a cut call may still arrive
    assert clock.now == 100 + CLIENT_TIMEOUT_S
    assert [(t.outcome, t.error) for t in sent.taken] == [
        (Outcome.QUEUED, "Pinterest unreachable: timeout; retrying in the background")] * 2


def test_waits_never_run_past_the_deadline() -> None:
    # 2 s of Retry-After leaves 0.5 s for a second call; then no third.
    sent, client, _, clock = send(error(429, {"retry-after": "2"}), error(429, {"retry-after": "2"}),
                                  background=Background())
    assert len(client.calls) == 2
    assert clock.sleeps == [2]
    assert {t.outcome for t in sent.taken} == {Outcome.QUEUED}


def test_a_retry_after_that_leaves_no_time_for_a_call_is_not_waited_for() -> None:
    # Answered after 0.4 s, Retry-After 2 would leave 0.1 s, less than the shortest call.
    sent, client, _, clock = send(error(429, {"retry-after": "2"}), background=Background(), latency_s=0.4)
    assert (len(client.calls), clock.sleeps) == (1, [])  # before: waited 2 s, then ran past the deadline
    assert {t.outcome for t in sent.taken} == {Outcome.QUEUED}


def test_a_final_refusal_stays_failed_and_is_not_handed_off() -> None:
    background = Background()
    sent, _, journal, _ = send(error(400), background=background)
    assert [(t.outcome, t.error) for t in sent.taken] == [
        (Outcome.FAILED, "Pinterest answered 400: status 400")] * 2
    assert background.taken == []
    assert {r.outcome for r in journal.records} == {Outcome.FAILED}


def test_retries_that_ran_out_of_attempts_within_the_deadline_are_failed() -> None:
    background = Background()
    sent, _, _, _ = send(error(503), error(503), background=background, max_attempts=2)
    assert {t.outcome for t in sent.taken} == {Outcome.FAILED}
    assert background.taken == []


def test_when_the_background_cannot_take_them_the_events_fail_saying_why() -> None:
    sent, _, journal, _ = send(error(429, {"retry-after": "4"}), background=Background("its queue is full"))
    reason = "Pinterest answered 429: status 429; not retried in the background: its queue is full"
    assert [(t.outcome, t.error) for t in sent.taken] == [(Outcome.FAILED, reason)] * 2
    assert {r.outcome for r in journal.records} == {Outcome.FAILED}


def test_delivered_events_are_delivered() -> None:
    sent, _, _, _ = send(ok(2), background=Background())
    assert [(t.outcome, t.error) for t in sent.taken] == [(Outcome.DELIVERED, None)] * 2


def test_during_shutdown_the_closed_sender_refuses_and_the_events_fail_saying_why() -> None:
    closed = BackgroundSender(RecordingDeliverer(), ListJournal(), batch_max=10, batch_wait_s=0.0,  # type: ignore[arg-type]
                              queue_max=10, queue_max_bytes=1 << 20)
    closed.close()
    sent, _, _, _ = send(error(429, {"retry-after": "4"}), take_over=closed.take_over)
    reason = ("Pinterest answered 429: status 429; not retried in the background: "
              "the instance is shutting down")
    assert [(t.outcome, t.error) for t in sent.taken] == [(Outcome.FAILED, reason)] * 2


def test_a_later_call_of_the_request_that_could_not_end_by_the_deadline_is_not_made() -> None:
    # Two ad accounts: two calls. The first takes the whole deadline; the second would overrun it.
    background, clock, journal = Background(), Clock(100.0), ListJournal()
    client = TimedClient(clock, PinterestUnavailable("timeout", timed_out=True))
    deliverer = Deliverer(client, Tokens(), journal, ConsoleLog("no"), 5,  # type: ignore[arg-type]
                          sleep=clock.sleep, clock=clock)
    other = Outgoing({"event_id": "o-1", "event_name": "checkout"}, "549000000002", False)
    sent = Awaited(deliverer, DEADLINE_S, hand_off=background.take_over, clock=clock).send([*ITEMS, other])
    assert len(client.calls) == 1  # before: a second call of 0.2 s, past the deadline
    assert clock.now == 100 + CLIENT_TIMEOUT_S
    assert [t.outcome for t in sent.taken] == [Outcome.QUEUED] * 3
    assert sent.taken[2].error == "no time left before the deadline; retrying in the background"
    assert [ids for ids, _ in background.taken] == [["e-0", "e-1"], ["o-1"]]
    last = journal.records[-1]  # no call was made: no URL on its row
    assert (last.event_id, last.outcome, last.attempt, last.request_url) == ("o-1", Outcome.RETRYING, 0, None)


class HeldClient(ScriptedClient):
    """A Pinterest that answers only once the test lets it (`release`), in real time."""

    def __init__(self, *script: Answer | Exception) -> None:
        super().__init__(*script)
        self.called = threading.Event()
        self.released = threading.Event()
        self.allowed: list[float | None] = []

    def send(self, ad_account_id: str, events: Sequence[Mapping[str, Any]], *, test: bool, token: str,
             within_s: float | None = None) -> Answer:
        self.allowed.append(within_s)
        self.called.set()
        assert self.released.wait(10), "never released"
        return super().send(ad_account_id, events, test=test, token=token, within_s=within_s)


# Real seconds: short, so the tests are quick; the bound on the answer is generous.
SHORT_DEADLINE_S = 0.3


class HeldSetup:
    """Awaited delivery in real time over a held Pinterest, with a background that records hand-offs."""

    def __init__(self, *script: Answer | Exception, max_calls: int = 4) -> None:
        self.client = HeldClient(*script)
        self.journal = ListJournal()
        self.background = Background()
        self.deliverer = Deliverer(self.client, Tokens(), self.journal, ConsoleLog("no"), 5)  # type: ignore[arg-type]
        self.awaited = Awaited(self.deliverer, SHORT_DEADLINE_S, hand_off=self.background.take_over,
                               max_calls=max_calls)

    def send(self, items: Sequence[Outgoing] = ITEMS) -> tuple[Any, float]:
        started = time.monotonic()
        sent = self.awaited.send(items)
        return sent, time.monotonic() - started

    def rows(self) -> list[tuple[Outcome, int | None, str | None]]:
        return [(r.outcome, r.attempt, r.reason) for r in self.journal.records if r.event_id == "e-0"]

    def settled(self, count: int) -> None:
        """Wait until the event has `count` rows (its outcome settled in the background)."""
        ends = time.monotonic() + 5
        while len(self.rows()) < count:
            assert time.monotonic() < ends, self.rows()
            time.sleep(0.01)


def test_a_slow_call_is_answered_queued_at_the_deadline_and_its_answer_journaled_delivered() -> None:
    setup = HeldSetup(ok(2))
    sent, took_s = setup.send()
    assert took_s < SHORT_DEADLINE_S + 1
    assert [(t.outcome, t.error) for t in sent.taken] == [(Outcome.QUEUED, STILL_CALLING)] * 2
    assert setup.rows() == [(Outcome.RETRYING, 0, STILL_CALLING)]
    assert setup.client.allowed == [None]  # not cut: bounded by the client's timeouts only
    setup.client.released.set()
    setup.settled(2)
    assert setup.rows()[1] == (Outcome.DELIVERED, 1, None)
    assert len(setup.client.calls) == 1  # exactly once: no second send after a successful first
    assert setup.background.taken == []


def test_a_slow_call_that_ends_retryable_is_handed_off_after_its_retry_after() -> None:
    setup = HeldSetup(error(429, {"retry-after": "4"}))
    sent, _ = setup.send()
    assert {t.outcome for t in sent.taken} == {Outcome.QUEUED}
    setup.client.released.set()
    released = time.monotonic()
    setup.settled(2)
    assert setup.rows()[1] == (
        Outcome.RETRYING, 1, "Pinterest answered 429: status 429; retrying in the background")
    [(ids, not_before)] = setup.background.taken
    assert ids == ["e-0", "e-1"]
    assert released + 4 <= not_before < released + 5
    assert len(setup.client.calls) == 1


def test_a_slow_call_that_ends_refused_is_journaled_failed_and_not_handed_off() -> None:
    setup = HeldSetup(error(400))
    setup.send()
    setup.client.released.set()
    setup.settled(2)
    assert setup.rows()[1] == (Outcome.FAILED, 1, "Pinterest answered 400: status 400")
    assert setup.background.taken == []


def test_beyond_its_call_slots_a_batch_is_handed_off_without_a_call() -> None:
    setup = HeldSetup(ok(2), max_calls=1)
    setup.send()  # its call goes on, holding the one slot
    other = [Outgoing({"event_id": "b-0", "event_name": "checkout"}, "549000000001", False)]
    sent, took_s = setup.send(other)
    assert took_s < 0.5  # not waited for: there is no call to wait on
    assert [(t.outcome, t.error) for t in sent.taken] == [
        (Outcome.QUEUED, f"{ALL_CALLS_BUSY}; retrying in the background")]
    assert setup.background.taken[0][0] == ["b-0"]
    assert setup.client.called.is_set()
    assert len(setup.client.calls) == 0  # one call made, still held: no second
    setup.client.released.set()
    setup.settled(2)


def test_shutdown_waits_for_a_continuing_call_and_journals_its_outcome() -> None:
    setup = HeldSetup(ok(2))
    setup.send()
    threading.Timer(0.2, setup.client.released.set).start()
    setup.awaited.close(time.monotonic() + 5)
    assert setup.rows()[1:] == [(Outcome.DELIVERED, 1, None)]  # settled before close returned


def test_a_call_still_in_flight_when_the_shutdown_budget_ends_is_journaled_dropped() -> None:
    setup = HeldSetup(ok(2))
    setup.send()
    setup.awaited.close(time.monotonic() + 0.2)
    assert setup.rows()[1:] == [(Outcome.DROPPED, None, STUCK_AT_SHUTDOWN)]
    setup.client.released.set()  # the late answer is journaled too
    setup.settled(3)
    assert setup.rows()[2][0] == Outcome.DELIVERED


class NoToken(Tokens):
    def __init__(self, held: threading.Event | None = None) -> None:
        super().__init__()
        self.held = held

    def get(self, ad_account_id: str) -> str:
        if self.held is not None:
            assert self.held.wait(10)
        raise TokenUnavailable("no token")


def test_a_missing_token_within_the_deadline_still_answers_the_whole_request_503() -> None:
    deliverer = Deliverer(HeldClient(), NoToken(), ListJournal(), ConsoleLog("no"), 5)  # type: ignore[arg-type]
    with pytest.raises(TokenUnavailable):
        Awaited(deliverer, SHORT_DEADLINE_S).send(ITEMS)


def test_a_missing_token_after_the_caller_was_answered_is_journaled_failed() -> None:
    held, journal = threading.Event(), ListJournal()
    deliverer = Deliverer(HeldClient(), NoToken(held), journal, ConsoleLog("no"), 5)  # type: ignore[arg-type]
    sent = Awaited(deliverer, SHORT_DEADLINE_S).send(ITEMS)
    assert {t.outcome for t in sent.taken} == {Outcome.QUEUED}
    held.set()
    ends = time.monotonic() + 5
    while len(journal.records) < 4:
        assert time.monotonic() < ends
        time.sleep(0.01)
    assert [(r.outcome, r.reason) for r in journal.records[2:]] == [
        (Outcome.FAILED, "delivery error: TokenUnavailable")] * 2


def test_at_shutdown_a_continuing_call_ending_retryable_is_failed_on_record_the_background_closed() -> None:
    client, journal = HeldClient(error(503)), ListJournal()
    deliverer = Deliverer(client, Tokens(), journal, ConsoleLog("no"), 5)  # type: ignore[arg-type]
    sender = BackgroundSender(RecordingDeliverer(), journal, batch_max=10, batch_wait_s=0.0,  # type: ignore[arg-type]
                              queue_max=10, queue_max_bytes=1 << 20)
    awaited = Awaited(deliverer, SHORT_DEADLINE_S, hand_off=sender.take_over)
    assert {t.outcome for t in awaited.send(ITEMS).taken} == {Outcome.QUEUED}
    threading.Timer(0.3, client.released.set).start()  # answers while the hook waits for it
    ByMode(awaited, {"optimistic": sender}).close(time.monotonic() + 5)
    assert [(r.outcome, r.reason) for r in journal.records if r.event_id == "e-0"] == [
        (Outcome.RETRYING, STILL_CALLING),
        (Outcome.FAILED, "Pinterest answered 503: status 503; not retried in the background: "
                         "the instance is shutting down")]
