"""GET /healthz on the real server: answered without a key and without reading any secret; every other
request meets the caller check as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from function.sandbox.server import Sandbox
from tests.processes import AD_ACCOUNT, FunctionServer, start_function, stop_process
from tests.secret_manager_stub import SecretManagerStub

pytestmark = pytest.mark.slow

KEYS_SECRET = "projects/demo/secrets/gateway-keys"
REVISION = "pinterest-capi-00042-xyz"


@pytest.fixture
def hung_secrets() -> Iterator[SecretManagerStub]:
    """A Secret Manager that holds every answer back: a request that reads a secret would hang."""
    running = SecretManagerStub()
    running.add_version(KEYS_SECRET, "health-caller-key-1\n")
    running.outage = "hang"
    yield running
    running.outage = None
    running.stop()


@pytest.fixture
def keyed_server(hung_secrets: SecretManagerStub, sandbox: Sandbox,
                 tmp_path: Path) -> Iterator[FunctionServer]:
    server = start_function({
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT,
        "PINTEREST_ACCESS_TOKEN_SECRET": "projects/demo/secrets/pinterest-token",
        "GATEWAY_API_KEYS_SECRET": KEYS_SECRET,
        "GATEWAY_API_KEYS": "",
        "SECRET_MANAGER_API_ENDPOINT": hung_secrets.endpoint,
        "PINTEREST_API_URL": sandbox.url,
        "K_REVISION": REVISION,
    }, tmp_path / "server.log")
    yield server
    stop_process(server.process)


def test_healthz_answers_without_a_key_and_without_reading_a_secret(keyed_server: FunctionServer,
                                                                    hung_secrets: SecretManagerStub) -> None:
    health = keyed_server.url + "healthz"
    plain = requests.get(health, timeout=10)
    assert (plain.status_code, plain.json()) == (200, {"status": "ok", "revision": REVISION})
    assert plain.headers["Content-Type"] == "application/json"
    wrong_key = requests.get(health, headers={"Authorization": "Bearer not-a-key"}, timeout=10)
    assert wrong_key.status_code == 200
    assert hung_secrets.calls == []


def test_everything_else_still_meets_the_caller_check_first(keyed_server: FunctionServer,
                                                            hung_secrets: SecretManagerStub) -> None:
    for method, path in (("POST", "healthz"), ("GET", ""), ("GET", "healthz/"), ("PUT", "healthz")):
        response = requests.request(method, keyed_server.url + path, json={"event_name": "purchase"},
                                    timeout=10)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["status"] == "invalid"
    assert hung_secrets.calls == []  # no key presented: refused before the keys are even looked up


def test_locally_the_revision_is_null(function_server: FunctionServer) -> None:
    response = requests.get(function_server.url + "healthz", timeout=10)
    assert (response.status_code, response.json()) == (200, {"status": "ok", "revision": None})
    keyed_get = requests.get(function_server.url, timeout=10,
                             headers={"Authorization": f"Bearer {function_server.api_key}"})
    assert keyed_get.status_code == 405  # any other GET: as before
