"""The drain's one rule, driven synchronously: the real Deliverer with a scripted client, no Pub/Sub."""

from __future__ import annotations

from function.credentials.tokens import TokenUnavailable
from function.delivery.deliverer import Deliverer, Outgoing
from function.delivery.drain import Drainer
from function.delivery.pinterest import PinterestUnavailable
from function.delivery.pubsub import encode
from function.logs.console import ConsoleLog
from function.outcomes import Outcome
from tests.unit.delivery.test_deliverer import Clock, ListJournal, ScriptedClient, Tokens, error, ok

NOW = 1_800_000_000.0
ACCOUNT, OTHER = "549000000001", "549000000002"


def message(event_id: str, account: str = ACCOUNT, *, test: bool = False, age_s: float = 0.0) -> bytes:
    payload = {"event_id": event_id, "event_name": "checkout", "action_source": "web",
               "event_time": int(NOW - age_s),
               "user_data": {"em": ["b" * 64], "client_ip_address": "203.0.113.7"}}
    return encode(Outgoing(payload, account, test), NOW - age_s)


def drainer(client: ScriptedClient, journal: ListJournal, *, tokens: object = None,
            allowed: tuple[str, ...] = (ACCOUNT, OTHER)) -> Drainer:
    clock = Clock()
    deliverer = Deliverer(client, tokens or Tokens(), journal, ConsoleLog("no"), 2,  # type: ignore[arg-type]
                          sleep=clock.sleep, clock=clock, retry_later=True)
    return Drainer(deliverer, journal, retry_window_s=3600, allowed=lambda account: account in allowed,
                   clock=lambda: NOW, monotonic=clock)


def test_delivered_and_rejected_events_are_acked_in_one_call() -> None:
    client, journal = ScriptedClient(ok(3, failed=[1])), ListJournal()
    handled = drainer(client, journal).handle([(n, message(f"e{n}")) for n in range(3)])
    assert handled.ack == [0, 1, 2]
    assert handled.nack == []
    assert (handled.summary.delivered, handled.summary.failed, handled.summary.calls) == (2, 1, 1)
    assert [r.outcome for r in journal.records] == [Outcome.DELIVERED, Outcome.FAILED, Outcome.DELIVERED]


def test_a_retryable_last_attempt_is_nacked_and_recorded_retrying_not_failed() -> None:
    client, journal = ScriptedClient(error(503), PinterestUnavailable("timed out")), ListJournal()
    handled = drainer(client, journal).handle([("a", message("e1")), ("b", message("e2"))])
    assert handled.nack == ["a", "b"]
    assert handled.ack == []
    assert {r.outcome for r in journal.records} == {Outcome.RETRYING}, "Pub/Sub makes the next attempt"


def test_batches_are_made_per_account_and_test_mode() -> None:
    client, journal = ScriptedClient(ok(2), ok(1), ok(1)), ListJournal()
    received = [(1, message("a1")), (2, message("b1", OTHER)), (3, message("a2")),
                (4, message("t1", test=True))]
    handled = drainer(client, journal).handle(received)
    assert sorted(handled.ack) == [1, 2, 3, 4]
    sent = [[e["event_id"] for e in call["events"]] for call in client.calls]
    assert sent == [["a1", "a2"], ["b1"], ["t1"]]
    assert [call["test"] for call in client.calls] == [False, False, True]


def test_poison_expired_and_foreign_messages_are_final_failures_without_a_call() -> None:
    client, journal = ScriptedClient(ok(1)), ListJournal()
    received = [("poison", b"{not json"), ("old", message("old", age_s=3601)),
                ("foreign", message("f1", "549000000003")), ("fine", message("fine"))]
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
    handled = drainer(client, journal, tokens=NoToken()).handle([("a", message("e1"))])
    assert handled.nack == ["a"]
    assert client.calls == []


def test_a_message_holding_an_event_the_pipeline_could_not_have_built_is_poison_and_not_sent() -> None:
    """Whoever may publish to the topic wrote it: a raw e-mail is never sent, nor logged."""
    client, journal = ScriptedClient(ok(1)), ListJournal()
    raw = {"event_id": "raw", "event_name": "checkout", "action_source": "web", "event_time": int(NOW),
           "user_data": {"em": ["someone@example.com"]}}
    handled = drainer(client, journal).handle([("raw", encode(Outgoing(raw, ACCOUNT, False), NOW)),
                                               ("fine", message("fine"))])
    assert sorted(handled.ack) == ["fine", "raw"]
    assert [[e["event_id"] for e in call["events"]] for call in client.calls] == [["fine"]]
    [failed] = [r for r in journal.records if r.outcome == Outcome.FAILED]
    assert failed.payload is None
    assert failed.reason is not None
    assert failed.reason.startswith("poison Pub/Sub message: ")
    assert "someone@example.com" not in failed.reason
