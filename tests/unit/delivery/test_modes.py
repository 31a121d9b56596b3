"""ByMode: each event by its request's mode, declined ones awaited in the same calls, one shutdown order."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from function.credentials.tokens import TokenUnavailable
from function.delivery.awaited import NO_TOKEN, Awaited
from function.delivery.base import Sent, Taken
from function.delivery.deliverer import Deliverer, HandOff, Outgoing
from function.delivery.modes import ByMode
from function.errors import ServiceUnavailable
from function.logs.console import ConsoleLog
from function.outcomes import Outcome
from tests.doubles import Clock, ListJournal
from tests.unit.delivery.test_deliverer import ScriptedClient, Tokens, error, ok

ACCOUNT = "549000000001"


class Background:
    """A background mode at the `send`/`close` interface: queues, declines or refuses everything."""

    def __init__(self, answer: str = "queue", order: list[str] | None = None, *,
                 clock: Clock | None = None, takes_s: float = 0.0) -> None:
        self.answer = answer
        self.sent: list[list[str]] = []
        self.order = order if order is not None else []
        self.clock, self.takes_s = clock, takes_s  # how long it keeps the request (Pub/Sub's acks)

    def send(self, items: Sequence[Outgoing]) -> Sent:
        self.sent.append([item.payload["event_id"] for item in items])
        if self.clock is not None and items:
            self.clock.now += self.takes_s
        if self.answer == "closing" and items:
            raise ServiceUnavailable("the instance is shutting down; send again")
        if self.answer == "decline":
            return Sent((None,) * len(items))
        return Sent((Taken(Outcome.QUEUED),) * len(items))

    def close(self, until: float) -> None:
        self.order.append("background closed")


def outcomes(sent: Sent) -> list[Outcome | None]:
    return [t.outcome if t else None for t in sent.taken]


def reasons(sent: Sent) -> list[str | None]:
    return [t.error if t else None for t in sent.taken]


def item(event_id: str, delivery: str = "awaited") -> Outgoing:
    return Outgoing({"event_id": event_id, "event_name": "checkout"}, ACCOUNT, False, delivery=delivery)


def awaited(client: ScriptedClient, *, clock: Clock | None = None, hand_off: HandOff | None = None,
            journal: ListJournal | None = None, tokens: object = None) -> Awaited:
    clock = clock or Clock(100.0)
    deliverer = Deliverer(client, tokens or Tokens(), journal or ListJournal(), ConsoleLog("no"),  # type: ignore[arg-type]
                          5, sleep=clock.sleep, clock=clock)
    return Awaited(deliverer, 2.5, clock=clock, hand_off=hand_off)


class HandedOff:
    """The optimistic sender's hand-off: takes every batch it is offered."""

    def __init__(self) -> None:
        self.taken: list[list[str]] = []

    def __call__(self, items: Sequence[Outgoing], not_before: float) -> str | None:
        self.taken.append([item.payload["event_id"] for item in items])
        return None


class NoToken:
    def get(self, ad_account_id: str) -> str:
        raise TokenUnavailable("secret projects/p/secrets/token unreadable")

    def refresh(self, ad_account_id: str) -> str:
        raise TokenUnavailable("secret projects/p/secrets/token unreadable")


def test_each_event_goes_by_its_own_mode_and_is_answered_in_order() -> None:
    client, background = ScriptedClient(ok(1)), Background()
    sent = ByMode(awaited(client), {"optimistic": background}).send(
        [item("q-1", "optimistic"), item("a-1"), item("q-2", "optimistic")])
    assert outcomes(sent) == [Outcome.QUEUED, Outcome.DELIVERED, Outcome.QUEUED]
    assert background.sent == [["q-1", "q-2"]]
    assert [[e["event_id"] for e in call["events"]] for call in client.calls] == [["a-1"]]
    assert [attempt.number for attempt in sent.attempts] == [1]


def test_declined_events_are_delivered_awaited_in_the_same_call_after_the_awaited_ones() -> None:
    client = ScriptedClient(ok(3))
    sent = ByMode(awaited(client), {"optimistic": Background("decline")}).send(
        [item("q-1", "optimistic"), item("a-1"), item("q-2", "optimistic")])
    assert outcomes(sent) == [Outcome.DELIVERED] * 3
    assert [[e["event_id"] for e in call["events"]] for call in client.calls] == [["a-1", "q-1", "q-2"]]


def test_a_background_mode_is_sent_its_empty_share_so_that_it_wakes() -> None:
    background = Background()
    sent = ByMode(awaited(ScriptedClient(ok(1))), {"optimistic": background}).send([item("a-1")])
    assert background.sent == [[]]
    assert outcomes(sent) == [Outcome.DELIVERED]


