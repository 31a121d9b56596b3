"""The delivery loop, driven synchronously: a scripted client at our adapter interface, no sleeps."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from function import retry
from function.delivery.deliverer import TOKEN_REJECTED, Batch, Deliverer, Outgoing, batches, read_answer
from function.delivery.pinterest import Answer, PinterestUnavailable
from function.logs.console import ConsoleLog
from tests.doubles import Clock, ListJournal


class ScriptedClient:
    """Answers calls from a script: an Answer, or an exception to raise."""

    def __init__(self, *script: Answer | Exception) -> None:
        self.script = list(script)
        self.calls: list[dict[str, Any]] = []

    def url(self, ad_account_id: str) -> str:
        return f"http://pinterest.test/v5/ad_accounts/{ad_account_id}/events"

    def send(self, ad_account_id: str, events: Sequence[Mapping[str, Any]], *, test: bool, token: str,
             within_s: float | None = None) -> Answer:
        self.calls.append({"events": list(events), "token": token, "test": test})
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


class Tokens:
    def __init__(self) -> None:
        self.refreshes = 0

    def get(self, ad_account_id: str) -> str:
        return f"token-{self.refreshes}"

    def refresh(self, ad_account_id: str) -> str:
        self.refreshes += 1
        return self.get(ad_account_id)






def ok(count: int, failed: Sequence[int] = ()) -> Answer:
    events = [{"status": "failed", "error_message": "bad em"} if i in failed else {"status": "processed"}
              for i in range(count)]
    return Answer(200, {"num_events_received": count, "num_events_processed": count - len(failed),
                        "events": events})


def error(status: int, headers: Mapping[str, str] | None = None) -> Answer:
    return Answer(status, {"code": 1, "message": f"status {status}"}, dict(headers or {}))


def batch(count: int = 1) -> Batch:
    items = tuple(Outgoing({"event_id": f"e-{i}", "event_name": "checkout"}, "549000000001", False)
                  for i in range(count))
    return Batch("549000000001", False, items)


def run(client: ScriptedClient, the_batch: Batch | None = None, *, deadline_s: float = 30.0,
        max_attempts: int = 5) -> tuple[Any, ListJournal, Clock, Tokens]:
    journal, clock, tokens = ListJournal(), Clock(100.0), Tokens()
    deliverer = Deliverer(client, tokens, journal, ConsoleLog("no"), max_attempts,  # type: ignore[arg-type]
                          sleep=clock.sleep, clock=clock)
    start = clock.now
    final = deliverer.deliver(the_batch or batch(), "awaited", lambda: start + deadline_s)
    return final, journal, clock, tokens


def test_503_503_200_is_delivered_on_the_third_attempt_with_the_same_event_id() -> None:
    client = ScriptedClient(error(503), error(503), ok(1))
    final, journal, clock, _ = run(client)
    assert final.number == 3
    assert [o.delivered for o in final.outcomes] == [True]
    assert [r.outcome for r in journal.records] == ["retrying", "retrying", "delivered"]
    assert [r.attempt for r in journal.records] == [1, 2, 3]
    assert {call["events"][0]["event_id"] for call in client.calls} == {"e-0"}
    assert len(clock.sleeps) == 2


def test_retry_after_is_honoured_exactly() -> None:
    client = ScriptedClient(error(429, {"retry-after": "1"}), ok(1))
    final, _, clock, _ = run(client)
    assert final.outcomes[0].delivered
    assert clock.sleeps == [1.0]


def test_waits_without_retry_after_use_full_jitter_within_the_exponential_cap() -> None:
    client = ScriptedClient(error(500), error(502), error(504), ok(1))
    _, _, clock, _ = run(client)
    caps = [0.25, 0.5, 1.0]
    assert all(0 <= slept <= cap for slept, cap in zip(clock.sleeps, caps, strict=True))


@pytest.mark.parametrize("status", [400, 403, 422, 404], ids=lambda s: f"{s} is final")
def test_client_errors_are_not_retried(status: int) -> None:
    client = ScriptedClient(error(status))
    final, journal, clock, _ = run(client)
    assert len(client.calls) == 1
    assert clock.sleeps == []
    assert [r.outcome for r in journal.records] == ["failed"]
    assert final.outcomes[0].error == f"Pinterest answered {status}: status {status}"


def test_a_partial_failure_is_final_for_the_failed_event_only() -> None:
    client = ScriptedClient(ok(3, failed=[1]))
    _, journal, _, _ = run(client, batch(3))
    assert len(client.calls) == 1
    assert [r.outcome for r in journal.records] == ["delivered", "failed", "delivered"]
    assert journal.records[1].reason == "bad em"
    assert journal.records[1].response_body == {"status": "failed", "error_message": "bad em"}


def test_a_422_names_the_failed_events_in_its_details() -> None:
    details = {"num_events_received": 2, "num_events_processed": 1,
               "events": [{"status": "processed"}, {"status": "failed", "error_message": "bad time"}]}
    client = ScriptedClient(Answer(422, {"code": 1, "message": "Not all events", "details": details}))
    final, _, _, _ = run(client, batch(2))
    assert [(o.delivered, o.error) for o in final.outcomes] == [(True, None), (False, "bad time")]


def test_a_401_refreshes_the_token_once_and_retries_once() -> None:
    client = ScriptedClient(error(401), ok(1))
    final, _, _, tokens = run(client)
    assert final.outcomes[0].delivered
    assert tokens.refreshes == 1
    assert [call["token"] for call in client.calls] == ["token-0", "token-1"]


def test_a_second_401_is_a_final_token_rejected() -> None:
    client = ScriptedClient(error(401), error(401))
    final, journal, _, tokens = run(client)
    assert tokens.refreshes == 1
    assert len(client.calls) == 2
    assert final.outcomes[0].error == "token rejected"
    assert [r.outcome for r in journal.records] == ["failed"]


@pytest.mark.parametrize("failure", [PinterestUnavailable("timeout", timed_out=True),
                                     PinterestUnavailable("connection failed (ConnectionError)")],
                         ids=["a timeout is retried", "a dropped connection is retried"])
def test_no_answer_is_retried(failure: PinterestUnavailable) -> None:
    client = ScriptedClient(failure, ok(1))
    final, journal, _, _ = run(client)
    assert final.outcomes[0].delivered
    assert journal.records[0].outcome == "retrying"
    assert journal.records[0].reason.startswith("Pinterest unreachable")


def test_attempts_stop_at_the_maximum() -> None:
    client = ScriptedClient(*[error(503)] * 3)
    final, journal, _, _ = run(client, max_attempts=3)
    assert len(client.calls) == 3
    assert final.outcomes[0].error.startswith("Pinterest answered 503")
    assert [r.outcome for r in journal.records] == ["retrying", "retrying", "failed"]


def test_a_retry_after_beyond_the_deadline_ends_at_once() -> None:
    client = ScriptedClient(error(429, {"retry-after": "30"}), ok(1))
    final, _, clock, _ = run(client, deadline_s=5)
    assert len(client.calls) == 1
    assert clock.sleeps == []
    assert not final.outcomes[0].delivered


def test_deliveries_share_the_retry_strategy_classes() -> None:
    # building two classes on every delivery cost about 50 us of each awaited request
    def strategies() -> list[type]:
        return [type(retry.wait_strategy(lambda state: None)), type(retry.stop_strategy(3, float, float))]

    assert strategies() == strategies()


def test_read_answer_treats_missing_entries_as_failures() -> None:
    outcomes = read_answer(Answer(200, {"events": [{"status": "processed"}]}), 2)
    assert [o.delivered for o in outcomes] == [True, False]


def test_batches_group_by_account_and_test_mode_up_to_the_maximum() -> None:
    items = [Outgoing({"event_id": str(i)}, "1" if i % 2 else "2", i % 3 == 0) for i in range(12)]
    found = batches(items, batch_max=2)
    assert all(len(b.items) <= 2 for b in found)
    assert all(len({(i.ad_account_id, i.test) for i in b.items}) == 1 for b in found)
    assert sorted(i.payload["event_id"] for b in found for i in b.items) == sorted(str(i) for i in range(12))


def test_retry_after_zero_still_waits_the_minimum_backoff() -> None:
    client = ScriptedClient(*[error(429, {"retry-after": "0"})] * 4, ok(1))
    final, _, clock, _ = run(client)
    assert final.outcomes[0].delivered
    assert clock.sleeps == [retry.BACKOFF_MIN_S] * 4  # five calls take 0.8 s at least, not 10 ms


def test_a_shutdown_ends_deliveries_under_way_and_to_come() -> None:
    journal, clock, tokens = ListJournal(), Clock(100.0), Tokens()
    client = ScriptedClient(*[error(503)] * 5)
    deliverer = Deliverer(client, tokens, journal, ConsoleLog("no"), 5,  # type: ignore[arg-type]
                          sleep=clock.sleep, clock=clock)
    deliverer.stop_by(clock.now + 0.1)  # SIGTERM: what is left of the budget, far under the 30 s deadline
    start = clock.now
    final = deliverer.deliver(batch(), "optimistic", lambda: start + 30)
    assert final.number == 1
    assert [r.outcome for r in journal.records] == ["failed"]
    assert deliverer.wait_idle(clock.now)


def _console_run(client: ScriptedClient) -> list[dict[str, Any]]:
    """The console lines of one delivery with LOG_CONSOLE=no: only what is always written."""
    stream = io.StringIO()
    deliverer = Deliverer(client, Tokens(), ListJournal(), ConsoleLog("no", stream=stream), 5,  # type: ignore[arg-type]
                          sleep=Clock().sleep, clock=Clock())
    deliverer.deliver(batch(), "awaited", lambda: 1e9)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize("script", [(error(401), error(401)), (error(403),)], ids=["401 twice", "403"])
def test_a_refused_token_is_one_console_line_whatever_log_console_says(script: tuple[Answer, ...]) -> None:
    [line] = _console_run(ScriptedClient(*script))
    assert line["severity"] == "ERROR"
    assert line["message"] == TOKEN_REJECTED
    assert line["ad_account_id"] == "549000000001"
    assert line["response_status_code"] == script[-1].status_code
    assert "token-" not in json.dumps(line)


def test_a_401_that_a_fresh_token_cures_writes_no_token_line() -> None:
    assert _console_run(ScriptedClient(error(401), ok(1))) == []
