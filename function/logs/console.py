"""Structured console logging in Cloud Logging's format: one JSON object per line on stdout."""

from __future__ import annotations

import json
import re
import sys
import threading
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

# Cloud Logging's special keys in structured logs (cloud.google.com/logging/docs/structured-logging).
SEVERITY = "severity"
MESSAGE = "message"
TRACE = "logging.googleapis.com/trace"
SPAN = "logging.googleapis.com/spanId"
TIME = "time"

# X-Cloud-Trace-Context: TRACE_ID[/SPAN_ID][;o=OPTIONS]
_CLOUD_TRACE = re.compile(r"^([0-9a-fA-F]{32})(?:/([0-9]+))?")
# W3C traceparent: VERSION-TRACE_ID-PARENT_ID-FLAGS
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
# A line's JSON, its encoder built once: json.dumps with these arguments builds one per call.
_LINE = json.JSONEncoder(default=str, separators=(",", ":")).encode


class Headers(Protocol):
    """A request's headers as werkzeug keeps them: one value per name, whatever the name's case."""

    def get(self, key: str, /) -> str | None: ...


def trace_from_headers(headers: Headers) -> tuple[str | None, str | None]:
    """(trace id, span id) from X-Cloud-Trace-Context, traceparent or trace-id headers."""
    cloud = _CLOUD_TRACE.match(headers.get("X-Cloud-Trace-Context") or "")
    if cloud:
        return cloud.group(1).lower(), cloud.group(2)
    parent = _TRACEPARENT.match((headers.get("traceparent") or "").strip().lower())
    if parent:
        return parent.group(1), parent.group(2)
    plain = (headers.get("trace-id") or "").strip()
    return (plain[:64], None) if re.fullmatch(r"[0-9A-Za-z-]{1,64}", plain) else (None, None)


class ConsoleLog:
    """Writes log lines when the LOG_CONSOLE mode asks for them."""

    def __init__(self, mode: str, project: str = "", stream: TextIO | None = None) -> None:
        self._mode = mode
        self._project = project
        self._stream = stream
        self._lock = threading.Lock()

    def wanted(self, debug: bool) -> bool:
        """always: every request; debug: requests marked for debugging; no: none."""
        return self._mode == "always" or (self._mode == "debug" and debug)

    def write(self, severity: str, message: str, trace_id: str | None = None, **fields: Any) -> None:
        """One line; fields must already be free of personal data and credentials."""
        entry: dict[str, Any] = {SEVERITY: severity, MESSAGE: message,
                                 TIME: datetime.now(UTC).isoformat()}
        if trace_id:
            entry[TRACE] = f"projects/{self._project}/traces/{trace_id}" if self._project else trace_id
        entry.update(fields)
        line = _LINE(entry)
        with self._lock:
            stream = self._stream or sys.stdout
            stream.write(line + "\n")
            stream.flush()
