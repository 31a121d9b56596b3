"""Caller authentication: which header carries the key, constant-time comparison, modes and rotation."""

from __future__ import annotations

import hmac
import io

import pytest

from function.app import caller_check
from function.credentials import callers
from function.credentials.callers import ApiKeys, NotConfigured, PlatformChecked, Unconfigured
from function.credentials.secret_manager import SecretError, SecretManager
from function.errors import ConfigError, Unauthorized
from function.logs.console import ConsoleLog
from function.settings import Settings
from tests.doubles import Clock, settings
from tests.secret_manager_stub import SecretManagerStub

KEYS_SECRET = "projects/demo/secrets/gateway-keys"
TTL = 300.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"Authorization": "Bearer k-1"}, "k-1", id="a bearer key"),
        pytest.param({"Authorization": "bearer   k-1  "}, "k-1", id="the scheme is case-insensitive"),
        pytest.param({"X-Api-Key": " k-2 "}, "k-2", id="an X-Api-Key header"),
        pytest.param({"Authorization": "Basic dXNlcg==", "X-Api-Key": "k-2"}, "k-2",
                     id="another scheme leaves the X-Api-Key"),
        pytest.param({"Authorization": "Bearer ", "X-Api-Key": "k-2"}, "k-2",
                     id="an empty bearer leaves the X-Api-Key"),
        pytest.param({"Authorization": "Bearer k-1", "X-Api-Key": "k-2"}, "k-1", id="the bearer key wins"),
        pytest.param({}, "", id="no header, no key"),
        pytest.param({"Authorization": "Bearer"}, "", id="a scheme without a key is no key"),
    ],
)
def test_presented_key(headers: dict[str, str], expected: str) -> None:
    assert callers.presented_key(headers) == expected


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Every hmac.compare_digest call the module makes."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(callers.hmac, "compare_digest", counting)
    return calls


@pytest.mark.parametrize(
    ("presented", "expected"),
    [
        pytest.param("key-one", True, id="the first key matches and the others are still compared"),
        pytest.param("key-three", True, id="the last key matches"),
        pytest.param("key-four", False, id="no key matches"),
        pytest.param("key-on", False, id="a prefix of a key does not match"),
    ],
)
def test_every_key_is_compared_with_compare_digest(comparisons: list[tuple[bytes, bytes]], presented: str,
                                                   expected: bool) -> None:
    keys = ("key-one", "key-two", "key-three")
    assert callers.matches(presented, keys) is expected
    assert len(comparisons) == len(keys)
    assert [b for _, b in comparisons] == [k.encode() for k in keys]


def keys_check(*keys: str) -> ApiKeys:
    return ApiKeys(lambda: keys)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="a missing key"),
        pytest.param({"Authorization": "Bearer wrong"}, id="a wrong bearer key"),
        pytest.param({"X-Api-Key": "wrong"}, id="a wrong X-Api-Key"),
        pytest.param({"X-Api-Key": ""}, id="an empty X-Api-Key"),
        pytest.param({"Authorization": "Bearer   "}, id="an empty bearer key"),
        pytest.param({"Authorization": "good-key"}, id="a key without the Bearer scheme"),
    ],
)
def test_a_missing_wrong_or_empty_key_is_a_401_with_www_authenticate(headers: dict[str, str]) -> None:
    with pytest.raises(Unauthorized) as caught:
        keys_check("good-key").check(headers)
    assert caught.value.status == 401
    assert caught.value.headers == {"WWW-Authenticate": 'Bearer realm="pinterest_capi"'}
    assert "good-key" not in str(caught.value)
    assert "wrong" not in str(caught.value)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Authorization": "Bearer good-key"}, id="as a bearer key"),
        pytest.param({"X-Api-Key": "good-key"}, id="as an X-Api-Key"),
    ],
)
def test_a_configured_key_is_accepted(headers: dict[str, str]) -> None:
    keys_check("other-key", "good-key").check(headers)


