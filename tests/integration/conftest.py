"""The functions-framework server the end-to-end tests share, on the session's sandbox (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from function.sandbox.server import Sandbox
from tests.processes import AD_ACCOUNT, SANDBOX_TOKEN, FunctionServer, start_function, stop_process


@pytest.fixture(scope="session")
def function_server(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FunctionServer]:
    env = {
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT,
        "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
        "PINTEREST_API_URL": sandbox.url,
        "LOG_CONSOLE": "always",
        "PINTEREST_MAX_ATTEMPTS": "2",  # keeps the retry tests short
    }
    server = start_function(env, tmp_path_factory.mktemp("function") / "server.log")
    yield server
    stop_process(server.process)
