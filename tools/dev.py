"""`make dev`: the Pinterest sandbox and the function wired to it, announced only once both answer.

Run from the checkout as `python -m tools.dev`. A port already in use, a process that exits before it
answers, or one that does not answer in time is a one-line error and exit status 1, never a banner.
Once both answer, the settings the function runs with go to .local/dev.env, which `python -m function
logs|replay` reads when the environment sets none of the function's variables.
"""

from __future__ import annotations

import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from function.__main__ import DEV_SETTINGS
from function.settings import variables

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
TOKEN = "dev-sandbox-token"  # the sandbox's own token: not a Pinterest credential
API_KEY = os.environ.get("GATEWAY_API_KEYS", "dev-caller-key-local").split(",")[0].strip()  # local key
SAMPLE = ROOT / "examples" / "purchase.json"
# A first start imports every library (seconds on a cold disk); a start that takes longer is stuck.
READY_TIMEOUT_S = 120.0
# Loopback only: a proxy from the environment must not stand between dev.py and its own servers.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class DevError(Exception):
    """Why `make dev` cannot serve: one line for the terminal."""


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)  # stopped like Ctrl-C: both servers go with it
    # Ctrl-C stops it even where it was started with SIGINT ignored (a background job of a script,
    # where Python leaves SIGINT ignored and no KeyboardInterrupt would ever come).
    signal.signal(signal.SIGINT, _stop)
    try:
        ports = {"SANDBOX_PORT": _port("SANDBOX_PORT", "8899"), "PORT": _port("PORT", "8080")}
        for variable, port in ports.items():
            _check_free(variable, port)
    except DevError as exc:
        return _fail(exc)
    sandbox_port, function_port = ports["SANDBOX_PORT"], ports["PORT"]
    env = {
        **os.environ,
        "PINTEREST_AD_ACCOUNT_ID": os.environ.get("PINTEREST_AD_ACCOUNT_ID", "549000000001"),
        "PINTEREST_ACCESS_TOKEN": TOKEN,
        "GATEWAY_API_KEYS": os.environ.get("GATEWAY_API_KEYS", API_KEY),
        "PINTEREST_API_URL": f"http://{HOST}:{sandbox_port}/v5",
        "LOG_CONSOLE": os.environ.get("LOG_CONSOLE", "always"),
    }
    _step(f"starting the Pinterest sandbox on {HOST}:{sandbox_port}")
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "function.sandbox", "--port", str(sandbox_port), "--token", TOKEN], cwd=ROOT)
    _step(f"starting the function on {HOST}:{function_port}")
    function = subprocess.Popen(
        [sys.executable, "-m", "functions_framework", "--target", "pinterest_capi", "--source", "main.py",
         "--host", HOST, "--port", str(function_port)], cwd=ROOT, env=env)
    processes = {"the Pinterest sandbox": sandbox, "the function": function}
    try:
        _step(f"waiting for both to answer (at most {READY_TIMEOUT_S:g} s)")
        _wait_until_ready(processes, {
            "the Pinterest sandbox": f"http://{HOST}:{sandbox_port}/_sandbox/stats",
            "the function": f"http://{HOST}:{function_port}/healthz",
        })
        _write_settings(env)
        _banner(sandbox_port, function_port)
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        name, code = next((name, p.returncode) for name, p in processes.items() if p.poll() is not None)
        raise DevError(f"{name} stopped (exit status {code}); its output is above")
    except KeyboardInterrupt:
        return 0
    except DevError as exc:
        return _fail(exc)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _port(variable: str, default: str) -> int:
    text = os.environ.get(variable, default).strip()
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise DevError(f"{variable}={text!r} is not a port number (1-65535)")
    return int(text)


def _check_free(variable: str, port: int) -> None:
    """Bind as both servers do (SO_REUSEADDR: a closed connection's TIME_WAIT is not a user of the port)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            raise DevError(f"port {port} on {HOST} is already in use ({exc.strerror}); stop what listens "
                           f"there or choose another port, e.g. {variable}={port + 1} make dev") from None


def _wait_until_ready(processes: dict[str, subprocess.Popen[bytes]], urls: dict[str, str]) -> None:
    """Until each URL answers 200; a process that exits, or the deadline, ends the wait with the reason."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    waiting = dict(urls)
    while waiting:
        for name in list(waiting):
            code = processes[name].poll()
            if code is not None:
                raise DevError(f"{name} exited (status {code}) before it answered; its output is above")
            if _answers(waiting[name]):
                _step(f"{name} answers at {waiting.pop(name)}")
        if waiting and time.monotonic() > deadline:
            raise DevError(f"{' and '.join(waiting)} did not answer within {READY_TIMEOUT_S:g} s")
        if waiting:
            time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        with _LOCAL.open(url, timeout=2) as response:
            return response.status == 200
    except (OSError, http.client.HTTPException):  # not listening yet, or an answer that is not HTTP
        return False


def _write_settings(env: dict[str, str]) -> None:
    """The function's settings, one shell-quoted NAME=value a line, readable by its owner only."""
    names = [name for name in variables() if env.get(name, "").strip()]
    lines = ["# Written by `make dev` (tools/dev.py): the settings its function runs with.",
             *(f"{name}={shlex.quote(env[name])}" for name in names)]
    DEV_SETTINGS.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(DEV_SETTINGS, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


def _banner(sandbox_port: int, function_port: int) -> None:
    curl = (f"curl -s -X POST http://{HOST}:{function_port}/ -H 'Content-Type: application/json' "
            f"-H {shlex.quote('Authorization: Bearer ' + API_KEY)} "
            f"--data @{shlex.quote(str(SAMPLE.relative_to(ROOT)))}")
    print(f"\nReady. Pinterest sandbox: http://{HOST}:{sandbox_port}/v5 "
          f"(what it received: curl -s http://{HOST}:{sandbox_port}/_sandbox/events)")
    print(f"Function:          http://{HOST}:{function_port}/")
    print(f"Send the sample purchase:\n  {curl}")
    print(f"Logs and replay with these settings ({DEV_SETTINGS.relative_to(ROOT)}):\n"
          "  .venv/bin/python -m function logs\n  .venv/bin/python -m function replay")
    print("Ctrl-C stops both.\n", flush=True)


def _step(text: str) -> None:
    print(f"make dev: {text}", flush=True)


def _fail(exc: DevError) -> int:
    print(f"make dev: {exc}", file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
