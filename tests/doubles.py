"""Test doubles the tiers share: each has the methods of the part it stands for, and nothing more.

A journal that keeps what it is given, a clock that moves only when told (or slept on), a
Pinterest (or forward proxy) that records every call, and the Settings a test starts from. Process
and sandbox helpers are in tests/processes.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from function.logs.journal import EventRecord
from function.settings import Settings

AD_ACCOUNT = "549000000001"
# What the recording server saw per call: request target, headers in order, body.
Seen = list[tuple[str, list[tuple[str, str]], bytes]]


class ListJournal:
    """A journal keeping every record in a list, in the order given."""

    def __init__(self) -> None:
        self.records: list[EventRecord] = []

    def record(self, records: Sequence[EventRecord]) -> None:
        self.records.extend(records)


class Clock:
    """Monotonic time that moves only when a test sets `now` or something sleeps on it."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def settings(**env: str) -> Settings:
    """Settings from these variables, on top of the one the function requires (the ad account)."""
    return Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, **env})


@contextmanager
def recording_server() -> Iterator[tuple[str, Seen]]:
    """Pinterest, or a forward proxy, stood in on loopback: every POST to any target is recorded and
    answered as Pinterest answers a processed batch, with a cookie no later call may carry back.
    Yields its base URL and what it saw."""
    seen: Seen = []

    class Recording(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append((self.path, list(self.headers.items()), body))
            events = json.loads(body or b"{}").get("data", [])
            answer = json.dumps({"events": [{"status": "processed"} for _ in events]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Set-Cookie", "session=1; Path=/")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
