"""A stand-in for BigQuery's insertAll REST call that enforces the request size limit, as BigQuery does.

POST /bigquery/v2/projects/P/datasets/D/tables/T/insertAll
    200 {"kind": "bigquery#tableDataInsertAllResponse"}, the rows kept;
    400 "Request payload size exceeds the limit: N bytes." (reason badRequest), as BigQuery answers a
    request body over its 10 MB, when the body is over `limit_bytes`.
The emulator the other log tests use enforces no such limit. Each request's size is kept in `requests`.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# BigQuery's limit on one streaming insert's HTTP request (cloud.google.com/bigquery/quotas).
BIGQUERY_REQUEST_LIMIT = 10 * 1024 * 1024


class BigQueryInsertStub:
    """Keeps inserted rows by insertId; refuses request bodies over `limit_bytes`."""

    def __init__(self, limit_bytes: int = BIGQUERY_REQUEST_LIMIT) -> None:
        self.limit_bytes = limit_bytes
        self.rows: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[int, int]] = []  # (body bytes, HTTP status)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def answer(self, body: bytes) -> tuple[int, dict[str, Any]]:
        if len(body) > self.limit_bytes:
            message = f"Request payload size exceeds the limit: {self.limit_bytes} bytes."
            status, answer = 400, {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT",
                                             "errors": [{"message": message, "domain": "global",
                                                         "reason": "badRequest"}]}}
        else:
            with self._lock:
                for row in json.loads(body)["rows"]:
                    self.rows[row["insertId"]] = row["json"]
            status, answer = 200, {"kind": "bigquery#tableDataInsertAllResponse"}
        with self._lock:
            self.requests.append((len(body), status))
        return status, answer


def _handler_for(stub: BigQueryInsertStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, answer = stub.answer(body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: object) -> None:
            """Quiet: tests read the counters instead."""

    return Handler
