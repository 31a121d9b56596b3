"""Awaited delivery within its deadline: what fits is retried, what does not goes on in the background."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from function.delivery.awaited import Awaited
from function.delivery.deliverer import Deliverer, HandOff, Outgoing
from function.delivery.optimistic import BackgroundSender
from function.delivery.pinterest import Answer, PinterestUnavailable
from function.logs.console import ConsoleLog
from function.outcomes import Outcome
from tests.doubles import Clock, ListJournal
from tests.unit.delivery.test_deliverer import ScriptedClient, Tokens, error, ok
from tests.unit.delivery.test_optimistic import RecordingDeliverer

DEADLINE_S = 2.5
ITEMS = [Outgoing({"event_id": f"e-{i}", "event_name": "checkout"}, "549000000001", False) for i in range(2)]


class TimedClient(ScriptedClient):
    """Also remembers how long each call was allowed, takes `latency_s` to answer, and spends all of
    its time when told to time out."""

    def __init__(self, clock: Clock, *script: Answer | Exception, latency_s: float = 0.0) -> None:
        super().__init__(*script)
        self.clock = clock
        self.latency_s = latency_s
        self.allowed: list[float] = []

    def send(self, ad_account_id: str, events: Sequence[Mapping[str, Any]], *, test: bool, token: str,
             within_s: float | None = None) -> Answer:
        assert within_s is not None
        self.allowed.append(within_s)
        timed_out = isinstance(self.script[0], PinterestUnavailable)
        self.clock.now += within_s if timed_out else self.latency_s
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


def test_a_call_that_outlasts_the_deadline_is_cut_and_its_events_go_on_in_the_background() -> None:
    background = Background()
    sent, client, _, clock = send(PinterestUnavailable("timeout", timed_out=True), background=background)
    assert client.allowed == [DEADLINE_S]
    assert clock.now == 100 + DEADLINE_S
    assert [(t.outcome, t.error) for t in sent.taken] == [
        (Outcome.QUEUED, "Pinterest unreachable: timeout; retrying in the background")] * 2


def test_waits_and_calls_together_never_run_past_the_deadline() -> None:
    # 2 s of Retry-After leaves 0.5 s for the second call, which is given just that; no third.
    sent, client, _, clock = send(error(429, {"retry-after": "2"}), error(429, {"retry-after": "2"}),
                                  background=Background())
    assert client.allowed == [DEADLINE_S, DEADLINE_S - 2]
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
    assert clock.now == 100 + DEADLINE_S
    assert [t.outcome for t in sent.taken] == [Outcome.QUEUED] * 3
    assert sent.taken[2].error == "no time left before the deadline; retrying in the background"
    assert [ids for ids, _ in background.taken] == [["e-0", "e-1"], ["o-1"]]
    last = journal.records[-1]  # no call was made: no URL on its row
    assert (last.event_id, last.outcome, last.attempt, last.request_url) == ("o-1", Outcome.RETRYING, 0, None)
