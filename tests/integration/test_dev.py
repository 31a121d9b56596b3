"""`make dev` (tools/dev.py) as a real process in a copy of the checkout: a taken port or a function that
cannot start is an error and a non-zero exit, the banner comes only once both servers answer, and
`python -m function logs|replay` run elsewhere use the settings it ran with."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from function.settings import variables
from tests.processes import copy_checkout, free_port

pytestmark = pytest.mark.slow

BANNER = "Ready."
# Bounds for a loaded machine: a refusal needs no server at all; a start imports every library.
REFUSAL_BOUND_S = 30
START_BOUND_S = 120
EVENT_ID = "A-1001"  # examples/purchase.json's transaction_id


@dataclass
class Dev:
    """One `python -m tools.dev` run, its output in a file (children write there too)."""

    checkout: Path
    process: subprocess.Popen[bytes]
    output: Path
    sandbox_port: int
    function_port: int

    def text(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def wait_for_banner(self) -> None:
        deadline = time.monotonic() + START_BOUND_S
        while BANNER not in self.text():
            assert self.process.poll() is None, f"make dev exited {self.process.returncode}:\n{self.text()}"
            assert time.monotonic() < deadline, f"no banner within {START_BOUND_S} s:\n{self.text()}"
            time.sleep(0.05)


def clean_environ(**extra: str) -> dict[str, str]:
    """The test runner's environment without any of the function's settings, plus `extra`."""
    names = set(variables())
    return {**{k: v for k, v in os.environ.items() if k not in names}, "PYTHONUNBUFFERED": "1", **extra}


def _sigint_ignored() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return copy_checkout(tmp_path / "checkout")


@pytest.fixture
def start_dev(checkout: Path, tmp_path: Path) -> Iterator[Callable[..., Dev]]:
    started: list[Dev] = []

    def start(sandbox_port: int | None = None, function_port: int | None = None, **env: str) -> Dev:
        ports = (sandbox_port or free_port(), function_port or free_port())
        output = tmp_path / f"dev-{len(started)}.log"
        with output.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "tools.dev"], cwd=checkout, stdout=sink, stderr=subprocess.STDOUT,
                env=clean_environ(SANDBOX_PORT=str(ports[0]), PORT=str(ports[1]), **env),
                # As a script's background job starts it (SIGINT ignored): Ctrl-C must still stop it.
                preexec_fn=_sigint_ignored)
        started.append(Dev(checkout, process, output, *ports))
        return started[-1]

    yield start
    for dev in started:
        if dev.process.poll() is None:
            dev.process.send_signal(signal.SIGINT)
            try:
                dev.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                dev.process.kill()
                dev.process.wait()


@pytest.mark.parametrize("taken", ["PORT", "SANDBOX_PORT"])
def test_a_taken_port_is_an_error_and_a_non_zero_exit(start_dev: Callable[..., Dev], taken: str) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        dev = start_dev(**{"function_port" if taken == "PORT" else "sandbox_port": port})
        code = dev.process.wait(timeout=REFUSAL_BOUND_S)
    assert code != 0
    text = dev.text()
    assert f"port {port} on 127.0.0.1 is already in use" in text
    assert f"{taken}={port + 1} make dev" in text
    assert BANNER not in text


def test_a_function_that_cannot_start_is_an_error_not_a_banner(start_dev: Callable[..., Dev]) -> None:
    dev = start_dev(PINTEREST_ACTION_SOURCE="nowhere")
    code = dev.process.wait(timeout=START_BOUND_S)
    text = dev.text()
    assert code != 0, text
    assert "the function exited (status" in text
    assert BANNER not in text


def test_the_banner_comes_once_both_answer_and_replay_uses_the_same_settings(start_dev: Callable[..., Dev],
                                                                             tmp_path: Path) -> None:
    dev = start_dev(PINTEREST_MAX_ATTEMPTS="1")
    dev.wait_for_banner()
    sandbox = f"http://127.0.0.1:{dev.sandbox_port}"
    function = f"http://127.0.0.1:{dev.function_port}"
    # The moment the banner is out, both answer.
    assert requests.get(f"{sandbox}/_sandbox/stats", timeout=5).status_code == 200
    assert requests.get(f"{function}/healthz", timeout=5).json()["status"] == "ok"

    # One purchase fails at Pinterest, so the log holds it as failed.
    assert requests.post(f"{sandbox}/_sandbox/faults", json={"script": ["500"]}, timeout=5).ok
    sample = json.loads((dev.checkout / "examples" / "purchase.json").read_text(encoding="utf-8"))
    failed = requests.post(f"{function}/", json=sample, timeout=30,
                           headers={"Authorization": "Bearer dev-caller-key-local"})
    assert failed.json()["events"][0]["status"] == "failed", failed.text
    assert requests.delete(f"{sandbox}/_sandbox/faults", timeout=5).ok

    # From another directory, with none of the function's variables set, as a second terminal would.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "function", *args], cwd=elsewhere, capture_output=True,
                              text=True, timeout=60, env=clean_environ(PYTHONPATH=str(dev.checkout)))

    deadline = time.monotonic() + 30
    while EVENT_ID not in command("logs", "--outcome", "failed").stdout:  # the writer flushes within 1 s
        assert time.monotonic() < deadline, command("logs").stderr
        time.sleep(0.2)
    replay = command("replay")
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "the settings of `make dev`" in replay.stderr
    recorded = requests.get(f"{sandbox}/_sandbox/events", timeout=5).json()["events"]
    assert [r["event"]["event_id"] for r in recorded] == [EVENT_ID]
    assert not (elsewhere / ".local").exists()

    dev.process.send_signal(signal.SIGINT)
    try:
        code = dev.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"make dev still running 20 s after Ctrl-C; its output:\n{dev.text()[-6000:]}")
    assert code == 0
    for port in (dev.sandbox_port, dev.function_port):  # both servers went with it
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
