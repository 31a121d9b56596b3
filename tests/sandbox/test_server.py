"""The sandbox over real HTTP: Pinterest's answers, recording, routing and the command line."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from function.sandbox import Sandbox
from tests.processes import control, recorded
from tests.sandbox.helpers import AD_ACCOUNT, TOKEN, assert_matches, make_event

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def post(
    sandbox: Sandbox,
    body: object,
    *,
    token: str | None = TOKEN,
    account: str = AD_ACCOUNT,
    params: dict[str, str] | None = None,
) -> requests.Response:
    """Send a batch the way the gateway does."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    url = f"{sandbox.url}/ad_accounts/{account}/events"
    return requests.post(url, json=body, headers=headers, params=params, timeout=5)


def post_raw(sandbox: Sandbox, data: bytes, content_type: str = "application/json") -> requests.Response:
    """Send arbitrary bytes to the events endpoint."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type}
    return requests.post(
        f"{sandbox.url}/ad_accounts/{AD_ACCOUNT}/events", data=data, headers=headers, timeout=5
    )


def ask(sandbox: Sandbox, method: str, name: str, body: object = None) -> requests.Response:
    """Call one of the /_sandbox endpoints."""
    return requests.request(method, control(sandbox, name), json=body, timeout=5)


class TestAccepted:
    def test_200_matches_the_spec(self, sandbox: Sandbox) -> None:
        events = [make_event(event_id="a"), make_event(event_id="b", event_name="page_visit")]
        response = post(sandbox, {"data": events})
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        body = response.json()
        assert_matches(body, "ConversionApiResponse")
        assert body == {
            "num_events_received": 2,
            "num_events_processed": 2,
            "events": [{"status": "processed", "error_message": None, "warning_message": None}] * 2,
        }

    def test_1000_events_are_accepted(self, sandbox: Sandbox) -> None:
        response = post(sandbox, {"data": [make_event(event_id=str(n)) for n in range(1000)]})
        assert response.status_code == 200
        assert response.json()["num_events_processed"] == 1000

    def test_custom_event_names_are_accepted(self, sandbox: Sandbox) -> None:
        assert post(sandbox, {"data": [make_event(event_name="quote_requested")]}).status_code == 200


class TestPartlyRejected:
    def test_422_matches_the_spec_and_keeps_the_order(self, sandbox: Sandbox) -> None:
        events = [
            make_event(event_id="ok-1"),
            make_event(event_id="bad", action_source="email"),
            make_event(event_id="ok-2"),
        ]
        response = post(sandbox, {"data": events})
        assert response.status_code == 422
        body = response.json()
        assert_matches(body, "DetailedError")
        assert_matches(body["details"], "ConversionApiResponse")
        assert body["code"] == 1
        assert body["message"] == "Not all events were successfully processed."
        details = body["details"]
        assert (details["num_events_received"], details["num_events_processed"]) == (3, 2)
        assert [entry["status"] for entry in details["events"]] == ["processed", "failed", "processed"]
        assert details["events"][1] == {
            "status": "failed",
            "error_message": "data[1].action_source must be one of: app_android, app_ios, offline, web",
            "warning_message": None,
        }

    def test_valid_events_of_the_batch_are_still_recorded(self, sandbox: Sandbox) -> None:
        post(sandbox, {"data": [make_event(event_id="ok"), make_event(event_id="bad", event_time="now")]})
        assert [record["event"]["event_id"] for record in recorded(sandbox)] == ["ok"]

    def test_all_invalid_is_still_422(self, sandbox: Sandbox) -> None:
        response = post(sandbox, {"data": [{"event_name": "checkout"}]})
        assert response.status_code == 422
        details = response.json()["details"]
        assert details["num_events_processed"] == 0
        assert "data[0].action_source is required" in details["events"][0]["error_message"]

    def test_several_problems_share_one_error_message(self, sandbox: Sandbox) -> None:
        response = post(sandbox, {"data": [make_event(opt_out="no", wifi=1)]})
        message = response.json()["details"]["events"][0]["error_message"]
        assert message == "data[0].opt_out must be a boolean; data[0].wifi must be a boolean"


class TestAuthentication:
    @pytest.mark.parametrize("token", [None, "wrong-token", ""])
    def test_401(self, sandbox: Sandbox, token: str | None) -> None:
        response = post(sandbox, {"data": [make_event()]}, token=token)
        assert response.status_code == 401
        assert response.json() == {"code": 2, "message": "Authentication failed."}
        assert_matches(response.json(), "Error")
        assert recorded(sandbox) == []

    def test_scheme_must_be_bearer(self, sandbox: Sandbox) -> None:
        url = f"{sandbox.url}/ad_accounts/{AD_ACCOUNT}/events"
        response = requests.post(
            url, json={"data": [make_event()]}, headers={"Authorization": TOKEN}, timeout=5
        )
        assert response.status_code == 401


class TestBadRequests:
    def assert_400(self, response: requests.Response, fragment: str) -> None:
        """A Pinterest Error naming the problem."""
        assert response.status_code == 400
        body = response.json()
        assert_matches(body, "Error")
        assert body["code"] == 1
        assert body["message"].startswith("Invalid request: ")
        assert fragment in body["message"]

    def test_1001_events(self, sandbox: Sandbox) -> None:
        response = post(sandbox, {"data": [make_event()] * 1001})
        self.assert_400(response, "data must hold 1 to 1000 events, not 1001")

    def test_no_events(self, sandbox: Sandbox) -> None:
        self.assert_400(post(sandbox, {"data": []}), "data must hold 1 to 1000 events, not 0")

    def test_extra_top_level_key(self, sandbox: Sandbox) -> None:
        self.assert_400(
            post(sandbox, {"data": [make_event()], "test": True}), "test is not an allowed property"
        )

    def test_body_must_be_an_object(self, sandbox: Sandbox) -> None:
        self.assert_400(post(sandbox, [make_event()]), "the request body must be a JSON object")

    @pytest.mark.parametrize(
        "data", [b"", b"{", b"not json", b'{"data": NaN}', b"\xff\xfe", b"[" * 50 + b"]" * 50, b"[" * 100000]
    )
    def test_body_must_be_json(self, sandbox: Sandbox, data: bytes) -> None:
        self.assert_400(post_raw(sandbox, data), "the body ")

    def test_content_type_must_be_json(self, sandbox: Sandbox) -> None:
        response = post_raw(sandbox, json.dumps({"data": [make_event()]}).encode(), "text/plain")
        self.assert_400(response, "Content-Type: application/json")

    def test_json_with_charset_is_fine(self, sandbox: Sandbox) -> None:
        body = json.dumps({"data": [make_event()]}).encode()
        assert post_raw(sandbox, body, "application/json; charset=utf-8").status_code == 200

    @pytest.mark.parametrize("account", ["abc", "12a4", "1" * 19, "-5", "1%202"])
    def test_ad_account_id_must_be_digits(self, sandbox: Sandbox, account: str) -> None:
        self.assert_400(post(sandbox, {"data": [make_event()]}, account=account), "ad_account_id")

    def test_test_flag_must_be_boolean(self, sandbox: Sandbox) -> None:
        response = post(sandbox, {"data": [make_event()]}, params={"test": "maybe"})
        self.assert_400(response, "test query parameter")

    def test_nothing_is_recorded(self, sandbox: Sandbox) -> None:
        post(sandbox, {"data": [make_event()] * 1001})
        assert recorded(sandbox) == []


class TestRecording:
    def test_records_events_with_account_test_flag_and_call(self, sandbox: Sandbox) -> None:
        first = make_event(event_id="first")
        post(sandbox, {"data": [first]})
        post(sandbox, {"data": [make_event(event_id="second")]}, params={"test": "true"}, account="42")
        records = recorded(sandbox)
        assert records[0] == {"ad_account_id": AD_ACCOUNT, "test": False, "call": 1, "event": first}
        assert (records[1]["ad_account_id"], records[1]["test"], records[1]["call"]) == ("42", True, 2)

    def test_stats(self, sandbox: Sandbox) -> None:
        post(sandbox, {"data": [make_event()] * 3})
        post(sandbox, {"data": [make_event(), make_event(event_time=0)]})
        post(sandbox, {"data": [make_event()]}, token="nope")
        assert ask(sandbox, "GET", "stats").json() == {
            "calls": 3,
            "events_received": 5,
            "events_processed": 4,
            "batch_sizes": [3, 2],
            "statuses": {"200": 1, "422": 1, "401": 1},
            "faults": {},
        }

    def test_delete_resets_events_counters_and_faults(self, sandbox: Sandbox) -> None:
        post(sandbox, {"data": [make_event()]})
        ask(sandbox, "POST", "faults", {"script": ["503"]})
        response = ask(sandbox, "DELETE", "events")
        assert response.status_code == 200
        assert recorded(sandbox) == []
        assert ask(sandbox, "GET", "stats").json()["calls"] == 0
        assert ask(sandbox, "GET", "faults").json()["script"] == []
        assert post(sandbox, {"data": [make_event()]}).status_code == 200

    def test_python_api_sees_the_same_recordings(self, sandbox: Sandbox) -> None:
        post(sandbox, {"data": [make_event(event_id="x")]})
        assert sandbox.recorder.events()[0]["event"]["event_id"] == "x"
        assert sandbox.recorder.stats()["calls"] == 1

    def test_concurrent_calls_are_all_counted(self, sandbox: Sandbox) -> None:
        def send(index: int) -> None:
            post(sandbox, {"data": [make_event(event_id=str(index))] * 5})

        threads = [threading.Thread(target=send, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stats = sandbox.recorder.stats()
        assert (stats["calls"], stats["events_processed"], stats["statuses"]) == (20, 100, {"200": 20})
        assert sorted(record["call"] for record in recorded(sandbox)) == sorted(list(range(1, 21)) * 5)


class TestRouting:
    def test_unknown_path_is_404_json(self, sandbox: Sandbox) -> None:
        response = requests.get(f"{sandbox.url}/ad_accounts/{AD_ACCOUNT}", timeout=5)
        assert response.status_code == 404
        assert_matches(response.json(), "Error")

    @pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
    def test_wrong_method_on_events_is_405_json(self, sandbox: Sandbox, method: str) -> None:
        response = requests.request(method, f"{sandbox.url}/ad_accounts/{AD_ACCOUNT}/events", timeout=5)
        assert response.status_code == 405
        assert response.headers["Allow"] == "POST"
        assert response.json() == {"code": 5, "message": "Method not allowed"}

    def test_wrong_method_on_control_endpoint(self, sandbox: Sandbox) -> None:
        response = ask(sandbox, "POST", "stats")
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET"

    def test_unsupported_http_method_is_json(self, sandbox: Sandbox) -> None:
        response = requests.request("TRACE", f"{sandbox.url}/ad_accounts/{AD_ACCOUNT}/events", timeout=5)
        assert response.status_code == 501
        assert response.json()["code"] == 501

    def test_head_has_no_body(self, sandbox: Sandbox) -> None:
        response = requests.head(control(sandbox, "stats"), timeout=5)
        assert response.status_code == 200
        assert response.content == b""

    def test_chunked_bodies_are_refused(self, sandbox: Sandbox) -> None:
        chunks = iter([json.dumps({"data": [make_event()]}).encode()])
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        url = f"{sandbox.url}/ad_accounts/{AD_ACCOUNT}/events"
        assert requests.post(url, data=chunks, headers=headers, timeout=5).status_code == 411


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The process's first stdout line, without hanging if it never comes."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            pytest.fail("the sandbox did not announce itself")
    return process.stdout.readline().strip()


@pytest.mark.slow
def test_cli_announces_its_url_and_serves() -> None:
    env = {**os.environ, "SANDBOX_TOKEN": "cli-token", "SANDBOX_FAULT_SCRIPT": "503"}
    process = subprocess.Popen(
        [sys.executable, "-m", "function.sandbox", "--port", "0", "--host", "127.0.0.1"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = _first_line(process, timeout=10)
        prefix = "sandbox listening on http://127.0.0.1:"
        assert line.startswith(prefix)
        assert line.endswith("/v5")
        url = line.removeprefix("sandbox listening on ")
        endpoint = f"{url}/ad_accounts/{AD_ACCOUNT}/events"
        headers = {"Authorization": "Bearer cli-token"}
        body = {"data": [make_event()]}
        assert requests.post(endpoint, json=body, headers=headers, timeout=5).status_code == 503
        assert requests.post(endpoint, json=body, headers=headers, timeout=5).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


@pytest.mark.slow
def test_cli_rejects_bad_fault_settings() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "function.sandbox", "--port", "0", "--fault-kinds", "meteor"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert result.returncode == 2
    assert "kinds[0] must be one of" in result.stderr