def test_keys_are_not_loaded_for_a_request_without_a_key() -> None:
    def load() -> tuple[str, ...]:
        raise AssertionError("no key was presented; nothing should be read")

    with pytest.raises(Unauthorized):
        ApiKeys(load).check({})


def check_for(found: Settings, stub: SecretManagerStub | None = None,
              clock: object = None) -> callers.CallerCheck:
    secrets = SecretManager(stub.endpoint if stub else "http://127.0.0.1:9", retry_budget_s=0)
    extra = {"clock": clock} if clock else {}
    return caller_check(found, secrets, ConsoleLog("no", stream=io.StringIO()), **extra)  # type: ignore[arg-type]


def test_without_any_key_every_request_is_a_503_naming_the_settings() -> None:
    check = check_for(settings())
    assert isinstance(check, Unconfigured)
    with pytest.raises(NotConfigured) as caught:
        check.check({"Authorization": "Bearer anything"})
    assert caught.value.status == 503
    for name in ("GATEWAY_API_KEYS_SECRET", "GATEWAY_API_KEYS", "GATEWAY_AUTH"):
        assert name in str(caught.value)


@pytest.mark.parametrize("mode", ["none", "iam", "NONE"])
def test_gateway_auth_none_or_iam_lets_every_request_through(mode: str) -> None:
    check = check_for(settings(GATEWAY_AUTH=mode))
    assert isinstance(check, PlatformChecked)
    check.check({})


@pytest.mark.parametrize(
    ("env", "warned"),
    [
        pytest.param({"GATEWAY_AUTH": "none", "K_SERVICE": "capi"}, True, id="none on the platform warns"),
        pytest.param({"GATEWAY_AUTH": "none"}, False, id="none locally is quiet"),
        pytest.param({"GATEWAY_AUTH": "iam", "K_SERVICE": "capi"}, False, id="iam: not this one"),
    ],
)
def test_running_deployed_without_any_check_draws_a_start_up_warning(env: dict[str, str],
                                                                     warned: bool) -> None:
    stream = io.StringIO()
    caller_check(settings(**env), SecretManager("http://127.0.0.1:9"), ConsoleLog("no", stream=stream))
    assert ("GATEWAY_AUTH=none on a deployed function" in stream.getvalue()) is warned


def test_local_keys_come_from_the_comma_separated_variable() -> None:
    check = check_for(settings(GATEWAY_API_KEYS=" local-key-a-0123456 , local-key-b-0123456 ,"))
    check.check({"X-Api-Key": "local-key-b-0123456"})
    with pytest.raises(Unauthorized):
        check.check({"X-Api-Key": "local-key-c-0123456"})


def test_the_keys_secret_wins_over_the_variable(secret_stub: SecretManagerStub) -> None:
    secret_stub.add_version(KEYS_SECRET, "secret-key-0123456\n")
    found = settings(GATEWAY_API_KEYS_SECRET=KEYS_SECRET, GATEWAY_API_KEYS="local-key-0123456")
    check = check_for(found, secret_stub)
    check.check({"Authorization": "Bearer secret-key-0123456"})
    with pytest.raises(Unauthorized):
        check.check({"Authorization": "Bearer local-key-0123456"})


def test_key_rotation_adds_the_new_key_then_drops_the_old_one_after_the_ttl(
        secret_stub: SecretManagerStub) -> None:
    clock = Clock()
    secret_stub.add_version(KEYS_SECRET, "key-old-0123456789\n")
    check = check_for(settings(GATEWAY_API_KEYS_SECRET=KEYS_SECRET), secret_stub, clock)
    old, new = {"Authorization": "Bearer key-old-0123456789"}, {"X-Api-Key": "key-new-0123456789"}
    check.check(old)
    secret_stub.add_version(KEYS_SECRET, "key-old-0123456789\n\n  key-new-0123456789  \n")
    with pytest.raises(Unauthorized):
        check.check(new)  # not yet: the old payload is cached
    clock.now += TTL
    check.check(new)
    check.check(old)
    secret_stub.add_version(KEYS_SECRET, "key-new-0123456789\n")
    clock.now += TTL
    check.check(new)
    with pytest.raises(Unauthorized):
        check.check(old)
    assert secret_stub.count(KEYS_SECRET) == 3


