"""The Pinterest token from Secret Manager (real client, local stand-in) and the choice of token source."""

from __future__ import annotations

import io
import json
import threading
import time

import pytest

from function.app import token_provider
from function.credentials.cache import COLD_WAIT_S, MAX_STALE_S
from function.credentials.secret_manager import SecretManager
from function.credentials.tokens import SecretManagerToken, StaticToken, TokenUnavailable
from function.logs.console import ConsoleLog
from function.settings import Settings
from tests.doubles import Clock, settings
from tests.processes import wait_until
from tests.secret_manager_stub import SecretManagerStub

SECRET = "projects/demo/secrets/pinterest-token"
LATEST = SECRET + "/versions/latest"
ACCOUNT = "549000000001"
CANARY = "pina_CANARY_token_4c1e"
TTL = 300.0


def provider(stub: SecretManagerStub, clock: Clock | None = None,
             name: str = LATEST) -> tuple[SecretManagerToken, io.StringIO]:
    stream = io.StringIO()
    tokens = SecretManagerToken(SecretManager(stub.endpoint, retry_budget_s=0), name, TTL,
                                ConsoleLog("no", stream=stream), clock=clock or Clock(50.0))
    return tokens, stream


def test_one_secret_manager_call_serves_100_concurrent_cold_requests(
        secret_stub: SecretManagerStub, waiting: list[int]) -> None:
    secret_stub.add_version(SECRET, CANARY)
    tokens, _ = provider(secret_stub)
    got: list[str] = []
    secret_stub.gate.clear()
    threads = [threading.Thread(target=lambda: got.append(tokens.get(ACCOUNT))) for _ in range(100)]
    for thread in threads:
        thread.start()
    assert wait_until(lambda: len(secret_stub.calls) == 1 and len(waiting) >= 99)
    secret_stub.gate.set()
    for thread in threads:
        thread.join(10)
    assert got == [CANARY] * 100
    assert secret_stub.calls == [LATEST]


def test_the_token_is_read_again_after_its_ttl_and_picks_up_a_rotation(
        secret_stub: SecretManagerStub) -> None:
    clock = Clock(50.0)
    secret_stub.add_version(SECRET, "token-v1\n")
    tokens, _ = provider(secret_stub, clock)
    assert tokens.get(ACCOUNT) == "token-v1"
    secret_stub.add_version(SECRET, "token-v2")
    clock.now += TTL - 0.001
    assert tokens.get(ACCOUNT) == "token-v1"
    assert secret_stub.count(SECRET) == 1
    clock.now += 0.001
    assert tokens.get(ACCOUNT) == "token-v2"
    assert secret_stub.count(SECRET) == 2


def test_refresh_reads_the_secret_again_at_once(secret_stub: SecretManagerStub) -> None:
    secret_stub.add_version(SECRET, "token-v1")
    tokens, _ = provider(secret_stub)
    tokens.get(ACCOUNT)
    secret_stub.add_version(SECRET, "token-v2")
    assert tokens.refresh(ACCOUNT) == "token-v2"
    assert tokens.get(ACCOUNT) == "token-v2"
    assert secret_stub.count(SECRET) == 2


@pytest.mark.parametrize("outage", ["503", "drop"])
def test_an_outage_keeps_serving_the_cached_token_with_a_warning(
        secret_stub: SecretManagerStub, outage: str) -> None:
    clock = Clock(50.0)
    secret_stub.add_version(SECRET, CANARY)
    tokens, stream = provider(secret_stub, clock)
    tokens.get(ACCOUNT)
    secret_stub.outage = outage
    clock.now += TTL + 1
    assert tokens.get(ACCOUNT) == CANARY
    assert wait_until(lambda: stream.getvalue() != "")  # the read may end after the request stopped waiting
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["severity"] == "WARNING"
    assert line["secret"] == LATEST
    assert CANARY not in stream.getvalue()
    clock.now += MAX_STALE_S
    with pytest.raises(TokenUnavailable) as caught:
        tokens.get(ACCOUNT)
    assert CANARY not in str(caught.value)


def test_while_secret_manager_hangs_the_cached_token_is_served_at_once_and_replaced_when_it_answers(
        secret_stub: SecretManagerStub) -> None:
    clock = Clock(50.0)
    secret_stub.add_version(SECRET, CANARY)
    tokens, _ = provider(secret_stub, clock)
    tokens.get(ACCOUNT)
    secret_stub.outage = "hang"
    secret_stub.add_version(SECRET, "rotated-token")
    clock.now += TTL + 1
    started = time.monotonic()
    assert [tokens.get(ACCOUNT) for _ in range(20)] == [CANARY] * 20
    assert time.monotonic() - started < 1.0  # the first call waits 0.2 s, the others not at all
    secret_stub.outage = None
    assert wait_until(lambda: tokens.get(ACCOUNT) == "rotated-token", timeout_s=2.5)


