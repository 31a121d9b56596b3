"""The handler's refusals: each error the request can meet, answered with the README's status and body.

The gateway is wired from real parts as app.py wires it (settings, deliverer, sender, caller check);
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

from function.app import build_deliverer, caller_check
from function.credentials.callers import REJECTION, UNCONFIGURED, CallerCheck
from function.credentials.secret_manager import SecretManager, SecretUnreachable
from function.delivery.optimistic import BackgroundSender
from function.limits import MAX_BODY_BYTES
from function.logs.console import ConsoleLog, Headers
from function.logs.journal import EventRecord
from function.settings import Settings
from function.web.handler import Gateway

KEY = "caller-key-0123456789"
APP = flask.Flask(__name__)
EVENT = json.dumps({"event_name": "purchase", "client_id": "1.2", "user_data": {"email_address": "a@b.c"}})


class ListJournal:
    def __init__(self) -> None:
        self.records: list[EventRecord] = []

    def record(self, records: Sequence[EventRecord]) -> None:
        self.records += records


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
    background = BackgroundSender(deliverer, journal, batch_max=10, batch_wait_s=0.01, queue_max=10,
                                  queue_max_bytes=10_000)
    if closed:
        background.close(time.monotonic())
    yield Gateway(settings, deliverer, background, journal, log,
                  callers or caller_check(settings, secrets, log))
    background.close(time.monotonic() + 1)


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
