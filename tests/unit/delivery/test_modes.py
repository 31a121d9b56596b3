"""ByMode: each event by its request's mode, declined ones awaited in the same calls, one shutdown order."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from function.delivery.awaited import Awaited
from function.delivery.base import Sent, Taken
from function.delivery.deliverer import Deliverer, Outgoing
from function.delivery.modes import ByMode
from function.errors import ServiceUnavailable
from function.logs.console import ConsoleLog
from function.outcomes import Outcome
from tests.doubles import Clock, ListJournal
from tests.unit.delivery.test_deliverer import ScriptedClient, Tokens, ok

ACCOUNT = "549000000001"


class Background:
    """A background mode at the `send`/`close` interface: queues, declines or refuses everything."""

    def __init__(self, answer: str = "queue", order: list[str] | None = None) -> None:
        self.answer = answer
        self.sent: list[list[str]] = []
        self.order = order if order is not None else []

    def send(self, items: Sequence[Outgoing]) -> Sent:
        self.sent.append([item.payload["event_id"] for item in items])
        if self.answer == "closing" and items:
            raise ServiceUnavailable("the instance is shutting down; send again")
        if self.answer == "decline":
            return Sent((None,) * len(items))
        return Sent((Taken(Outcome.QUEUED),) * len(items))

    def close(self, until: float) -> None:
        self.order.append("background closed")


def outcomes(sent: Sent) -> list[Outcome | None]:
    return [t.outcome if t else None for t in sent.taken]


def item(event_id: str, delivery: str = "awaited") -> Outgoing:
    return Outgoing({"event_id": event_id, "event_name": "checkout"}, ACCOUNT, False, delivery=delivery)


def awaited(client: ScriptedClient) -> Awaited:
    clock = Clock(100.0)
    deliverer = Deliverer(client, Tokens(), ListJournal(), ConsoleLog("no"), 5,  # type: ignore[arg-type]
                          sleep=clock.sleep, clock=clock)
    return Awaited(deliverer, 2.5, clock=clock)


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
