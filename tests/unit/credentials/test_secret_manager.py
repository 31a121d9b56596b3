"""The Secret Manager adapter: the real client library against the local REST stand-in."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from function.credentials.secret_manager import (
    SecretCorrupt,
    SecretDenied,
    SecretError,
    SecretManager,
    SecretNotFound,
    SecretUnreachable,
)
from function.errors import ConfigError
from function.settings import Settings
from tests.secret_manager_stub import SecretManagerStub

SECRET = "projects/demo/secrets/pinterest-token"
CANARY = "pina_CANARY_secret_value_91f3"


def reader(stub: SecretManagerStub, **kwargs: float) -> SecretManager:
    return SecretManager(stub.endpoint, **({"retry_budget_s": 0} | kwargs))


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        pytest.param("PINTEREST_ACCESS_TOKEN_SECRET", "pina_not_a_secret_name", "must be projects/PROJECT",
                     id="a token pasted where the secret name belongs is refused without echoing it"),
        pytest.param("GATEWAY_API_KEYS_SECRET", "projects/p/secrets/k-{ad_account_id}",
                     "must name one secret", id="the keys secret is one for all accounts"),
        pytest.param("SECRET_MANAGER_API_ENDPOINT", "127.0.0.1:8085", "must be an absolute",
                     id="the local endpoint is a URL"),
        pytest.param("GATEWAY_AUTH", "basic", "must be one of keys, iam, none", id="an unknown auth mode"),
        pytest.param("PINTEREST_TOKEN_TTL_S", "0", "must be a positive number", id="a zero TTL"),
    ],
)
def test_secret_settings_are_checked_at_start_up_by_name(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": "549", variable: value})
    assert str(caught.value).startswith(f"invalid configuration: {variable} {message}")
    assert "pina_not_a_secret_name" not in str(caught.value)


def test_access_reads_the_latest_version_and_a_numbered_one(secret_stub: SecretManagerStub) -> None:
    secret_stub.add_version(SECRET, "first")
    secret_stub.add_version(SECRET, "second")
    secrets = reader(secret_stub)
    assert secrets.access(SECRET + "/versions/latest") == "second"
    assert secrets.access(SECRET + "/versions/1") == "first"
    assert secret_stub.calls == [SECRET + "/versions/latest", SECRET + "/versions/1"]


def test_the_client_is_created_once_and_reused(secret_stub: SecretManagerStub,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    secret_stub.add_version(SECRET, "value")
    secrets = reader(secret_stub)
    created = []
    real_create = SecretManager._create
    monkeypatch.setattr(SecretManager, "_create", lambda self: created.append(1) or real_create(self))
    for _ in range(3):
        secrets.access(SECRET + "/versions/latest")
    assert created == [1]


def test_connect_creates_the_client_and_leaves_a_failure_to_access(secret_stub: SecretManagerStub,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    secret_stub.add_version(SECRET, "value")
    secrets = reader(secret_stub)
    real_create = SecretManager._create
    answers: list[object] = [RuntimeError("no credentials"), RuntimeError("no credentials"), None]

    def create(self: SecretManager) -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return real_create(self)

    monkeypatch.setattr(SecretManager, "_create", create)
    secrets.connect()
    with pytest.raises(SecretError, match="refused the read"):
        secrets.access(SECRET + "/versions/latest")
    secrets.connect()
    assert answers == []
    assert secret_stub.calls == []
    assert secrets.access(SECRET + "/versions/latest") == "value"


@pytest.mark.parametrize(
    ("prepare", "error", "reason"),
    [
        pytest.param(lambda stub: None, SecretNotFound, "not found", id="an unknown secret is not found"),
        pytest.param(lambda stub: stub.denied.add(SECRET), SecretDenied, "permission denied",
                     id="a 403 is a permission problem naming the accessor role"),
        pytest.param(lambda stub: setattr(stub, "outage", "503"), SecretUnreachable, "unreachable",
                     id="a 503 is unreachable"),
        pytest.param(lambda stub: setattr(stub, "outage", "drop"), SecretUnreachable, "unreachable",
                     id="a dropped connection is unreachable"),
        pytest.param(lambda stub: setattr(stub, "corrupt", True), SecretCorrupt, "CRC32C",
                     id="a payload whose checksum does not match is refused"),
    ],
)
def test_failures_become_our_errors_naming_the_secret_but_never_the_value(
        secret_stub: SecretManagerStub, prepare: object, error: type[SecretError], reason: str) -> None:
    if error is not SecretNotFound:
        secret_stub.add_version(SECRET, CANARY)
    prepare(secret_stub)  # type: ignore[operator]
    with pytest.raises(error) as caught:
        reader(secret_stub).access(SECRET + "/versions/latest")
    message = str(caught.value)
    assert message.startswith(SECRET + "/versions/latest: ")
    assert reason in message
    assert CANARY not in message
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_a_refused_connection_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SecretUnreachable, match="Secret Manager unreachable"):
        SecretManager(f"http://127.0.0.1:{port}", retry_budget_s=0).access(SECRET + "/versions/latest")


def test_transient_failures_are_retried_within_the_budget(secret_stub: SecretManagerStub) -> None:
    secret_stub.add_version(SECRET, "value")
    secret_stub.outage = "503"
    with pytest.raises(SecretUnreachable):
        reader(secret_stub, retry_budget_s=0.5).access(SECRET + "/versions/latest")
    assert secret_stub.count(SECRET) > 1


def test_not_found_is_not_retried(secret_stub: SecretManagerStub) -> None:
    with pytest.raises(SecretNotFound):
        reader(secret_stub, retry_budget_s=2).access(SECRET + "/versions/latest")
    assert secret_stub.count(SECRET) == 1


def test_the_client_library_is_not_imported_before_a_secret_is_read() -> None:
    code = (
        "import sys\n"
        "from function.app import create_gateway\n"
        "create_gateway({'PINTEREST_AD_ACCOUNT_ID': '549',\n"
        "                'GATEWAY_API_KEYS_SECRET': 'projects/p/secrets/k',\n"
        "                'PINTEREST_ACCESS_TOKEN_SECRET': 'projects/p/secrets/t'})\n"
        "heavy = ('google.cloud.secretmanager', 'google.api_core')\n"
        "loaded = [m for m in sys.modules if m.startswith(heavy)]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
