"""Through the real functions-framework server: events never wait for the log, which keeps no raw data."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from function.sandbox.server import Sandbox
from tests.processes import (
    AD_ACCOUNT,
    CALLER_KEY,
    SANDBOX_TOKEN,
    FunctionServer,
    control,
    start_function,
    stop_like_the_platform,
)

pytestmark = pytest.mark.slow

# Planted in the inputs: none may appear in a row or a log line.
CANARY_EMAIL = "Canary.Person+capi@example.org"
CANARY_PHONE = "+1 (415) 555-0142"
CANARY_DIGITS = "4155550142"


class Blackhole:
    """An HTTP endpoint that takes requests and never answers until released: BigQuery hanging."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests = threading.Event()
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            connection.recv(65536)
            self.requests.set()

    def release(self) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    hole = Blackhole()
    yield hole
    hole.release()


def event(event_id: str) -> dict:
    return {"event_name": "purchase", "event_id": event_id, "ip_override": "198.51.100.7",
            "user_agent": "UA/log-test", "value": 10, "currency": "USD",
            "user_data": {"email_address": CANARY_EMAIL, "phone_number": CANARY_PHONE}}


def env(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
            "PINTEREST_API_URL": sandbox.url, "PINTEREST_MAX_ATTEMPTS": "1", **extra}


def logged_rows(server: FunctionServer) -> dict[str, dict]:
    """Rows the log writer could not store, from the server's console, by event id."""
    lines = [json.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
    kept = [line for line in lines if line.get("message") == "log row not stored"]
    return {line["log_row"]["event_id"]: line for line in kept}


def test_requests_are_answered_while_bigquery_hangs_and_its_rows_are_kept_on_the_console(
        clean_sandbox: Sandbox, blackhole: Blackhole, tmp_path: Path) -> None:
    server = start_function(env(clean_sandbox, LOG_BIGQUERY_TABLE="test-project.logs.events",
                                BIGQUERY_API_ENDPOINT=blackhole.url, LOG_BIGQUERY_FLUSH_MS="1",
                                LOG_CONSOLE="no"), tmp_path / "server.log")
    try:
        first = server.post([event("hang-1")])
        assert first.status_code == 200, first.text
        assert blackhole.requests.wait(timeout=20), "the writer never tried BigQuery"
        # BigQuery now holds the writer's insert and never answers; the next request is not held with it.
        second = server.post([event("hang-2")])
        assert second.status_code == 200, second.text
    finally:
        stop_like_the_platform(server.process)
    kept = logged_rows(server)
    assert {"hang-1", "hang-2"} <= set(kept), server.log_text()[-2000:]
    assert kept["hang-1"]["log_row"]["outcome"] == "delivered"
    assert kept["hang-1"]["severity"] == "ERROR"


def test_no_row_and_no_log_line_holds_raw_personal_data_or_the_token(clean_sandbox: Sandbox,
                                                                      tmp_path: Path) -> None:
    database = tmp_path / "log.sqlite3"
    server = start_function(env(clean_sandbox, LOG_SQLITE_PATH=str(database), LOG_CONSOLE="always",
                                LOG_BIGQUERY_FLUSH_MS="1"), tmp_path / "server.log")
    try:
        tag = {"X-Tag-Name": f"Pinterest CAPI ({CANARY_EMAIL})"}
        assert server.post([event("canary-ok")], headers=tag).status_code == 200
        requests.post(control(clean_sandbox, "faults"), json={"script": ["partial422"]}, timeout=5)
        answer = server.post([event("canary-a"), {**event("canary-b"), "currency": "XX"}], headers=tag)
        assert answer.status_code in (207, 422, 502), answer.text
        requests.post(control(clean_sandbox, "faults"), json={"script": ["500"]}, timeout=5)
        assert server.post([event("canary-500")], headers=tag).status_code == 502
        invalid = {"event_name": "purchase", "user_data": {"email": CANARY_EMAIL}, "pinterest.tag_name": "t"}
        server.post([{**invalid, "user_data": {"phone_number": CANARY_PHONE}}], headers=tag)
    finally:
        stop_like_the_platform(server.process)
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        rows = [dict(row) for row in connection.execute("SELECT * FROM events")]
    assert {row["outcome"] for row in rows} >= {"delivered", "failed", "invalid"}
    assert {row["tag_name"] for row in rows} <= {"Pinterest CAPI ([email])", "t"}
    everything = json.dumps(rows) + server.log_text()
    for canary in (CANARY_EMAIL, CANARY_EMAIL.lower(), CANARY_PHONE, CANARY_DIGITS, "+14155550142",
                   SANDBOX_TOKEN, CALLER_KEY):
        assert canary not in everything, canary