def test_a_third_mode_is_one_entry_of_the_table() -> None:
    optimistic, pubsub = Background(), Background("decline")
    client = ScriptedClient(ok(1))
    sent = ByMode(awaited(client), {"optimistic": optimistic, "pubsub": pubsub}).send(
        [item("p-1", "pubsub"), item("q-1", "optimistic")])
    assert (optimistic.sent, pubsub.sent) == ([["q-1"]], [["p-1"]])
    assert outcomes(sent) == [Outcome.DELIVERED, Outcome.QUEUED]
    assert [[e["event_id"] for e in call["events"]] for call in client.calls] == [["p-1"]]


def test_a_closing_background_mode_refuses_before_any_awaited_call() -> None:
    client = ScriptedClient(ok(1))
    with pytest.raises(ServiceUnavailable):
        ByMode(awaited(client), {"optimistic": Background("closing")}).send(
            [item("a-1"), item("q-1", "optimistic")])
    assert client.calls == []


class OrderedAwaited:
    """Awaited delivery's shutdown steps, recorded."""

    def __init__(self, order: list[str]) -> None:
        self.order = order

    def stop_by(self, until: float) -> None:
        self.order.append(f"awaited calls cut at {until:g}")

    def close(self, until: float) -> None:
        self.order.append(f"awaited sends waited for until {until:g}")


def test_close_cuts_awaited_calls_then_closes_the_background_then_waits_for_awaited_sends() -> None:
    order: list[str] = []
    by_mode = ByMode(OrderedAwaited(order), {"optimistic": Background(order=order)})  # type: ignore[arg-type]
    by_mode.close(6.4)
    assert order == ["awaited calls cut at 6.4", "background closed", "awaited sends waited for until 6.4"]


def test_events_pubsub_declined_are_never_handed_to_memory_and_answered_queued() -> None:
    """Publish failed and Pinterest keeps answering 503: the awaited event goes on in the optimistic
    sender (queued), the pubsub one is failed saying why, as only memory would hold it."""
    hand_off, journal = HandedOff(), ListJournal()
    client = ScriptedClient(*[error(503, {"Retry-After": "3"})] * 2)  # a wait the deadline cannot hold
    sent = ByMode(awaited(client, hand_off=hand_off, journal=journal),
                  {"pubsub": Background("decline")}, durable={"pubsub"}).send(
        [item("p-1", "pubsub"), item("a-1")])
    assert outcomes(sent) == [Outcome.FAILED, Outcome.QUEUED]
    assert hand_off.taken == [["a-1"]]
    assert reasons(sent)[0] == "Pinterest answered 503: status 503"
    assert [r.outcome for r in journal.records if r.event_id == "p-1"] == [Outcome.FAILED]


def test_events_of_a_mode_not_durable_that_it_declined_may_still_be_handed_off() -> None:
    hand_off = HandedOff()
    sent = ByMode(awaited(ScriptedClient(error(503, {"Retry-After": "3"})), hand_off=hand_off),
                  {"optimistic": Background("decline")}).send([item("q-1", "optimistic")])
    assert outcomes(sent) == [Outcome.QUEUED]
    assert hand_off.taken == [["q-1"]]


def test_the_awaited_deadline_counts_from_the_request_so_the_wait_on_pubsub_is_in_it() -> None:
    """Pub/Sub kept the request 2.4 s and declined: 0.1 s of the 2.5 s is left, too little for a call."""
    clock, client = Clock(100.0), ScriptedClient(ok(1))
    sent = ByMode(awaited(client, clock=clock),
                  {"pubsub": Background("decline", clock=clock, takes_s=2.4)}, durable={"pubsub"}).send(
        [item("p-1", "pubsub")])
    assert outcomes(sent) == [Outcome.FAILED]
    assert client.calls == []


def test_a_refusal_after_some_events_were_taken_fails_only_the_refused_share() -> None:
    journal = ListJournal()
    client = ScriptedClient(ok(1))
    modes = {"optimistic": Background(), "pubsub": Background("closing")}
    sent = ByMode(awaited(client, journal=journal), modes).send(
        [item("q-1", "optimistic"), item("p-1", "pubsub"), item("a-1")])
    assert outcomes(sent) == [Outcome.QUEUED, Outcome.FAILED, Outcome.DELIVERED]
    assert reasons(sent)[1] == "the instance is shutting down; send again"
    assert [(r.outcome, r.payload is not None) for r in journal.records if r.event_id == "p-1"] == [
        (Outcome.FAILED, True)]


def test_no_token_after_some_events_were_taken_fails_the_awaited_share_not_the_request() -> None:
    client = ScriptedClient(ok(1))
    sent = ByMode(awaited(client, tokens=NoToken()), {"optimistic": Background()}).send(
        [item("q-1", "optimistic"), item("a-1")])
    assert outcomes(sent) == [Outcome.QUEUED, Outcome.FAILED]
    assert reasons(sent)[1] == NO_TOKEN
    assert client.calls == []


def test_no_token_when_nothing_was_taken_refuses_the_whole_request() -> None:
    by_mode = ByMode(awaited(ScriptedClient(ok(1)), tokens=NoToken()), {"optimistic": Background()})
    with pytest.raises(TokenUnavailable):
        by_mode.send([item("a-1")])