def test_keys_unavailable_without_a_cached_copy_raise_a_secret_error(secret_stub: SecretManagerStub) -> None:
    secret_stub.add_version(KEYS_SECRET, "key-0123456789abcdef")
    secret_stub.outage = "503"
    check = check_for(settings(GATEWAY_API_KEYS_SECRET=KEYS_SECRET), secret_stub)
    with pytest.raises(SecretError):
        check.check({"X-Api-Key": "key-0123456789abcdef"})


def test_a_keys_secret_without_any_key_raises_a_secret_error(secret_stub: SecretManagerStub) -> None:
    secret_stub.add_version(KEYS_SECRET, "\n \n")
    check = check_for(settings(GATEWAY_API_KEYS_SECRET=KEYS_SECRET), secret_stub)
    with pytest.raises(SecretError, match="holds no API key"):
        check.check({"X-Api-Key": "key"})


def test_repr_hides_the_keys() -> None:
    assert "good-key" not in repr(keys_check("good-key"))
    assert "local-key-a-0123456" not in repr(settings(GATEWAY_API_KEYS="local-key-a-0123456"))


def test_iam_on_a_deployed_instance_warns_that_the_function_checks_nobody_itself() -> None:
    stream = io.StringIO()
    caller_check(settings(GATEWAY_AUTH="iam", K_SERVICE="capi"), SecretManager("http://127.0.0.1:9"),
                 ConsoleLog("no", stream=stream))
    assert "GATEWAY_AUTH=iam: the function checks no caller itself" in stream.getvalue()
    quiet = io.StringIO()
    caller_check(settings(GATEWAY_AUTH="iam"), SecretManager("http://127.0.0.1:9"),
                 ConsoleLog("no", stream=quiet))
    assert quiet.getvalue() == ""


@pytest.mark.parametrize(
    ("keys", "rule"),
    [
        pytest.param("short-key", "key 1 is shorter than 16 characters", id="a short key"),
        pytest.param("long-enough-key-0001,x", "key 2 is shorter than 16 characters",
                     id="one short key of two"),
        pytest.param("clé-très-longue-0001", "key 1 must be visible ASCII", id="a non-ASCII key"),
        pytest.param("long-enough-key-0001\u00a0", "key 1 must be visible ASCII", id="a no-break space kept"),
        pytest.param("long enough key 0001", "key 1 must be visible ASCII", id="an inner space"),
    ],
)
def test_a_configured_key_that_could_not_work_or_be_guessed_stops_the_start_up(keys: str, rule: str) -> None:
    with pytest.raises(ConfigError, match="GATEWAY_API_KEYS") as caught:
        settings(GATEWAY_API_KEYS=keys)
    assert rule in str(caught.value)
    assert keys.split(",")[0] not in str(caught.value)


def test_a_keys_secret_with_a_short_key_is_refused_like_an_unreadable_one(
        secret_stub: SecretManagerStub) -> None:
    secret_stub.add_version(KEYS_SECRET, "long-enough-key-0001\nshort\n")
    check = check_for(settings(GATEWAY_API_KEYS_SECRET=KEYS_SECRET), secret_stub)
    with pytest.raises(SecretError):
        check.check({"X-Api-Key": "long-enough-key-0001"})


def test_only_ascii_whitespace_is_trimmed_from_a_presented_key() -> None:
    key = "long-enough-key-0001"
    check = keys_check(key)
    check.check({"X-Api-Key": f" \t{key}\t "})
    with pytest.raises(Unauthorized):
        check.check({"X-Api-Key": key + "\u00a0"})
    with pytest.raises(Unauthorized):
        check.check({"Authorization": "Bearer \u00a0" + key})
