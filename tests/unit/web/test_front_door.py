"""The request body as the front door hands it over, read from a real socket pair."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from function.errors import BadRequest, RequestTimeout
from function.web.front_door import Body, Watchdog

LIMIT = 1000


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(client, server) ends of a connected stream socket."""
    client, server = socket.socketpair()
    yield client, server
    client.close()
    server.close()


def body_on(server: socket.socket, *, declared: int | None, timeout_s: float = 5.0,
            watchdog: Watchdog | None = None) -> Body:
    return Body(server.makefile("rb"), declared=declared, present=True,
                cap=min(declared, LIMIT + 1) if declared is not None else LIMIT + 1,
                deadline=time.monotonic() + timeout_s, timeout_s=timeout_s, sock=server,
                watchdog=watchdog or Watchdog())


def test_outside_the_view_the_body_yields_nothing_and_leaves_the_socket_alone(
        pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    client.sendall(b"[1,2,3]")
    body = body_on(server, declared=7)
    assert body.read() == b""
    with body.opened():
        assert body.read() == b"[1,2,3]"
    assert body.read() == b""


def test_a_body_without_a_length_is_read_to_the_limit_plus_one_byte(
        pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    client.sendall(b"x" * (LIMIT * 3))
    body = body_on(server, declared=None)
    with body.opened():
        assert len(body.read()) == LIMIT + 1
        assert body.read() == b""


def test_a_body_that_never_comes_is_a_408_at_the_deadline(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    client.sendall(b"[1,")
    body = body_on(server, declared=100, timeout_s=0.3)
    started = time.monotonic()
    with body.opened(), pytest.raises(RequestTimeout, match=r"within 0\.3 s"):
        body.read()
    assert time.monotonic() - started < 5  # the deadline, not the client, ended the wait


def test_a_body_that_ends_early_is_a_400(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    client.sendall(b"[1,")
    client.shutdown(socket.SHUT_WR)
    body = body_on(server, declared=100)
    with body.opened(), pytest.raises(BadRequest, match="ended before its declared length"):
        body.read()


def test_finish_ends_the_reading_of_what_is_left(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    client.sendall(b"[1,")
    body = body_on(server, declared=100)
    body.finish()
    server.settimeout(5)
    while server.recv(10):  # what had arrived may still come out, then the end: no read waits any more
        pass


def test_a_disarmed_action_never_runs_and_an_armed_one_runs_once() -> None:
    watchdog = Watchdog()
    ran: list[str] = []
    done = threading.Event()
    ticket = watchdog.arm(time.monotonic() + 0.05, lambda: ran.append("disarmed"))
    watchdog.disarm(ticket)
    watchdog.arm(time.monotonic() + 0.1, lambda: (ran.append("armed"), done.set()))
    assert done.wait(5)
    time.sleep(0.1)
    assert ran == ["armed"]
