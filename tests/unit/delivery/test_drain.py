"""The drain's one rule, driven synchronously: the real Deliverer with a scripted client, no Pub/Sub."""

from __future__ import annotations

import concurrent.futures
import io
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from function.credentials.tokens import TokenUnavailable
from function.delivery.deliverer import Deliverer, Outgoing
from function.delivery.drain import STREAM_BACKOFF_S, Drainer, Received, Stream
from function.delivery.pinterest import PinterestUnavailable
from function.delivery.pubsub import encode
from function.logs.console import ConsoleLog
from function.outcomes import Outcome
from tests.processes import wait_until
from tests.unit.delivery.test_deliverer import Clock, ListJournal, ScriptedClient, Tokens, error, ok

NOW = 1_800_000_000.0
ACCOUNT, OTHER = "549000000001", "549000000002"


def message(event_id: str, account: str = ACCOUNT, *, test: bool = False, age_s: float = 0.0) -> bytes:
    payload = {"event_id": event_id, "event_name": "checkout", "action_source": "web",
               "event_time": int(NOW - age_s),
               "user_data": {"em": ["b" * 64], "client_ip_address": "203.0.113.7"}}
    return encode(Outgoing(payload, account, test), NOW - age_s)


def drainer(client: ScriptedClient, journal: ListJournal, *, tokens: object = None,
            allowed: tuple[str, ...] = (ACCOUNT, OTHER), max_delivery_attempts: int | None = None) -> Drainer:
    clock = Clock()
    deliverer = Deliverer(client, tokens or Tokens(), journal, ConsoleLog("no"), 2,  # type: ignore[arg-type]
                          sleep=clock.sleep, clock=clock, retry_later=True)
    return Drainer(deliverer, journal, retry_window_s=3600, allowed=lambda account: account in allowed,
                   max_delivery_attempts=max_delivery_attempts, clock=lambda: NOW, monotonic=clock)


def test_delivered_and_rejected_events_are_acked_in_one_call() -> None:
    client, journal = ScriptedClient(ok(3, failed=[1])), ListJournal()
    handled = drainer(client, journal).handle([Received(n, message(f"e{n}")) for n in range(3)])
    assert handled.ack == [0, 1, 2]
    assert handled.nack == []
    assert (handled.summary.delivered, handled.summary.failed, handled.summary.calls) == (2, 1, 1)
    assert [r.outcome for r in journal.records] == [Outcome.DELIVERED, Outcome.FAILED, Outcome.DELIVERED]


def test_a_retryable_last_attempt_is_nacked_and_recorded_retrying_not_failed() -> None:
    client, journal = ScriptedClient(error(503), PinterestUnavailable("timed out")), ListJournal()
    handled = drainer(client, journal).handle([Received("a", message("e1")), Received("b", message("e2"))])
    assert handled.nack == ["a", "b"]
    assert handled.ack == []
    assert {r.outcome for r in journal.records} == {Outcome.RETRYING}, "Pub/Sub makes the next attempt"


def test_batches_are_made_per_account_and_test_mode() -> None:
    client, journal = ScriptedClient(ok(2), ok(1), ok(1)), ListJournal()
    received = [Received(1, message("a1")), Received(2, message("b1", OTHER)), Received(3, message("a2")),
                Received(4, message("t1", test=True))]
    handled = drainer(client, journal).handle(received)
    assert sorted(handled.ack) == [1, 2, 3, 4]
    sent = [[e["event_id"] for e in call["events"]] for call in client.calls]
    assert sent == [["a1", "a2"], ["b1"], ["t1"]]
    assert [call["test"] for call in client.calls] == [False, False, True]


def test_poison_expired_and_foreign_messages_are_final_failures_without_a_call() -> None:
    client, journal = ScriptedClient(ok(1)), ListJournal()
    received = [Received("poison", b"{not json"), Received("old", message("old", age_s=3601)),
                Received("foreign", message("f1", "549000000003")), Received("fine", message("fine"))]
    handled = drainer(client, journal).handle(received)
    assert sorted(handled.ack) == ["fine", "foreign", "old", "poison"]
    assert len(client.calls) == 1
    failed = {r.event_id: r for r in journal.records if r.outcome == Outcome.FAILED}
    assert set(failed) == {None, "old", "f1"}
    assert failed["old"].payload is not None
    assert failed["old"].reason is not None
    assert "PUBSUB_RETRY_WINDOW_S" in failed["old"].reason


def test_no_token_leaves_the_batch_for_later() -> None:
    class NoToken(Tokens):
        def get(self, ad_account_id: str) -> str:
            raise TokenUnavailable("secret unreadable")

    client, journal = ScriptedClient(), ListJournal()
    handled = drainer(client, journal, tokens=NoToken()).handle([Received("a", message("e1"))])
    assert handled.nack == ["a"]
    assert client.calls == []


def test_a_message_holding_an_event_the_pipeline_could_not_have_built_is_failed_and_not_sent() -> None:
    """Whoever may publish to the topic wrote it: a raw e-mail is never sent, nor logged."""
    client, journal = ScriptedClient(ok(1)), ListJournal()
    raw = {"event_id": "raw", "event_name": "checkout", "action_source": "web", "event_time": int(NOW),
           "user_data": {"em": ["someone@example.com"]}}
    handled = drainer(client, journal).handle([Received("raw", encode(Outgoing(raw, ACCOUNT, False), NOW)),
                                               Received("fine", message("fine"))])
    assert sorted(handled.ack) == ["fine", "raw"]
    assert [[e["event_id"] for e in call["events"]] for call in client.calls] == [["fine"]]
    [failed] = [r for r in journal.records if r.outcome == Outcome.FAILED]
    assert failed.payload is not None
    assert failed.payload["event_id"] == "raw"
    assert failed.reason is not None
    assert failed.reason.startswith("the queued event may not be sent: ")
    assert "someone@example.com" not in json.dumps(failed.payload) + failed.reason


