"""The handler's refusals: each error the request can meet, answered with the README's status and body.

The gateway is wired from real parts as app.py wires it (settings, delivery, caller check);
only the journal is a list, and one caller check raises what an unreadable keys secret raises.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import flask
import pytest

from function.app import build_deliverer, build_delivery, caller_check
from function.credentials.callers import REJECTION, UNCONFIGURED, CallerCheck
from function.credentials.secret_manager import SecretManager, SecretUnreachable
from function.credentials.tokens import TokenUnavailable
from function.delivery.base import Sent, Taken
from function.delivery.deliverer import Attempt, EventOutcome, Outgoing
from function.delivery.optimistic import queued_bytes
from function.delivery.pinterest import Answer
from function.errors import ServiceUnavailable
from function.limits import MAX_BODY_BYTES
from function.logs.console import ConsoleLog, Headers
from function.outcomes import Outcome, caller_word
from function.settings import Settings
from function.web.handler import Gateway
from tests.doubles import ListJournal

KEY = "caller-key-0123456789"
APP = flask.Flask(__name__)
EVENT = json.dumps({"event_name": "purchase", "client_id": "1.2", "user_data": {"email_address": "a@b.c"}})




class KeysUnreadable:
    """A caller check whose keys secret cannot be read, as ApiKeys meets Secret Manager down."""

    def check(self, headers: Headers) -> None:
        raise SecretUnreachable("gateway-keys: Secret Manager did not answer")


def gateway(callers: CallerCheck | None = None, *, closed: bool = False, **env: str) -> Iterator[Gateway]:
    """The gateway as app.py wires it; `closed`: its sender already shut, as the shutdown hook leaves it."""
    settings = Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": "549000000001", "GATEWAY_API_KEYS": KEY,
                                  "PINTEREST_API_URL": "http://127.0.0.1:9", **env})
    log = ConsoleLog("no", stream=io.StringIO())
    journal = ListJournal()
    secrets = SecretManager("http://127.0.0.1:9", retry_budget_s=0)
    deliverer = build_deliverer(settings, log, journal, secrets, pool_size=1)
    delivery = build_delivery(settings, deliverer, journal, max_calls=1)
    if closed:
        delivery.close(time.monotonic())
    yield Gateway(settings, delivery, journal, log, callers or caller_check(settings, secrets, log))
    delivery.close(time.monotonic() + 1)


def answer(gw: Gateway, method: str = "POST", body: str = EVENT, headers: dict[str, str] | None = None,
           content_type: str = "application/json") -> tuple[int, Any, dict[str, str]]:
    with APP.test_request_context("/", method=method, data=body, content_type=content_type,
                                  headers={"X-Api-Key": KEY} if headers is None else headers):
        response = gw(flask.request)
    return response.status_code, json.loads(response.get_data()), dict(response.headers)


@pytest.fixture
def gw() -> Iterator[Gateway]:
    yield from gateway()


def test_no_key_is_a_401_with_the_challenge(gw: Gateway) -> None:
    status, body, headers = answer(gw, headers={})
    assert (status, body) == (401, {"status": "invalid", "error": REJECTION})
    assert headers["WWW-Authenticate"] == 'Bearer realm="pinterest_capi"'


def test_anything_but_post_is_a_405_naming_post(gw: Gateway) -> None:
    status, body, headers = answer(gw, method="PUT")
    assert (status, body) == (405, {"status": "invalid", "error": "only POST is accepted"})
    assert headers["Allow"] == "POST"


def test_a_body_not_declared_as_json_is_a_415(gw: Gateway) -> None:
    status, body, _ = answer(gw, content_type="text/plain")
    assert (status, body) == (415, {"status": "invalid", "error": "Content-Type must be application/json"})


def test_a_body_over_the_limit_is_a_413(gw: Gateway) -> None:
    status, body, _ = answer(gw, body="x" * (MAX_BODY_BYTES + 1))
    assert (status, body) == (413, {"status": "invalid",
                                    "error": f"body is larger than {MAX_BODY_BYTES} bytes"})


def test_a_body_that_is_not_json_is_a_400(gw: Gateway) -> None:
    status, body, _ = answer(gw, body="{")
    assert status == 400
    assert body["status"] == "invalid"
    assert body["error"].startswith("body is not valid JSON")


def test_no_token_is_a_503_to_retry_shortly(gw: Gateway) -> None:
    status, body, headers = answer(gw)
    assert (status, body) == (503, {"status": "failed", "error": "token unavailable"})
    assert headers["Retry-After"] == "1"


def test_unreadable_caller_keys_are_a_503_that_names_no_secret() -> None:
    for gw in gateway(KeysUnreadable()):
        status, body, headers = answer(gw)
        assert (status, body) == (503, {"status": "failed", "error": "caller API keys unavailable"})
        assert headers["Retry-After"] == "1"


def test_authentication_not_configured_is_a_503_without_retry_after() -> None:
    for gw in gateway(GATEWAY_API_KEYS="", GATEWAY_AUTH="keys"):
        status, body, headers = answer(gw)
        assert (status, body) == (503, {"status": "failed", "error": UNCONFIGURED})
        assert "Retry-After" not in headers


def test_a_request_while_shutting_down_is_a_503() -> None:
    for shutting in gateway(closed=True, PINTEREST_DELIVERY="optimistic", PINTEREST_ACCESS_TOKEN="t"):
        status, body, _ = answer(shutting)
        assert (status, body) == (503, {"status": "failed",
                                        "error": "the instance is shutting down; send again"})


def test_a_refused_event_is_answered_and_journaled_with_its_ids() -> None:
    gen = gateway()
    gw = next(gen)
    body = json.dumps({"event_name": "purchase", "transaction_id": "T-9", "event_time": 1700000000,
                       "user_data": {"email_address": "a@b.c"}})
    status, answered, _ = answer(gw, body=body)
    assert status == 422
    assert answered["events"] == [{"event_id": "T-9", "event_name": "checkout", "ga4_event_name": "purchase",
                                   "status": "invalid", "error": answered["events"][0]["error"]}]
    journal = gw._journal
    assert isinstance(journal, ListJournal)
    assert [(r.event_id, r.event_name, r.ga4_event_name) for r in journal.records] == [
        ("T-9", "checkout", "purchase")]
    gen.close()


class ScriptedDelivery:
    """A delivery at the `send`/`close` interface: answers every event with the next scripted outcome."""

    def __init__(self, *outcomes: Outcome | Exception, attempts: Sequence[Attempt] = ()) -> None:
        self.outcomes = list(outcomes)
        self.attempts = tuple(attempts)
        self.sent: list[Outgoing] = []

    def send(self, items: Sequence[Outgoing]) -> Sent:
        self.sent += items
        if items and isinstance(self.outcomes[0], Exception):
            raise self.outcomes[0]
        taken = []
        for _ in items:
            outcome = self.outcomes.pop(0)
            assert isinstance(outcome, Outcome)
            taken.append(Taken(outcome, None if outcome == Outcome.DELIVERED else f"it was {outcome}"))
        return Sent(tuple(taken), self.attempts)

    def close(self, until: float) -> None:
        pass


def scripted(delivery: ScriptedDelivery) -> Gateway:
    settings = Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": "549000000001", "GATEWAY_API_KEYS": KEY})
    log = ConsoleLog("no", stream=io.StringIO())
    journal = ListJournal()
    return Gateway(settings, delivery, journal, log, caller_check(settings, SecretManager(""), log))


def events(count: int, **pinterest: str) -> str:
    one = {"event_name": "purchase", "user_data": {"email_address": "a@b.c"}, "pinterest": pinterest}
    return json.dumps([{**one, "event_id": f"e-{i}"} for i in range(count)])


@pytest.mark.parametrize(("outcomes", "status", "word"), [
    ((Outcome.DELIVERED, Outcome.DELIVERED), 200, "sent"),
    ((Outcome.QUEUED, Outcome.QUEUED), 202, "queued"),
    ((Outcome.DELIVERED, Outcome.QUEUED), 200, "sent"),
    ((Outcome.DELIVERED, Outcome.FAILED), 207, "partial"),
    ((Outcome.QUEUED, Outcome.FAILED), 207, "partial"),
    ((Outcome.FAILED, Outcome.FAILED), 502, "failed"),
])
def test_the_answer_follows_each_events_outcome_as_the_delivery_reports_it(
        outcomes: tuple[Outcome, ...], status: int, word: str) -> None:
    delivery = ScriptedDelivery(*outcomes)
    code, body, _ = answer(scripted(delivery), body=events(len(outcomes)))
    assert (code, body["status"]) == (status, word)
    # A queued event's explanation is a reason (it will be retried), a failed one's an error.
    assert [(e["event_id"], e["status"], e.get("error"), e.get("reason")) for e in body["events"]] == [
        (f"e-{i}", caller_word(o), f"it was {o}" if o == Outcome.FAILED else None,
         f"it was {o}" if o == Outcome.QUEUED else None)
        for i, o in enumerate(outcomes)]
    assert "pinterest" not in body  # no call was made while the caller waited


def test_each_event_carries_its_requests_mode_to_the_delivery() -> None:
    delivery = ScriptedDelivery(Outcome.QUEUED)
    answer(scripted(delivery), body=events(1, delivery="optimistic"))
    assert [item.delivery for item in delivery.sent] == ["optimistic"]


def test_pinterests_calls_are_summarized_when_the_delivery_made_some() -> None:
    counts = {"num_events_received": 1, "num_events_processed": 1}
    call = Attempt(2, [EventOutcome(True)], Answer(200, counts))
    code, body, _ = answer(scripted(ScriptedDelivery(Outcome.DELIVERED, attempts=[call])), body=events(1))
    assert (code, body["pinterest"]) == (200, {"attempts": 2, "status_code": 200, "num_events_received": 1,
                                               "num_events_processed": 1})


@pytest.mark.parametrize(("error", "status", "body"), [
    (ServiceUnavailable("the instance is shutting down; send again"), 503,
     {"status": "failed", "error": "the instance is shutting down; send again"}),
    (TokenUnavailable("no token"), 503, {"status": "failed", "error": "token unavailable"}),
])
def test_what_the_delivery_raises_is_answered_as_statuses_says(
        error: Exception, status: int, body: dict[str, str]) -> None:
    code, answered, headers = answer(scripted(ScriptedDelivery(error)), body=events(1))
    assert (code, answered, headers["Retry-After"]) == (status, body, "1")


class Queueing:
    """A background delivery that keeps what it is given (a real sender would count it against its queue)."""

    def __init__(self) -> None:
        self.items: list[Outgoing] = []

    def send(self, items: Sequence[Outgoing]) -> Sent:
        self.items += items
        return Sent((Taken(Outcome.QUEUED),) * len(items))

    def close(self, until: float) -> None:
        pass


def test_each_event_goes_to_delivery_with_the_size_the_build_measured_which_the_queue_counts() -> None:
    # Encoding every event once more to count it against PINTEREST_QUEUE_MAX_BYTES cost a tenth of a request.
    settings = Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": "549000000001", "GATEWAY_API_KEYS": KEY})
    log, journal, delivery = ConsoleLog("no", stream=io.StringIO()), ListJournal(), Queueing()
    gw = Gateway(settings, delivery, journal, log, caller_check(settings, SecretManager(""), log))
    events = [{"event_name": "purchase", "client_id": "1.2", "user_data": {"email_address": "a@b.c"},
               "page_location": "https://shop.example/é\ud83d\ude00?q=\u2028", "value": 1e21,
               "currency": "EUR"},
              {"event_name": "page_view", "client_id": "1.3", "ip_override": "203.0.113.9",
               "user_agent": "Mozilla/5.0", "page_title": "caf\u00e9 \U0001f600"}]
    status, body, _ = answer(gw, body=json.dumps({"events": events}))
    assert status == 202, body
    assert len(delivery.items) == 2
    for item in delivery.items:
        assert item.size == len(json.dumps(item.payload, separators=(",", ":")))
        assert queued_bytes(item) == item.size
