"""The real functions-framework server posting to the local Pinterest sandbox over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from function.sandbox.server import Sandbox
from tests.pinterest_spec import assert_valid_events_body, schema_errors
from tests.processes import AD_ACCOUNT, SANDBOX_TOKEN, FunctionServer, control, recorded

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
RAW_EMAIL = "Canary.Person@Example.com"
RAW_PHONE = "+1 (650) 555-0199"

pytestmark = pytest.mark.slow


def purchase(event_id: str = "e2e-purchase-1") -> dict:
    event = json.loads((GOLDEN / "purchase-input.json").read_text(encoding="utf-8"))
    event.update({"event_id": event_id, "user_data": {"email_address": RAW_EMAIL, "phone_number": RAW_PHONE}})
    return event


def test_a_purchase_reaches_pinterest_hashed_and_valid(function_server: FunctionServer,
                                                       clean_sandbox: Sandbox) -> None:
    response = function_server.post(purchase())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "sent"
    assert body["events"] == [{"event_id": "e2e-purchase-1", "event_name": "checkout", "status": "sent",
                               "ga4_event_name": "purchase"}]
    assert body["pinterest"] == {"status_code": 200, "num_events_received": 1, "num_events_processed": 1,
                                 "attempts": 1}
    [record] = recorded(clean_sandbox)
    assert record["ad_account_id"] == AD_ACCOUNT
    assert record["test"] is False
    event = record["event"]
    assert event["custom_data"]["value"] == "59.97"
    # sha256 of the normalized e-mail
    assert event["user_data"]["em"] == ["27ebba4809a2b35ad3378394397726bb69a48bb08ed9d4d4a4830945680453aa"]
    assert_valid_events_body({"data": [event]})


def test_an_array_body_goes_in_one_call_with_per_event_statuses(function_server: FunctionServer,
                                                                clean_sandbox: Sandbox) -> None:
    events = [purchase("a-1"), {"event_name": "page_view", "client_id": "no identifiers"}, purchase("a-3")]
    response = function_server.post(events)
    assert response.status_code == 207, response.text
    statuses = [e["status"] for e in response.json()["events"]]
    assert statuses == ["sent", "invalid", "sent"]
    assert "events[1]: user_data needs" in response.json()["events"][1]["error"]
    stats = requests.get(control(clean_sandbox, "stats"), timeout=5).json()
    assert stats["calls"] == 1
    assert stats["batch_sizes"] == [2]
    assert [r["event"]["event_id"] for r in recorded(clean_sandbox)] == ["a-1", "a-3"]


def test_test_mode_override_reaches_pinterest_as_a_query_flag(function_server: FunctionServer,
                                                              clean_sandbox: Sandbox) -> None:
    event = {**purchase("t-1"), "pinterest": {"test": True}}
    assert function_server.post(event).status_code == 200
    assert recorded(clean_sandbox)[0]["test"] is True


def test_pubsub_delivery_asked_of_a_deployment_without_a_topic_goes_awaited(function_server: FunctionServer,
                                                                          clean_sandbox: Sandbox) -> None:
    # As the README says (it once said 400): the request is sent and answered with Pinterest's result.
    response = function_server.post({**purchase("ps-1"), "pinterest": {"delivery": "pubsub"}})
    assert response.status_code == 200, response.text
    assert response.json()["events"][0]["status"] == "sent"
    assert [r["event"]["event_id"] for r in recorded(clean_sandbox)] == ["ps-1"]


def test_a_failed_event_inside_a_200_is_reported_as_failed(function_server: FunctionServer,
                                                           clean_sandbox: Sandbox) -> None:
    requests.post(control(clean_sandbox, "faults"), json={"script": ["partial"]}, timeout=5)
    response = function_server.post([purchase("p-1"), purchase("p-2")])
    assert response.status_code == 207
    assert [e["status"] for e in response.json()["events"]] == ["sent", "failed"]
    assert response.json()["events"][1]["error"]


def test_a_503_is_retried_and_the_caller_sees_the_delivery(function_server: FunctionServer,
                                                           clean_sandbox: Sandbox) -> None:
    requests.post(control(clean_sandbox, "faults"), json={"script": ["503"]}, timeout=5)
    response = function_server.post(purchase("r-1"))
    assert response.status_code == 200, response.text
    assert response.json()["pinterest"]["attempts"] == 2
    assert [r["event"]["event_id"] for r in recorded(clean_sandbox)] == ["r-1"]


def test_pinterest_server_errors_that_outlast_the_retries_are_a_502(function_server: FunctionServer,
                                                                     clean_sandbox: Sandbox) -> None:
    requests.post(control(clean_sandbox, "faults"), json={"script": ["500", "503"]}, timeout=5)
    response = function_server.post(purchase("f-1"))
    assert response.status_code == 502
    assert response.json()["status"] == "failed"
    assert response.json()["events"][0]["error"].startswith("Pinterest answered 503")
    assert response.json()["pinterest"]["status_code"] == 503
    assert response.json()["pinterest"]["attempts"] == 2


@pytest.mark.parametrize(
    ("method", "body", "headers", "status", "error_part"),
    [
        pytest.param("POST", b"{not json", {"Content-Type": "application/json"}, 400, "not valid JSON",
                     id="malformed JSON is a 400"),
        pytest.param("POST", b'{"event_name": NaN}', {"Content-Type": "application/json"}, 400, "NaN",
                     id="NaN is not JSON"),
        pytest.param("POST", b"event_name=purchase", {"Content-Type": "application/x-www-form-urlencoded"},
                     415, "Content-Type", id="a form post is a 415"),
        pytest.param("GET", None, {}, 405, "POST", id="GET is a 405"),
        pytest.param("POST", b'{"events": "nope"}', {"Content-Type": "application/json"}, 400,
                     "events must be an array", id="an events wrapper that is not a list is a 400"),
        pytest.param("POST", b'{"client_id": "x", "ip_override": "1.2.3.4", "user_agent": "UA"}',
                     {"Content-Type": "application/json"}, 400, "event_name is required",
                     id="a missing event_name is a 400"),
        pytest.param("POST", b'{"event_name": {"a": 1}}', {"Content-Type": "application/json"}, 400,
                     "event_name", id="an event_name of the wrong type is a 400"),
        pytest.param("POST", b"[" + b",".join([b'{"event_name":"page_view"}'] * 1001) + b"]",
                     {"Content-Type": "application/json"}, 400, "at most 1000", id="1001 events is a 400"),
        pytest.param("POST", b'{"a":"' + b"x" * (1 << 20) + b'"}', {"Content-Type": "application/json"}, 413,
                     "larger than", id="a body over 1 MiB is a 413"),
    ],
)
def test_bad_input_gets_the_documented_4xx_and_never_a_500(
        function_server: FunctionServer, clean_sandbox: Sandbox, method: str, body: bytes | None,
        headers: dict[str, str], status: int, error_part: str) -> None:
    headers = {**headers, "Authorization": f"Bearer {function_server.api_key}"}
    response = requests.request(method, function_server.url, data=body, headers=headers, timeout=30)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    payload = response.json()
    error = payload.get("error") or payload["events"][0]["error"]
    assert error_part in error
    assert recorded(clean_sandbox) == []


def test_the_console_log_shows_the_call_but_never_raw_data_or_the_token(
        function_server: FunctionServer, clean_sandbox: Sandbox) -> None:
    function_server.post(purchase("log-1"))
    lines = [json.loads(line) for line in function_server.log_text().splitlines() if line.startswith("{")]
    calls = [line for line in lines if line.get("message") == "pinterest call"]
    assert calls, "LOG_CONSOLE=always logs every Pinterest call"
    assert calls[-1]["severity"] == "INFO"
    assert calls[-1]["request_body"]["data"][0]["event_id"] == "log-1"
    assert calls[-1]["response_status_code"] == 200
    assert not schema_errors(calls[-1]["request_body"])
    text = function_server.log_text()
    for secret in (SANDBOX_TOKEN, RAW_EMAIL, RAW_EMAIL.lower(), "650) 555-0199", "16505550199"):
        assert secret not in text
