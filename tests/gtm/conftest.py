"""The tag template's code run by tests/gtm/harness.js (Node), against the real function and the sandbox."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from function.sandbox.server import Sandbox, start_sandbox
from tests.processes import (
    AD_ACCOUNT,
    SANDBOX_TOKEN,
    FunctionServer,
    missing,
    start_function,
    stop_process,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "gtm" / "template.tpl"
HARNESS = Path(__file__).resolve().parent / "harness.js"
NODE = shutil.which("node")


def node(*args: str, timeout_s: float = 60) -> str:
    """The harness's standard output; Node is needed (Node 20 is on the development machines)."""
    if NODE is None:
        missing("node is not on PATH: the tag template's code cannot run")
    done = subprocess.run([NODE, str(HARNESS), *args], capture_output=True, text=True, timeout=timeout_s,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class TagRun:
    """What one run of the tag did, as the harness recorded it."""

    requests: list[dict[str, Any]]
    responses: list[dict[str, Any]]
    pixels: list[str]
    cookies: list[dict[str, Any]]
    logs: list[str]
    timeline: list[str]
    outcome: str | None
    outcomeAfterMs: int | None  # noqa: N815 - the harness's key
    error: str | None

    @property
    def body(self) -> dict[str, Any]:
        [request] = self.requests
        return json.loads(request["body"])

    @property
    def answer(self) -> dict[str, Any]:
        [response] = self.responses
        return json.loads(response["body"])


def run_tag(tmp_path: Path, data: dict[str, Any], event: dict[str, Any], *, cookies: str = "",
            allow_urls: tuple[str, ...] = (), container: dict[str, Any] | None = None) -> TagRun:
    """One tag run: the template's code with `data` as its fields, in a request for `event`."""
    request = {"data": data, "event": event, "cookies": cookies, "requestHost": "sgtm.example.com",
               "container": container or {"debugMode": True}, "allowUrls": list(allow_urls)}
    path = tmp_path / f"input-{len(list(tmp_path.glob('input-*')))}.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    return TagRun(**json.loads(node("run", str(TEMPLATE), str(path))))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(port=0, token=SANDBOX_TOKEN)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def gateway(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FunctionServer]:
    env = {
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT,
        "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
        "PINTEREST_API_URL": sandbox.url,
        "LOG_CONSOLE": "debug",  # the tag asks for this request's lines with pinterest.debug
        "PINTEREST_MAX_ATTEMPTS": "2",
        "PINTEREST_BATCH_WAIT_MS": "100",
    }
    server = start_function(env, tmp_path_factory.mktemp("gateway") / "server.log")
    yield server
    stop_process(server.process)


@pytest.fixture
def clean_sandbox(sandbox: Sandbox) -> Sandbox:
    requests.delete(f"{sandbox.url.removesuffix('/v5')}/_sandbox/events", timeout=5)
    return sandbox