def test_at_pubsubs_last_delivery_a_retryable_event_is_failed_with_its_payload_and_acked() -> None:
    """Nacked, the dead-letter topic would take it with its last row `retrying`: its story untold."""
    client, journal = ScriptedClient(error(503), error(503)), ListJournal()
    handled = drainer(client, journal, max_delivery_attempts=100).handle(
        [Received("last", message("last"), 100), Received("early", message("early"), 99)])
    assert handled.ack == ["last"]
    assert handled.nack == ["early"]
    assert (handled.summary.failed, handled.summary.retrying) == (1, 1)
    last = [r for r in journal.records if r.event_id == "last"][-1]
    assert last.outcome == Outcome.FAILED
    assert last.payload is not None
    assert last.reason is not None
    assert "PUBSUB_MAX_DELIVERY_ATTEMPTS" in last.reason
    assert [r.outcome for r in journal.records if r.event_id == "early"][-1] == Outcome.RETRYING


def test_at_the_last_delivery_no_token_or_the_shutdown_fails_the_event_too() -> None:
    class NoToken(Tokens):
        def get(self, ad_account_id: str) -> str:
            raise TokenUnavailable("secret unreadable")

    journal = ListJournal()
    handled = drainer(ScriptedClient(), journal, tokens=NoToken(), max_delivery_attempts=5).handle(
        [Received("a", message("e1"), 5)])
    assert handled.ack == ["a"]
    released = drainer(ScriptedClient(), journal, max_delivery_attempts=5).release(
        [Received("b", message("e2"), 5), Received("c", message("e3"), 4)], "not sent before the shutdown")
    assert (released.ack, released.nack) == (["b"], ["c"])
    assert [(r.event_id, r.outcome) for r in journal.records] == [
        ("e1", Outcome.FAILED), ("e2", Outcome.FAILED)]


class Streamed:
    """A streaming pull's message: its body, Pub/Sub's delivery count, and how it was settled."""

    def __init__(self, data: bytes, delivery_attempt: int | None = None) -> None:
        self.data, self.delivery_attempt = data, delivery_attempt
        self.settled = threading.Event()
        self.how: str | None = None

    def ack(self) -> None:
        self.how = "ack"
        self.settled.set()

    def nack(self) -> None:
        self.how = "nack"
        self.settled.set()


class Subscriber:
    """SubscriberClient's streaming pull: each subscribe is a future the test ends, and the callback."""

    def __init__(self) -> None:
        self.pulls: list[concurrent.futures.Future[None]] = []
        self.callback: Callable[[Streamed], None] | None = None

    def subscribe(self, subscription: str, callback: Callable[[Streamed], None], **options: Any) -> Any:
        self.callback = callback
        self.pulls.append(concurrent.futures.Future())
        return self.pulls[-1]


def stream(subscriber: Subscriber, client: ScriptedClient, out: io.StringIO) -> Stream:
    deliverer = Deliverer(client, Tokens(), ListJournal(), ConsoleLog("no"), 1000,  # type: ignore[arg-type]
                          retry_later=True)
    drain = Drainer(deliverer, ListJournal(), retry_window_s=3600, allowed=lambda account: True,
                    clock=lambda: NOW)
    return Stream(lambda: subscriber, "projects/p/subscriptions/s", drain, ConsoleLog("no", stream=out),
                  wait_s=0.0)


def test_a_streaming_pull_that_fails_is_logged_error_and_opened_again_until_closed() -> None:
    subscriber, out = Subscriber(), io.StringIO()
    pulling = stream(subscriber, ScriptedClient(), out)
    pulling.start()
    subscriber.pulls[0].set_exception(RuntimeError("the stream broke"))
    wait_until(lambda: len(subscriber.pulls) == 2, timeout_s=10)
    [line] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (line["severity"], line["error"]) == ("ERROR", "RuntimeError")
    pulling.close(time.monotonic() + 2)
    assert subscriber.pulls[1].cancelled()
    time.sleep(STREAM_BACKOFF_S + 0.5)
    assert len(subscriber.pulls) == 2, "closed: not opened again"


def test_at_shutdown_the_batch_the_stream_sends_ends_by_the_budget_and_is_settled() -> None:
    """Pinterest answers 503 for ever: the batch would retry for BATCH_DEADLINE_S (30 s), past SIGKILL."""
    subscriber, client = Subscriber(), ScriptedClient(*[error(503)] * 10_000)
    pulling = stream(subscriber, client, io.StringIO())
    pulling.start()
    held = Streamed(message("e1"))
    assert subscriber.callback is not None
    subscriber.callback(held)
    wait_until(lambda: len(client.calls) >= 1, timeout_s=10)
    until = time.monotonic() + 1.0
    pulling.stop(until)
    pulling.close(until)
    assert held.settled.wait(5), "settled by the end of the budget (plus the call under way)"
    assert held.how == "nack"
    assert subscriber.pulls[0].cancelled()
