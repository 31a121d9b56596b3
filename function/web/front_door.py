"""The front door: what of a request's body anything may read, and until when.

functions-framework reads the whole body after every view (its `read_request` after-request hook),
whatever the view answered, and gunicorn's body reader waits on the socket as long as a client
cares to trickle. So the body the app sees is a `Body`: it yields nothing outside the view (a
refused caller's body is never read, by anyone), inside it at most the size limit plus one byte,
and only until the body deadline, when the socket's read side is shut so no read can outlast it.
An answer that leaves part of the body on the connection ends the connection's reading.
"""

from __future__ import annotations

import heapq
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any

import flask
import functions_framework
from werkzeug.exceptions import HTTPException, InternalServerError

from function.errors import BadRequest, GatewayError, RequestTimeout
from function.web import statuses

_BODY = "pinterest_capi.body"  # the environ key holding the request's Body

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Watchdog:
    """One thread per process runs each armed action once its deadline passes, unless disarmed first."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._wake = threading.Condition()
        self._due: list[tuple[float, int]] = []
        self._armed: dict[int, Callable[[], None]] = {}
        self._tickets = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, action: Callable[[], None]) -> int:
        with self._wake:
            ticket = next(self._tickets)
            self._armed[ticket] = action
            heapq.heappush(self._due, (deadline, ticket))
            if self._thread is None or not self._thread.is_alive():  # started in the worker, after the fork
                self._thread = threading.Thread(target=self._run, name="body-watchdog", daemon=True)
                self._thread.start()
            if self._due[0][1] == ticket:
                self._wake.notify()
        return ticket

    def disarm(self, ticket: int) -> None:
        with self._wake:
            self._armed.pop(ticket, None)

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._due and self._due[0][1] not in self._armed:
                    heapq.heappop(self._due)
                if not self._due:
                    self._wake.wait()
                    continue
                wait = self._due[0][0] - self._clock()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                action = self._armed.pop(heapq.heappop(self._due)[1])
            action()


class Body:
    """wsgi.input as the gateway may read it: only while open, at most `cap` bytes, within the deadline."""

    def __init__(self, raw: IO[bytes], *, declared: int | None, present: bool, cap: int, deadline: float,
                 timeout_s: float, sock: socket.socket | None, watchdog: Watchdog) -> None:
        self._raw = raw
        self._declared = declared
        self._cap = cap
        self._deadline = deadline
        self._timeout_s = timeout_s
        self._sock = sock
        self._watchdog = watchdog
        self._open = False
        self._taken = 0
        self._ended = not present
        self._expired = False
        self._lock = threading.Lock()
        self._reading = False

    def finish(self) -> None:
        """Before the answer: if bytes may remain, nobody reads them; the connection ends after it.

        gunicorn ignores an application's Connection header, and some versions drain what is left of
        the body before the next request; with the read side shut there is nothing left to drain.
        """
        self._open = False
        if not self._ended and self._sock is not None:
            with suppress(OSError):
                self._sock.shutdown(socket.SHUT_RD)

    def read(self, size: int | None = -1) -> bytes:
        want = self._cap - self._taken
        if size is not None and size >= 0:
            want = min(want, size)
        if not self._open or self._ended or want <= 0:
            return b""
        try:
            data = self._watched_read(want)
        except Exception:  # whatever the transport raised: a broken body is the caller's
            self._ended = True
            raise self._broken() from None
        self._taken += len(data)
        if len(data) < want or self._taken == self._declared:
            self._ended = True
            if self._declared is not None and self._taken < self._declared:
                raise self._broken()
        return data

    def _watched_read(self, want: int) -> bytes:
        if self._sock is None:
            return self._raw.read(want)
        with self._lock:
            self._reading = True
        ticket = self._watchdog.arm(self._deadline, self._expire)
        try:
            return self._raw.read(want)
        finally:
            self._watchdog.disarm(ticket)
            with self._lock:
                self._reading = False

    def _expire(self) -> None:
        """At the deadline: a read still waiting on the socket returns, and nothing more arrives."""
        with self._lock:
            if not self._reading or self._sock is None:
                return
            self._expired = True
            with suppress(OSError):  # already closed: nothing is waiting
                self._sock.shutdown(socket.SHUT_RD)

    def _broken(self) -> GatewayError:
        if self._expired:
            return RequestTimeout(f"the body did not arrive within {self._timeout_s:g} s")
        return BadRequest("the body ended before its declared length or is not valid chunked encoding")

    @contextmanager
    def opened(self) -> Iterator[None]:
        self._open = True
        try:
            yield
        finally:
            self._open = False


class FrontDoor:
    """WSGI middleware around the app functions-framework builds: installs each request's Body."""

    def __init__(self, app: WSGIApp, *, limit: int, timeout_s: float, watchdog: Watchdog | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._app = app
        self._limit = limit
        self._timeout_s = timeout_s
        self._watchdog = watchdog or Watchdog(clock)
        self._clock = clock

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = self._body(environ)
        environ["wsgi.input"] = body
        environ["wsgi.input_terminated"] = True  # the Body ends the stream itself: read it as it is
        environ[_BODY] = body

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            body.finish()
            return start_response(status, headers, exc_info)

        return self._app(environ, start)

    def _body(self, environ: dict[str, Any]) -> Body:
        declared = _declared_length(environ)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        # Without a length, only a server that ends the stream itself (gunicorn does) may be read to its end.
        endless_ok = declared is None and "wsgi.input_terminated" in environ
        cap = min(declared, self._limit + 1) if declared is not None else self._limit + 1 if endless_ok else 0
        return Body(environ["wsgi.input"], declared=declared, present=bool(declared) or chunked, cap=cap,
                    deadline=self._clock() + self._timeout_s, timeout_s=self._timeout_s,
                    sock=environ.get("gunicorn.socket"), watchdog=self._watchdog)


def _declared_length(environ: dict[str, Any]) -> int | None:
    """Content-Length, unless the body is chunked (then the chunks say where it ends)."""
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return None
    text = environ.get("CONTENT_LENGTH", "").strip()
    return int(text) if text.isdigit() else None


@contextmanager
def body_open(environ: dict[str, Any]) -> Iterator[None]:
    """The one place the body may be read: the view. Outside the front door, it does nothing."""
    body = environ.get(_BODY)
    if body is None:
        yield
        return
    with body.opened():
        yield


def install(app: flask.Flask, *, limit: int, timeout_s: float) -> None:
    """Puts the front door before functions-framework's app, and JSON on the answers Flask gives itself."""
    # Flask's documented way to add WSGI middleware; mypy refuses any assignment to a method.
    app.wsgi_app = FrontDoor(app.wsgi_app, limit=limit, timeout_s=timeout_s)  # type: ignore[method-assign]
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _crash)


def _json(refusal: statuses.Refusal, headers: dict[str, str] | None = None) -> flask.Response:
    return flask.Response(json.dumps(refusal.body, separators=(",", ":")), status=refusal.status,
                          mimetype="application/json", headers={**refusal.headers, **(headers or {})})


def _http_error(exc: HTTPException) -> flask.Response:
    """Paths functions-framework answers itself (/favicon.ico, /robots.txt) and Flask's own refusals."""
    return _json(statuses.refusal(exc))


def _crash(exc: InternalServerError) -> flask.Response:
    """An unexpected exception: JSON, still marked as a crash for the platform's logs."""
    _, _, headers = functions_framework.crash_handler(exc)
    return _json(statuses.refusal(exc), headers)
