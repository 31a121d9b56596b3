"""Real processes and the sandbox, started, watched and stopped the one way every tier (and the soak) does.

The functions-framework server as the platform runs it, ports, bounded waits, SIGTERM as Cloud Run
sends it, and the sandbox's control endpoints. Fixtures built on these live in tests/conftest.py.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import requests

from function.sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parents[1]
SANDBOX_TOKEN = "e2e-canary-token-5f0c"  # planted: must never appear in any output
AD_ACCOUNT = "549000000042"
CALLER_KEY = "e2e-caller-key-7b1d"  # the API key every started server accepts unless a test sets its own
# Cloud Run: SIGKILL 10 s after SIGTERM.
PLATFORM_GRACE_S = 10.0


def missing(message: str) -> NoReturn:
    """A tool or engine a test needs is absent: skip here, fail in CI, where `make test` provides it."""
    import pytest  # here, not at the top: bench/ shares this module and its venv has no pytest

    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    """Bounded wait until the server accepts connections (or died)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {timeout_s} s")


def wait_until(condition: Callable[[], Any], timeout_s: float = 20.0) -> bool:
    """Bounded polling for what another thread or process does; never a timing assertion."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


@dataclass
class FunctionServer:
    """The real functions-framework server running main.pinterest_capi."""

    url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    api_key: str = CALLER_KEY

    def post(self, body: object, **kwargs: object) -> requests.Response:
        """POST as an authenticated caller; headers given here are added (and win)."""
        headers = {"Authorization": f"Bearer {self.api_key}", **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        return requests.post(self.url, json=body, timeout=30, headers=headers, **kwargs)  # type: ignore[arg-type]

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def copy_checkout(destination: Path) -> Path:
    """The parts of the checkout that run (function/, tools/, main.py, examples/), with nothing under .local/:
    a test of what lands in the checkout's own files runs in a copy, never in the developer's."""
    for part in ("function", "tools", "examples"):
        shutil.copytree(ROOT / part, destination / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "main.py", destination / "main.py")
    return destination


def start_function(env: dict[str, str], log_path: Path, root: Path = ROOT, *,
                   target: str = "pinterest_capi") -> FunctionServer:
    """functions-framework as the platform runs it (gunicorn), with our settings, from `root`'s main.py."""
    port = free_port()
    # The log rows of a test server go beside its log, not into the developer's .local/ store.
    full_env = {**os.environ, "GATEWAY_API_KEYS": CALLER_KEY, "LOG_SQLITE_PATH": str(log_path) + ".sqlite3",
                **env, "PYTHONUNBUFFERED": "1"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "functions_framework", "--target", target,
             "--source", str(root / "main.py"), "--host", "127.0.0.1", "--port", str(port)],
            cwd=root, env=full_env, stdout=log, stderr=subprocess.STDOUT,
        )
    atexit.register(_kill_if_running, process)  # a test that fails before stopping it leaks no server
    wait_for_port(port, process)
    return FunctionServer(f"http://127.0.0.1:{port}/", log_path, process)


def _kill_if_running(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 15.0) -> None:
    """SIGTERM, then SIGKILL after `timeout_s` (the process is ours: started by these helpers)."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop_like_the_platform(process: subprocess.Popen[bytes]) -> bool:
    """SIGTERM, then SIGKILL after the platform's grace; True when the server exited by itself."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=PLATFORM_GRACE_S)
        return True
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False


def control(sandbox: Sandbox, path: str) -> str:
    """The URL of one of the sandbox's /_sandbox endpoints (events, stats, faults)."""
    return f"{sandbox.url.removesuffix('/v5')}/_sandbox/{path}"


def recorded(sandbox: Sandbox) -> list[dict[str, Any]]:
    """What the sandbox recorded, as a client sees it: one entry per event received."""
    events: list[dict[str, Any]] = requests.get(control(sandbox, "events"), timeout=5).json()["events"]
    return events


def faults(sandbox: Sandbox, config: dict[str, Any] | None) -> None:
    """Sets the sandbox's fault rules (function/sandbox/faults.py); None clears them."""
    if config is None:
        requests.delete(control(sandbox, "faults"), timeout=5).raise_for_status()
    else:
        requests.post(control(sandbox, "faults"), json=config, timeout=5).raise_for_status()


def recorded_ids(sandbox: Sandbox) -> list[str]:
    """The event ids the sandbox recorded, in the order it received them."""
    return [record["event"]["event_id"] for record in recorded(sandbox)]


def sqlite_rows(server: FunctionServer, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    """The server's SQLite log rows for `sql`; none until its writer has created the file and table."""
    return [tuple(row) for row in database_rows(Path(str(server.log_path) + ".sqlite3"), sql, params)]


def database_rows(database: Path, sql: str = "SELECT * FROM events",
                  params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
    """Rows of a SQLite log file (by column name or index); none until a writer has created its table."""
    if not database.exists():
        return []
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError:  # the writer has not created its table yet
            return []