def test_while_secret_manager_hangs_a_first_read_gives_up_after_the_cold_wait(
        secret_stub: SecretManagerStub) -> None:
    secret_stub.add_version(SECRET, CANARY)
    secret_stub.outage = "hang"
    tokens, _ = provider(secret_stub)
    started = time.monotonic()
    with pytest.raises(TokenUnavailable, match="did not answer within"):
        tokens.get(ACCOUNT)
    assert time.monotonic() - started < COLD_WAIT_S + 1.0


def test_an_outage_without_a_cached_token_is_token_unavailable(secret_stub: SecretManagerStub) -> None:
    secret_stub.add_version(SECRET, CANARY)
    secret_stub.outage = "503"
    tokens, stream = provider(secret_stub)
    with pytest.raises(TokenUnavailable) as caught:
        tokens.get(ACCOUNT)
    assert str(caught.value) == f"{LATEST}: Secret Manager unreachable"
    assert caught.value.__cause__ is None
    assert "unreachable" in stream.getvalue()


@pytest.mark.parametrize(
    ("prepare", "reason"),
    [
        pytest.param(lambda stub: None, "not found", id="a missing secret"),
        pytest.param(lambda stub: stub.denied.add(SECRET), "permission denied",
                     id="a secret we may not read"),
        pytest.param(lambda stub: stub.add_version(SECRET, " \n"), "the secret is empty",
                     id="an empty secret"),
    ],
)
def test_a_secret_that_cannot_give_a_token_names_the_secret(secret_stub: SecretManagerStub, prepare: object,
                                                           reason: str) -> None:
    if reason == "permission denied":
        secret_stub.add_version(SECRET, CANARY)
    prepare(secret_stub)  # type: ignore[operator]
    tokens, _ = provider(secret_stub)
    with pytest.raises(TokenUnavailable, match=reason) as caught:
        tokens.get(ACCOUNT)
    assert LATEST in str(caught.value)
    assert CANARY not in str(caught.value)


def test_one_secret_per_ad_account(secret_stub: SecretManagerStub) -> None:
    secret_stub.add_version("projects/demo/secrets/token-111", "token-for-111")
    secret_stub.add_version("projects/demo/secrets/token-222", "token-for-222")
    tokens, _ = provider(secret_stub, name="projects/demo/secrets/token-{ad_account_id}/versions/latest")
    assert tokens.get("111") == "token-for-111"
    assert tokens.get("222") == "token-for-222"
    assert tokens.get("111") == "token-for-111"
    assert len(secret_stub.calls) == 2
    with pytest.raises(TokenUnavailable, match="token-333/versions/latest: not found"):
        tokens.get("333")


def test_repr_hides_the_token(secret_stub: SecretManagerStub) -> None:
    secret_stub.add_version(SECRET, CANARY)
    tokens, _ = provider(secret_stub)
    tokens.get(ACCOUNT)
    assert CANARY not in repr(tokens)


def chosen(found: Settings) -> tuple[object, str]:
    stream = io.StringIO()
    return token_provider(found, SecretManager("http://127.0.0.1:9"), ConsoleLog("no", stream=stream)), \
        stream.getvalue()


def test_the_secret_wins_over_the_plain_variable() -> None:
    tokens, log = chosen(settings(PINTEREST_ACCESS_TOKEN=CANARY, PINTEREST_ACCESS_TOKEN_SECRET=SECRET,
                                  K_SERVICE="pinterest-capi"))
    assert isinstance(tokens, SecretManagerToken)
    assert log == ""


def test_the_plain_variable_on_the_platform_draws_a_start_up_warning() -> None:
    tokens, log = chosen(settings(PINTEREST_ACCESS_TOKEN=CANARY, K_SERVICE="pinterest-capi"))
    assert isinstance(tokens, StaticToken)
    [line] = [json.loads(text) for text in log.splitlines()]
    assert line["severity"] == "WARNING"
    assert "PINTEREST_ACCESS_TOKEN_SECRET" in line["message"]
    assert CANARY not in log


def test_the_plain_variable_off_the_platform_is_quiet() -> None:
    tokens, log = chosen(settings(PINTEREST_ACCESS_TOKEN=CANARY))
    assert isinstance(tokens, StaticToken)
    assert log == ""
