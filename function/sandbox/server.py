"""A local stand-in for Pinterest's Conversions API v5, served over real HTTP with the standard library.

Endpoints and shapes (every body is JSON):

POST /v5/ad_accounts/{ad_account_id}/events[?test=true]
    Header `Authorization: Bearer <token>`, `Content-Type: application/json`, body
    `{"data": [event, ...]}` with 1-1000 events (rules.py holds the per-event rules).
    200  all events valid:
         {"num_events_received": n, "num_events_processed": n,
          "events": [{"status": "processed", "error_message": null, "warning_message": null}, ...]}
    422  some events invalid (the valid ones are still processed and recorded):
         {"code": 1, "message": "Not all events were successfully processed.",
          "details": {"num_events_received": n, "num_events_processed": k,
                      "events": [{"status": "processed" | "failed", "error_message": str | null,
                                  "warning_message": null}, ...]}}
    401  wrong or missing token: {"code": 2, "message": "Authentication failed."}
    400  request-level problem, checked after the token, in this order: ad_account_id not 1-18
         digits (400 rather than 404, as Pinterest answers path-pattern violations), bad ?test=
         value, wrong Content-Type, body not JSON, envelope not {"data": [1-1000 items]}:
         {"code": 1, "message": "Invalid request: <what is wrong, naming the JSON path>"}
    `error_message` names each problem by JSON path, e.g. "data[2].user_data.em[0] must be a
    SHA-256 hash ..."; `?test=true` batches are answered and recorded like any other, flagged
    "test": true (Pinterest validates them but does not keep them).
    Injected faults answer 429 {"code": 8, ...} with Retry-After, 500 {"code": 500, ...},
    503 {"code": 4197, ...}, or no answer at all (see faults.py).

GET    /_sandbox/events  {"events": [{"ad_account_id": str, "test": bool, "call": int, "event": {...}}]}
DELETE /_sandbox/events  resets recordings, counters and faults; answers {"events": []}
GET    /_sandbox/stats   {"calls": n, "events_received": n, "events_processed": n, "batch_sizes": [n, ...],
                          "statuses": {"200": n, ...}, "faults": {"503": n, ...}}
GET    /_sandbox/faults  the fault configuration, with the unconsumed part of the script
POST   /_sandbox/faults  replaces it (faults.py documents the format); 400 when invalid
DELETE /_sandbox/faults  clears it

Every call to the events endpoint counts in `calls`; only calls whose batch was validated count in
`events_received`, `events_processed` and `batch_sizes`. Unknown paths answer 404 and known paths
with the wrong method 405, both as {"code": ..., "message": ...}.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from function.sandbox.app import Reply, Request, SandboxApp
from function.sandbox.faults import FaultConfig, FaultPlan
from function.sandbox.recorder import Recorder

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8899
DEFAULT_TOKEN = "sandbox-token"  # noqa: S105 - a well-known sandbox credential, not a secret

# Largest body read: 1000 events of a few kilobytes each fit with room to spare.
MAX_BODY_BYTES = 16 * 1024 * 1024

# Pending connections the socket queues; the socketserver default of 5 makes bursts wait for SYN retries.
LISTEN_BACKLOG = 128

# How often the serving loop notices a stop request.
POLL_INTERVAL_S = 0.05

# Seconds a client may idle mid-request before its connection is closed.
SOCKET_TIMEOUT_S = 60


class _SandboxServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that carries the app and stays quiet when clients hang up."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        """Bind the socket and keep the app for the handlers."""
        super().__init__(address, _Handler)
        self.app = app

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        """A client that disconnects is not an error worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP into `Request`s for the app and its `Reply`s back into HTTP."""

    server: _SandboxServer
    protocol_version = "HTTP/1.1"
    server_version = "PinterestSandbox/1.0"
    timeout = SOCKET_TIMEOUT_S
    # TCP_NODELAY: the reply leaves as two writes (headers, body); with Nagle the body waits for the
    # client's delayed ACK, adding ~40 ms to every keep-alive call.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        """Every method goes to the app, which answers 404/405 for what it does not serve."""
        self._dispatch()

    # http.server looks handlers up by these names.
    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET  # noqa: N815

    def _dispatch(self) -> None:
        """Read the body, let the app answer, write the reply."""
        body = self._read_body()
        if body is None:
            return
        parts = urlsplit(self.path)
        request = Request(
            method="GET" if self.command == "HEAD" else self.command,
            path=parts.path,
            query=parts.query,
            content_type=self.headers.get_content_type(),
            authorization=self.headers.get("Authorization", ""),
            body=body,
        )
        self._send(self.server.app.handle(request))

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering why it cannot be read."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(411, "Send the body with a Content-Length header")
            return None
        length = self.headers.get("Content-Length", "0").strip()
        if not length.isdigit():
            self.send_error(400, "Content-Length must be a non-negative integer")
            return None
        if int(length) > MAX_BODY_BYTES:
            self.send_error(413, f"The body must be at most {MAX_BODY_BYTES} bytes")
            return None
        body = self.rfile.read(int(length))
        if len(body) < int(length):
            self.close_connection = True
            return None
        return body

    def _send(self, reply: Reply) -> None:
        """Write a JSON reply, or hang up when the reply says to."""
        if reply.drop:
            self.close_connection = True
            return
        payload = json.dumps(reply.body).encode("ascii")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors answer in JSON too, and end the connection."""
        self.close_connection = True
        self._send(Reply(code, {"code": code, "message": message or self.responses[code][0]}))


@dataclass
class Sandbox:
    """A running sandbox: where it listens, what it recorded, and how to stop it."""

    host: str
    port: int
    app: SandboxApp
    _server: _SandboxServer
    _thread: threading.Thread

    @property
    def url(self) -> str:
        """Base URL to configure as the Pinterest API root."""
        return f"http://{self.host}:{self.port}/v5"

    @property
    def recorder(self) -> Recorder:
        """Processed events and call counters."""
        return self.app.recorder

    @property
    def faults(self) -> FaultPlan:
        """The live fault configuration."""
        return self.app.faults

    def wait(self) -> None:
        """Block until the sandbox is stopped."""
        self._thread.join()

    def stop(self) -> None:
        """Wake sleeping faults, stop serving and free the port."""
        self.app.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Sandbox:
        """Use as a context manager that stops on exit."""
        return self

    def __exit__(self, *_: object) -> None:
        """Stop on leaving the block."""
        self.stop()


def start_sandbox(
    host: str = DEFAULT_HOST,
    port: int = 0,
    token: str = DEFAULT_TOKEN,
    faults: FaultConfig | None = None,
) -> Sandbox:
    """Serve the sandbox on a background thread; port 0 picks a free port."""
    app = SandboxApp(token=token, faults=FaultPlan(faults or FaultConfig()))
    server = _SandboxServer((host, port), app)
    thread = threading.Thread(
        target=server.serve_forever, args=(POLL_INTERVAL_S,), name="pinterest-sandbox", daemon=True
    )
    thread.start()
    return Sandbox(host=host, port=server.server_address[1], app=app, _server=server, _thread=thread)
