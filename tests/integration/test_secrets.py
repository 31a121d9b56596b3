"""Secrets and access through the whole gateway: the token and the caller keys from Secret Manager (the
real client against the local stand-in), the Pinterest sandbox over HTTP, and the allowlisted accounts."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask
import pytest
import requests

from function.app import create_gateway
from function.credentials import secret_manager
from function.sandbox.server import Sandbox
from function.web.handler import Gateway
from tests.processes import (
    AD_ACCOUNT,
    SANDBOX_TOKEN,
    FunctionServer,
    control,
    start_function,
    stop_process,
)
from tests.secret_manager_stub import SecretManagerStub

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
TOKEN_SECRET = "projects/demo/secrets/pinterest-token"
KEYS_SECRET = "projects/demo/secrets/gateway-keys"
CALLER = "caller-key-2f6a-e2e"
OTHER_ACCOUNT = "549000000043"
UNLISTED_ACCOUNT = "549000000099"

pytestmark = pytest.mark.slow


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretManagerStub]:
    """The Secret Manager stand-in holding the sandbox token (the canary) and the caller key."""
    monkeypatch.setattr(secret_manager, "RETRY_BUDGET_S", 0.0)  # outages fail at once, not after 1 s
    running = SecretManagerStub()
    running.add_version(TOKEN_SECRET, SANDBOX_TOKEN + "\n")
    running.add_version(KEYS_SECRET, CALLER + "\n")
    yield running
    running.stop()


@pytest.fixture
def outputs(capsys: pytest.CaptureFixture[str]) -> Iterator[list[str]]:
    """Every response text of the test; afterwards, it and the console log must not hold the token."""
    texts: list[str] = []
    yield texts
    written = capsys.readouterr()
    for text in [*texts, written.out, written.err]:
        assert SANDBOX_TOKEN not in text


@pytest.fixture
def gateway(stub: SecretManagerStub, clean_sandbox: Sandbox) -> Callable[..., Gateway]:
    """create_gateway as main.py calls it, with the secrets read from the stand-in; env overrides apply."""

    def make(**env: str) -> Gateway:
        base = {
            "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT,
            "PINTEREST_AD_ACCOUNT_IDS": OTHER_ACCOUNT,
            "PINTEREST_ACCESS_TOKEN_SECRET": TOKEN_SECRET,
            "GATEWAY_API_KEYS_SECRET": KEYS_SECRET,
            "SECRET_MANAGER_API_ENDPOINT": stub.endpoint,
            "PINTEREST_API_URL": clean_sandbox.url,
            "PINTEREST_MAX_ATTEMPTS": "1",
            "LOG_CONSOLE": "always",
            "LOG_SQLITE_PATH": "none",  # these gateways keep no log rows in the work tree
        }
        return create_gateway({key: value for key, value in {**base, **env}.items() if value})

    return make


def purchase(event_id: str, **pinterest: Any) -> dict[str, Any]:
    event = json.loads((GOLDEN / "purchase-input.json").read_text(encoding="utf-8"))
    event.update({"event_id": event_id, "user_data": {"email_address": "jane@example.com"}})
    if pinterest:
        event["pinterest"] = pinterest
    return event


def call(gateway: Gateway, outputs: list[str], body: object, headers: dict[str, str] | None = None,
         raw: bytes | None = None) -> flask.Response:
    """One request through Gateway.__call__, as functions-framework hands it over."""
    request = flask.Request.from_values(
        path="/", method="POST", content_type="application/json",
        data=raw if raw is not None else json.dumps(body),
        headers={"Authorization": f"Bearer {CALLER}"} if headers is None else headers)
    response = gateway(request)
    outputs.append(response.get_data(as_text=True) + json.dumps(dict(response.headers)))
    return response


def sandbox_calls(sandbox: Sandbox) -> int:
    return requests.get(control(sandbox, "stats"), timeout=5).json()["calls"]


def recorded_accounts(sandbox: Sandbox) -> list[str]:
    return [r["ad_account_id"] for r in requests.get(control(sandbox, "events"), timeout=5).json()["events"]]


def test_the_token_comes_from_secret_manager(gateway: Callable[..., Gateway], stub: SecretManagerStub,
                                             clean_sandbox: Sandbox, outputs: list[str]) -> None:
    app = gateway()
    for index in range(3):
        response = call(app, outputs, purchase(f"sm-{index}"))
        assert response.status_code == 200, response.get_data(as_text=True)
    assert stub.count(TOKEN_SECRET) == 1
    assert stub.count(KEYS_SECRET) == 1
    assert recorded_accounts(clean_sandbox) == [AD_ACCOUNT] * 3


def test_a_401_refreshes_the_token_once_and_retries_once(gateway: Callable[..., Gateway],
                                                         stub: SecretManagerStub, clean_sandbox: Sandbox,
                                                         outputs: list[str]) -> None:
    app = gateway()
    assert call(app, outputs, purchase("warm")).status_code == 200
    reads, calls = stub.count(TOKEN_SECRET), sandbox_calls(clean_sandbox)
    requests.post(control(clean_sandbox, "faults"), json={"script": ["401"]}, timeout=5)
    response = call(app, outputs, purchase("after-401"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert stub.count(TOKEN_SECRET) == reads + 1
    assert sandbox_calls(clean_sandbox) == calls + 2


def test_a_second_401_is_final_and_reported_as_token_rejected(gateway: Callable[..., Gateway],
                                                              stub: SecretManagerStub, clean_sandbox: Sandbox,
                                                              outputs: list[str]) -> None:
    app = gateway()
    requests.post(control(clean_sandbox, "faults"), json={"script": ["401", "401", "401"]}, timeout=5)
    response = call(app, outputs, purchase("rejected"))
    assert response.status_code == 502
    assert response.json["events"][0]["status"] == "failed"
    assert response.json["events"][0]["error"] == "token rejected"
    assert sandbox_calls(clean_sandbox) == 2
    assert stub.count(TOKEN_SECRET) == 2


def test_a_rotated_token_is_picked_up_by_the_refresh_after_a_401(gateway: Callable[..., Gateway],
                                                                 stub: SecretManagerStub,
                                                                 clean_sandbox: Sandbox,
                                                                 outputs: list[str]) -> None:
    stub.add_version(TOKEN_SECRET, "revoked-token")
    app = gateway()
    assert call(app, outputs, purchase("old")).json["events"][0]["error"] == "token rejected"
    stub.add_version(TOKEN_SECRET, SANDBOX_TOKEN)
    calls = sandbox_calls(clean_sandbox)
    response = call(app, outputs, purchase("new"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert sandbox_calls(clean_sandbox) == calls + 2  # the cached revoked token, then the rotated one


def test_secret_manager_down_without_a_cached_token_is_a_503(gateway: Callable[..., Gateway],
                                                             stub: SecretManagerStub, clean_sandbox: Sandbox,
                                                             outputs: list[str]) -> None:
    app = gateway(GATEWAY_API_KEYS_SECRET="", GATEWAY_API_KEYS=CALLER)
    stub.outage = "503"
    response = call(app, outputs, purchase("down"))
    assert response.status_code == 503
    assert response.json == {"status": "failed", "error": "token unavailable"}
    assert sandbox_calls(clean_sandbox) == 0


def test_secret_manager_down_with_a_cached_token_keeps_serving(gateway: Callable[..., Gateway],
                                                               stub: SecretManagerStub,
                                                               capsys: pytest.CaptureFixture[str],
                                                               outputs: list[str]) -> None:
    app = gateway(PINTEREST_TOKEN_TTL_S="0.000001")  # every request finds the cached secrets expired
    assert call(app, outputs, purchase("before")).status_code == 200
    stub.outage = "drop"
    response = call(app, outputs, purchase("during"))
    assert response.status_code == 200, response.get_data(as_text=True)
    expected = {f"{TOKEN_SECRET}/versions/latest", f"{KEYS_SECRET}/versions/latest"}
    warnings: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10  # a read the request stopped waiting for warns when it ends
    while {w["secret"] for w in warnings} != expected and time.monotonic() < deadline:
        written = capsys.readouterr().out
        outputs.append(written)
        warnings += [json.loads(line) for line in written.splitlines()
                     if line.startswith("{") and "secret read failed" in line]
        time.sleep(0.01)
    assert {w["secret"] for w in warnings} == expected
    assert all(w["severity"] == "WARNING" for w in warnings)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no key"),
        pytest.param({"Authorization": "Bearer not-the-key"}, id="a wrong bearer key"),
        pytest.param({"X-Api-Key": ""}, id="an empty X-Api-Key"),
    ],
)
def test_a_caller_without_a_valid_key_gets_a_401_and_nothing_is_read(
        gateway: Callable[..., Gateway], stub: SecretManagerStub, clean_sandbox: Sandbox,
        capsys: pytest.CaptureFixture[str], outputs: list[str], headers: dict[str, str]) -> None:
    app = gateway()
    response = call(app, outputs, None, headers={**headers, "X-Debug": "true"}, raw=b"{not json")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="pinterest_capi"'
    assert response.json["status"] == "invalid"
    assert "API key" in response.json["error"]
    assert stub.count(TOKEN_SECRET) == 0
    assert sandbox_calls(clean_sandbox) == 0
    written = capsys.readouterr().out
    outputs.append(written)
    lines = [json.loads(line) for line in written.splitlines() if line.startswith("{")]
    assert [line["message"] for line in lines] == ["request refused"]
    assert "not-the-key" not in json.dumps(lines)


@pytest.mark.parametrize(
    ("word", "logged"),
    [
        pytest.param("true", True, id="true"),
        pytest.param(" ON ", True, id="on, as PINTEREST_TEST_MODE reads it"),
        pytest.param("yes", True, id="yes"),
        pytest.param("off", False, id="off"),
        pytest.param("0", False, id="0"),
        pytest.param("maybe", False, id="a word that is no switch"),
    ],
)
def test_x_debug_reads_the_switch_words_the_settings_read(
        gateway: Callable[..., Gateway], capsys: pytest.CaptureFixture[str], outputs: list[str], word: str,
        logged: bool) -> None:
    app = gateway(LOG_CONSOLE="debug")
    capsys.readouterr()
    response = call(app, outputs, None, headers={"Authorization": f"Bearer {CALLER}", "X-Debug": word},
                    raw=b"{not json")
    assert response.status_code == 400
    written = capsys.readouterr().out
    outputs.append(written)
    lines = [json.loads(line) for line in written.splitlines() if line.startswith("{")]
    assert [line["message"] for line in lines] == (["request refused"] if logged else [])


def test_an_x_api_key_is_accepted(gateway: Callable[..., Gateway], outputs: list[str]) -> None:
    response = call(gateway(), outputs, purchase("x-api-key"), headers={"X-Api-Key": CALLER})
    assert response.status_code == 200


def test_without_any_key_configured_the_function_refuses_to_serve(gateway: Callable[..., Gateway],
                                                                  outputs: list[str]) -> None:
    response = call(gateway(GATEWAY_API_KEYS_SECRET=""), outputs, purchase("unconfigured"))
    assert response.status_code == 503
    assert response.json["status"] == "failed"
    assert "GATEWAY_API_KEYS_SECRET" in response.json["error"]


def test_gateway_auth_none_serves_without_a_key(gateway: Callable[..., Gateway], outputs: list[str]) -> None:
    response = call(gateway(GATEWAY_API_KEYS_SECRET="", GATEWAY_AUTH="none"), outputs, purchase("open"),
                    headers={})
    assert response.status_code == 200


def test_events_are_sent_per_ad_account(gateway: Callable[..., Gateway], clean_sandbox: Sandbox,
                                        outputs: list[str]) -> None:
    events = [purchase("a-1"), purchase("b-1", ad_account_id=OTHER_ACCOUNT), purchase("a-2")]
    response = call(gateway(), outputs, events)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert sandbox_calls(clean_sandbox) == 2
    assert sorted(recorded_accounts(clean_sandbox)) == sorted([AD_ACCOUNT, AD_ACCOUNT, OTHER_ACCOUNT])


def test_one_token_secret_per_ad_account(gateway: Callable[..., Gateway], stub: SecretManagerStub,
                                         clean_sandbox: Sandbox, outputs: list[str]) -> None:
    for account in (AD_ACCOUNT, OTHER_ACCOUNT):
        stub.add_version(f"projects/demo/secrets/token-{account}", SANDBOX_TOKEN)
    app = gateway(PINTEREST_ACCESS_TOKEN_SECRET="projects/demo/secrets/token-{ad_account_id}")
    response = call(app, outputs, [purchase("a-1"), purchase("b-1", ad_account_id=OTHER_ACCOUNT)])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert stub.count(f"projects/demo/secrets/token-{AD_ACCOUNT}") == 1
    assert stub.count(f"projects/demo/secrets/token-{OTHER_ACCOUNT}") == 1


def test_an_account_outside_the_allowlist_is_a_403(gateway: Callable[..., Gateway], clean_sandbox: Sandbox,
                                                   outputs: list[str]) -> None:
    response = call(gateway(), outputs, purchase("x-1", ad_account_id=UNLISTED_ACCOUNT))
    assert response.status_code == 403
    assert response.json["status"] == "invalid"
    assert "PINTEREST_AD_ACCOUNT_IDS" in response.json["events"][0]["error"]
    assert sandbox_calls(clean_sandbox) == 0


def test_an_account_that_is_not_digits_is_a_400_and_never_reaches_a_url(
        gateway: Callable[..., Gateway], clean_sandbox: Sandbox, outputs: list[str]) -> None:
    response = call(gateway(), outputs, purchase("x-2", ad_account_id="549/../../v5/users"))
    assert response.status_code == 400
    assert response.json["events"][0]["error"].startswith("pinterest.ad_account_id must be digits only")
    assert sandbox_calls(clean_sandbox) == 0


def test_the_real_server_reads_token_and_caller_keys_from_secret_manager(
        stub: SecretManagerStub, clean_sandbox: Sandbox, tmp_path: Path) -> None:
    server = start_function({
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT,
        "PINTEREST_ACCESS_TOKEN_SECRET": TOKEN_SECRET,
        "GATEWAY_API_KEYS_SECRET": KEYS_SECRET,
        "GATEWAY_API_KEYS": "",
        "SECRET_MANAGER_API_ENDPOINT": stub.endpoint,
        "PINTEREST_API_URL": clean_sandbox.url,
        "LOG_CONSOLE": "always",
    }, tmp_path / "server.log")
    server.api_key = CALLER
    try:
        response = server.post(purchase("e2e-secret"))
        assert response.status_code == 200, response.text
        assert recorded_accounts(clean_sandbox) == [AD_ACCOUNT]
        refused = server.post(purchase("e2e-refused"), headers={"Authorization": "Bearer wrong"})
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == 'Bearer realm="pinterest_capi"'
        assert stub.count(TOKEN_SECRET) == 1
        assert stub.count(KEYS_SECRET) == 1
        texts = [response.text, refused.text, json.dumps(dict(response.headers))]
    finally:
        stop_process(server.process)
    for text in [*texts, server.log_text()]:
        assert SANDBOX_TOKEN not in text


# Outages the real client meets: an error answer, no answer at all, and nothing listening.
OUTAGE_KINDS = ("503", "hang", "refused")
# The promises of README's "Secrets and caller authentication", with room for a loaded machine: a warm
# instance waits at most 0.2 s per secret for Secret Manager, a cold one 1 s (after the client's
# start-up) before its 503, and requests are served again about 1 s after Secret Manager answers.
WARM_BOUND_S = 1.0
COLD_BOUND_S = 2.5
RECOVERY_BOUND_S = 2.5
ROTATED_CALLER = "caller-key-rotated-91d0"


def secret_server(stub: SecretManagerStub, sandbox: Sandbox, log_path: Path, **env: str) -> FunctionServer:
    """The real server reading token and keys through the real client (its default retries) from the stub."""
    server = start_function({
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT,
        "PINTEREST_ACCESS_TOKEN_SECRET": TOKEN_SECRET,
        "GATEWAY_API_KEYS_SECRET": KEYS_SECRET,
        "GATEWAY_API_KEYS": "",
        "SECRET_MANAGER_API_ENDPOINT": stub.endpoint,
        "PINTEREST_API_URL": sandbox.url,
        "LOG_CONSOLE": "always",
        **env,
    }, log_path)
    server.api_key = CALLER
    return server


def timed_post(server: FunctionServer, event_id: str, **kwargs: object) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = server.post(purchase(event_id), **kwargs)
    return response, time.monotonic() - started


def first_success_after(server: FunctionServer, since: float, **kwargs: object) -> float:
    """Seconds from `since` until a request is served, polling; infinity past RECOVERY_BOUND_S."""
    while time.monotonic() - since < RECOVERY_BOUND_S:
        if server.post(purchase("after-the-outage"), **kwargs).status_code == 200:
            return time.monotonic() - since
        time.sleep(0.05)
    return math.inf


@pytest.mark.parametrize("kind", OUTAGE_KINDS)
def test_during_an_outage_a_warm_instance_serves_its_last_values_without_waiting(
        kind: str, stub: SecretManagerStub, clean_sandbox: Sandbox, tmp_path: Path) -> None:
    """Every request of 4 s of outage (8 TTLs) is answered at once, and a key rotated meanwhile works
    about 1 s after Secret Manager is back."""
    server = secret_server(stub, clean_sandbox, tmp_path / "server.log", PINTEREST_TOKEN_TTL_S="0.5")
    try:
        assert server.post(purchase("warm")).status_code == 200
        stub.outage = kind
        latencies: list[float] = []
        end = time.monotonic() + 4.0
        while time.monotonic() < end:
            response, elapsed = timed_post(server, f"during-{len(latencies)}")
            assert response.status_code == 200, response.text
            latencies.append(elapsed)
        stub.add_version(KEYS_SECRET, f"{CALLER}\n{ROTATED_CALLER}\n")
        stub.outage = None
        recovered_s = first_success_after(server, time.monotonic(),
                                          headers={"Authorization": f"Bearer {ROTATED_CALLER}"})
    finally:
        stub.outage = None
        stop_process(server.process)
    assert max(latencies) < WARM_BOUND_S, f"slowest of {len(latencies)}: {max(latencies):.2f} s"
    failed = {json.loads(line)["secret"] for line in server.log_text().splitlines()
              if line.startswith("{") and "secret read failed" in line}
    assert failed == {f"{TOKEN_SECRET}/versions/latest", f"{KEYS_SECRET}/versions/latest"}
    assert recovered_s < RECOVERY_BOUND_S


@pytest.mark.parametrize("kind", OUTAGE_KINDS)
@pytest.mark.parametrize("keys", ["secret", "variable"])
def test_a_cold_instance_answers_503_promptly_and_serves_once_secret_manager_is_back(
        kind: str, keys: str, stub: SecretManagerStub, clean_sandbox: Sandbox, tmp_path: Path) -> None:
    """Keys from the secret: the keys read is the one that fails; from the variable: the token read."""
    stub.outage = kind
    env = {"GATEWAY_API_KEYS_SECRET": "", "GATEWAY_API_KEYS": CALLER} if keys == "variable" else {}
    server = secret_server(stub, clean_sandbox, tmp_path / "server.log", **env)
    try:
        answers = [timed_post(server, f"cold-{index}") for index in range(3)]
        stub.outage = None
        recovered_s = first_success_after(server, time.monotonic())
    finally:
        stub.outage = None
        stop_process(server.process)
    expected = "caller API keys unavailable" if keys == "secret" else "token unavailable"
    assert [(response.status_code, response.json()["error"]) for response, _ in answers] == \
        [(503, expected)] * 3
    assert max(elapsed for _, elapsed in answers) < COLD_BOUND_S, [round(e, 2) for _, e in answers]
    assert recovered_s < RECOVERY_BOUND_S


def test_no_token_for_a_later_account_fails_its_events_only_the_sent_ones_are_answered_sent(
        gateway: Callable[..., Gateway], stub: SecretManagerStub, clean_sandbox: Sandbox,
        outputs: list[str]) -> None:
    """A 503 for the whole request would have the caller send a-1 again, which Pinterest already has."""
    stub.add_version(f"projects/demo/secrets/token-{AD_ACCOUNT}", SANDBOX_TOKEN)  # none for OTHER_ACCOUNT
    app = gateway(PINTEREST_ACCESS_TOKEN_SECRET="projects/demo/secrets/token-{ad_account_id}")
    response = call(app, outputs, [purchase("a-1"), purchase("b-1", ad_account_id=OTHER_ACCOUNT)])
    assert response.status_code == 207, response.get_data(as_text=True)
    events = {e["event_id"]: e for e in response.json["events"]}
    assert (events["a-1"]["status"], events["b-1"]["status"]) == ("sent", "failed")
    assert events["b-1"]["error"] == "token unavailable"
    assert recorded_accounts(clean_sandbox) == [AD_ACCOUNT]
