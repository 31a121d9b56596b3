"""A stand-in for Google Secret Manager's REST API, enough for the real client's accessSecretVersion.

GET /v1/projects/P/secrets/S/versions/V:access  (V: a version number or `latest`)
    200 {"name": "projects/P/secrets/S/versions/N",
         "payload": {"data": "<base64>", "dataCrc32c": "<decimal string>"}}
    404 unknown secret or version, 403 a secret marked as denied.
Outages (set `outage`, None ends it): "503" answers UNAVAILABLE, "drop" hangs up, "hang" holds every
answer until the outage ends, "refused" closes the port (connections are refused; open ones hang up)
and opens the same port again when it ends.
Every request counts in `calls`; `gate` can hold answers back to make callers overlap.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import google_crc32c

_ACCESS = re.compile(r"^/v1/(projects/[^/]+/secrets/[^/]+)/versions/([^/:]+):access$")
OUTAGES = ("503", "drop", "hang", "refused")
# Seconds a "hang" outage or a closed gate holds an answer at most.
_HOLD_S = 30.0


class SecretManagerStub:
    """Secrets with numbered versions, a call counter and switchable outages."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, list[bytes]] = {}
        self.denied: set[str] = set()
        self._outage: str | None = None
        self._outage_over = threading.Event()
        self._outage_over.set()
        self.corrupt = False
        self.calls: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self._listen(0)
        self._port = self._server.server_address[1]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def outage(self) -> str | None:
        return self._outage

    @outage.setter
    def outage(self, kind: str | None) -> None:
        """Starts (one of OUTAGES) or ends (None) an outage; "refused" closes the port meanwhile."""
        assert kind is None or kind in OUTAGES, kind
        if kind == "refused" and self._outage != "refused":
            self._close()
        if kind != "refused" and self._outage == "refused":
            self._listen(self._port)
        self._outage = kind
        if kind is None:
            self._outage_over.set()
        else:
            self._outage_over.clear()

    def _listen(self, port: int) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def _close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def add_version(self, secret: str, value: str) -> str:
        """A new version of `projects/P/secrets/S` (created if new); its full name is returned."""
        with self._lock:
            versions = self._versions.setdefault(secret, [])
            versions.append(value.encode())
            return f"{secret}/versions/{len(versions)}"

    def count(self, secret: str) -> int:
        """Calls that asked for any version of `secret`."""
        return sum(1 for name in self.calls if name.startswith(secret + "/"))

    def stop(self) -> None:
        self.gate.set()
        self._outage_over.set()
        if self._outage != "refused":
            self._close()

    def answer(self, path: str) -> tuple[int, dict[str, object] | None]:
        """(status, JSON body) for a request path; None as the body means hang up."""
        match = _ACCESS.match(urlsplit(path).path)
        with self._lock:
            self.calls.append(match.group(1) + "/versions/" + match.group(2) if match else path)
        self.gate.wait(timeout=_HOLD_S)
        if self._outage == "hang":
            self._outage_over.wait(timeout=_HOLD_S)
        if self._outage in ("drop", "refused"):
            return 0, None
        if self._outage == "503":
            return 503, _error(503, "UNAVAILABLE", "The service is currently unavailable.")
        if not match:
            return 404, _error(404, "NOT_FOUND", "Unknown path.")
        secret, version = match.groups()
        if secret in self.denied:
            return 403, _error(403, "PERMISSION_DENIED", "Permission denied on resource.")
        with self._lock:
            versions = self._versions.get(secret, [])
            number = len(versions) if version == "latest" else int(version) if version.isdigit() else 0
            if not 1 <= number <= len(versions):
                return 404, _error(404, "NOT_FOUND", f"Secret [{secret}/versions/{version}] not found.")
            data = versions[number - 1]
        crc = google_crc32c.value(data) + (1 if self.corrupt else 0)
        return 200, {"name": f"{secret}/versions/{number}",
                     "payload": {"data": base64.b64encode(data).decode(), "dataCrc32c": str(crc)}}


def _error(code: int, status: str, message: str) -> dict[str, object]:
    """Google's JSON error envelope, which the client turns into google.api_core exceptions."""
    return {"error": {"code": code, "message": message, "status": status}}


def _handler_for(stub: SecretManagerStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status, body = stub.answer(self.path)
            if body is None:
                self.close_connection = True
                return
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: object) -> None:
            """Quiet: tests read the counters instead."""

    return Handler
