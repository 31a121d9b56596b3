"""The Pinterest client: what it reads from the environment, and when."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from function.delivery import pinterest
from function.delivery.pinterest import PinterestClient
from function.sandbox.server import Sandbox
from tests.doubles import Seen, recording_server
from tests.processes import SANDBOX_TOKEN

TOKEN = SANDBOX_TOKEN
ACCOUNT = "549000000001"
EVENT = {"event_name": "lead", "action_source": "web", "event_time": int(time.time()), "event_id": "e-1",
         "user_data": {"em": ["b" * 64]}}
# Every variable requests consults besides netrc; each test starts without them.
_ENVIRONMENT = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
Recording = tuple[str, Seen]  # its base URL, and what it saw


@pytest.fixture(autouse=True)
def _no_proxy_or_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def recording() -> Iterator[Recording]:
    with recording_server() as running:
        yield running


def test_a_call_carries_the_session_headers_ours_the_flag_and_earlier_cookies(recording: Recording) -> None:
    url, seen = recording
    client = PinterestClient(f"{url}/v5", 5.0)
    for test in (True, False):
        assert client.send(ACCOUNT, [EVENT], test=test, token=TOKEN).status_code == 200
    (first_path, first, body), (second_path, second, _) = seen
    assert (first_path, second_path) == (f"/v5/ad_accounts/{ACCOUNT}/events?test=true",
                                         f"/v5/ad_accounts/{ACCOUNT}/events")
    assert [name for name, _ in first] == ["Host", "User-Agent", "Accept-Encoding", "Accept", "Connection",
                                           "Authorization", "Content-Type", "Content-Length"]
    headers = dict(first)
    assert headers["User-Agent"] == f"python-requests/{requests.__version__}"
    assert (headers["Authorization"], headers["Content-Type"]) == (f"Bearer {TOKEN}", "application/json")
    assert json.loads(body) == {"data": [EVENT]}
    assert ("Cookie", "session=1") in second


def test_a_call_does_not_merge_the_session_settings_again(clean_sandbox: Sandbox,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # merging auth, params, hooks we never set was a fifth of a call's CPU
    client = PinterestClient(clean_sandbox.url, 5.0)

    def merged(*args: object, **kwargs: object) -> None:
        raise AssertionError("session settings merged during a call")

    monkeypatch.setattr(requests.sessions, "merge_setting", merged)
    assert client.send(ACCOUNT, [EVENT], test=True, token=TOKEN).status_code == 200


def test_an_egress_proxy_set_at_start_carries_every_call(recording: Recording,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    proxy_url, seen = recording
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    client = PinterestClient("http://pinterest.invalid/v5", 5.0)
    for _ in range(2):
        answer = client.send(ACCOUNT, [EVENT], test=False, token=TOKEN)
        assert answer.status_code == 200
    assert [path for path, _, _ in seen] == [f"http://pinterest.invalid/v5/ad_accounts/{ACCOUNT}/events"] * 2


def test_no_proxy_for_the_host_sends_directly(clean_sandbox: Sandbox, recording: Recording,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    proxy_url, seen = recording
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    answer = PinterestClient(clean_sandbox.url, 5.0).send(ACCOUNT, [EVENT], test=False, token=TOKEN)
    assert (answer.status_code, seen, clean_sandbox.recorder.stats()["calls"]) == (200, [], 1)


def test_a_ca_bundle_named_at_start_verifies_the_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/bundle.pem")
    assert pinterest._pooled_session("https://api.pinterest.com/v5", 2).verify == "/etc/ssl/bundle.pem"
    monkeypatch.delenv("CURL_CA_BUNDLE")
    assert pinterest._pooled_session("https://api.pinterest.com/v5", 2).verify is True


def test_calls_do_not_read_the_environment_again(clean_sandbox: Sandbox,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # requests' per-call proxy and netrc lookups were a quarter of a call's CPU
    client = PinterestClient(clean_sandbox.url, 5.0)

    def looked_up(*args: object, **kwargs: object) -> None:
        raise AssertionError("the environment was read during a call")

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", looked_up)
    monkeypatch.setattr(requests.sessions, "get_netrc_auth", looked_up)
    monkeypatch.setattr(requests.sessions, "resolve_proxies", looked_up)
    assert client.send(ACCOUNT, [EVENT], test=True, token=TOKEN).status_code == 200


def test_a_netrc_entry_for_the_host_does_not_replace_the_token(clean_sandbox: Sandbox, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password other\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    answer = PinterestClient(clean_sandbox.url, 5.0).send(ACCOUNT, [EVENT], test=False, token=TOKEN)
    assert answer.status_code == 200


@pytest.mark.parametrize("account", [
    "549000000001/../../../other/endpoint?x=", "549000000001@evil.example", "549 1", "1" * 19, "",
    "\u0665\u0664\u0669",  # Arabic-Indic digits: digits to str.isdigit, not to a URL
])
def test_the_client_sends_nothing_to_an_account_that_is_not_1_to_18_digits(recording: Recording,
                                                                            account: str) -> None:
    url, seen = recording
    with pytest.raises(ValueError, match="1-18 digits"):
        PinterestClient(f"{url}/v5", 5.0).send(account, [EVENT], test=False, token=TOKEN)
    assert seen == []


def test_a_call_ends_by_its_deadline_when_the_connect_is_never_answered(unanswered_connect: str) -> None:
    client = PinterestClient(unanswered_connect, timeout_s=10)
    started = time.monotonic()
    with pytest.raises(pinterest.PinterestUnavailable):
        client.send(ACCOUNT, [EVENT], test=False, token=TOKEN, within_s=1.0)
    # The connect alone may take 3 s; within 1 s the call must give up (generous slack for a busy host).
    assert time.monotonic() - started < 2.5
