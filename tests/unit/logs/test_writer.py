"""The log writer: batches, retries with backoff, a bounded buffer, and nothing lost at close."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Sequence

from function.logs.console import ConsoleLog
from function.logs.store import PendingRow, RowFailure, StoreUnavailable
from function.logs.writer import LogWriter
from tests.processes import wait_until


class FakeStore:
    """Stores rows; `script` says per call what to do: 'ok', 'down', or a callable returning failures."""

    name = "fake"

    def __init__(self, *script: str | Callable[[Sequence[PendingRow]], list[RowFailure]]) -> None:
        self.script = list(script)
        self.calls: list[list[str]] = []
        self.stored: list[str] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.lock = threading.Lock()

    def insert(self, rows: Sequence[PendingRow]) -> list[RowFailure]:
        with self.lock:
            self.calls.append([r.row_id for r in rows])
            step = self.script.pop(0) if self.script else "ok"
        self.entered.set()
        self.release.wait(timeout=30)
        if step == "down":
            raise StoreUnavailable("fake store is down")
        failures = step(rows) if callable(step) else []
        failed = {f.index for f in failures}
        with self.lock:
            self.stored += [r.row_id for i, r in enumerate(rows) if i not in failed]
        return failures


def rows(count: int, prefix: str = "e") -> list[PendingRow]:
    return [PendingRow(f"{prefix}{i}:1:delivered", {"event_id": f"{prefix}{i}", "outcome": "delivered"})
            for i in range(count)]


def writer(store: FakeStore, stream: io.StringIO, **options: float) -> LogWriter:
    settings = {"batch_max": 500, "flush_s": 60.0, "backoff_s": 0.001, **options}
    return LogWriter(store, ConsoleLog("no", stream=stream), **settings)  # type: ignore[arg-type]


def console_rows(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_close_writes_everything_queued_in_batches_of_at_most_the_maximum() -> None:
    store, stream = FakeStore(), io.StringIO()
    log_writer = writer(store, stream)
    log_writer.submit(rows(1200))
    log_writer.close()
    assert sorted(len(call) for call in store.calls) == [200, 500, 500]
    assert sorted(store.stored) == sorted(r.row_id for r in rows(1200))
    assert stream.getvalue() == ""


def test_rows_leave_once_the_oldest_has_waited_the_flush_interval() -> None:
    store, stream = FakeStore(), io.StringIO()
    log_writer = writer(store, stream, flush_s=0.05)
    log_writer.submit(rows(3))
    assert wait_until(lambda: len(store.stored) == 3)
    assert store.calls == [[r.row_id for r in rows(3)]]
    log_writer.close()


def test_a_full_batch_leaves_without_waiting_for_the_flush_interval() -> None:
    store, stream = FakeStore(), io.StringIO()
    log_writer = writer(store, stream, batch_max=5)
    log_writer.submit(rows(1))
    for row in rows(4, "f"):
        log_writer.submit([row])
    assert wait_until(lambda: len(store.stored) == 5)
    log_writer.close()


def test_rows_that_make_no_batch_due_do_not_wake_the_thread() -> None:
    # a wake-up per row cost every request a thread switch under load
    store, stream = FakeStore(), io.StringIO()
    log_writer = writer(store, stream)
    looks: list[int] = []
    take = log_writer._take
    log_writer._take = lambda: looks.append(1) or take()  # type: ignore[method-assign]
    log_writer.submit(rows(1))
    assert wait_until(lambda: len(looks) == 1)
    for row in rows(50, "f"):
        log_writer.submit([row])
    time.sleep(0.2)
    assert (len(looks), store.calls) == (1, [])
    log_writer.close()
    assert len(store.stored) == 51


def test_a_store_that_is_down_is_retried_with_the_same_row_ids() -> None:
    store, stream = FakeStore("down", "down", "ok"), io.StringIO()
    log_writer = writer(store, stream)
    log_writer.submit(rows(2))
    log_writer.close()
    assert store.calls == [["e0:1:delivered", "e1:1:delivered"]] * 3
    assert store.stored == ["e0:1:delivered", "e1:1:delivered"]
    assert stream.getvalue() == ""


def test_rows_still_failing_after_the_last_attempt_go_to_the_console_whole() -> None:
    store, stream = FakeStore("down", "down", "down", "down"), io.StringIO()
    log_writer = writer(store, stream)
    log_writer.submit(rows(2))
    log_writer.close()
    assert len(store.calls) == 4
    lines = console_rows(stream)
    assert [line["log_row"] for line in lines] == [r.row for r in rows(2)]
    assert {line["severity"] for line in lines} == {"ERROR"}
    assert all("after 4 attempts: fake store is down" in line["reason"] for line in lines)


def test_only_the_refused_rows_are_retried_and_rows_refused_for_good_go_to_the_console() -> None:
    def refuse(batch: Sequence[PendingRow]) -> list[RowFailure]:
        return [RowFailure(0, "invalid: bad value", retryable=False),
                RowFailure(1, "stopped", retryable=True)]

    store, stream = FakeStore(refuse, "ok"), io.StringIO()
    log_writer = writer(store, stream)
    log_writer.submit(rows(3))
    log_writer.close()
    assert store.calls == [["e0:1:delivered", "e1:1:delivered", "e2:1:delivered"], ["e1:1:delivered"]]
    assert sorted(store.stored) == ["e1:1:delivered", "e2:1:delivered"]
    [line] = console_rows(stream)
    assert line["row_id"] == "e0:1:delivered"
    assert "refused the row: invalid: bad value" in line["reason"]


def test_submit_returns_while_the_store_is_blocked_and_a_full_buffer_spills_to_the_console() -> None:
    store, stream = FakeStore(), io.StringIO()
    store.release.clear()
    log_writer = writer(store, stream, batch_max=1, buffer_max=2)
    log_writer.submit(rows(1, "first"))
    assert store.entered.wait(timeout=10)  # the insert is in flight and blocked
    log_writer.submit(rows(4))  # returns at once: two fit, two spill
    assert [line["row_id"] for line in console_rows(stream)] == ["e2:1:delivered", "e3:1:delivered"]
    assert all(line["reason"] == "log buffer full" for line in console_rows(stream))
    store.release.set()
    log_writer.close()
    assert sorted(store.stored) == ["e0:1:delivered", "e1:1:delivered", "first0:1:delivered"]


def test_close_keeps_the_rows_of_an_insert_stuck_past_the_deadline() -> None:
    store, stream = FakeStore(), io.StringIO()
    store.release.clear()
    log_writer = writer(store, stream)
    log_writer.submit(rows(2))
    log_writer.flush(timeout_s=0.01)
    assert store.entered.wait(timeout=10)
    log_writer.close(time.monotonic() + 0.1)  # returns after the deadline although the insert never ends
    lines = console_rows(stream)
    assert [line["row_id"] for line in lines] == ["e0:1:delivered", "e1:1:delivered"]
    assert {line["reason"] for line in lines} == {"shutdown while the insert was in flight"}
    store.release.set()


def test_rows_submitted_after_close_go_to_the_console() -> None:
    store, stream = FakeStore(), io.StringIO()
    log_writer = writer(store, stream)
    log_writer.close()
    log_writer.submit(rows(1))
    assert [line["reason"] for line in console_rows(stream)] == ["log writer closed"]
    assert store.calls == []


def test_flush_waits_until_queued_rows_are_written() -> None:
    store, stream = FakeStore(), io.StringIO()
    log_writer = writer(store, stream)
    log_writer.submit(rows(3))
    assert log_writer.flush(timeout_s=10)
    assert len(store.stored) == 3
    log_writer.close()


def test_an_unexpected_store_error_is_retried_like_an_outage_and_the_thread_survives() -> None:
    def broken(batch: Sequence[PendingRow]) -> list[RowFailure]:
        raise RuntimeError("bug")

    store, stream = FakeStore(broken, "ok"), io.StringIO()
    log_writer = writer(store, stream, flush_s=0.01)
    log_writer.submit(rows(1))
    assert wait_until(lambda: store.stored == ["e0:1:delivered"])
    log_writer.submit(rows(1, "later"))
    assert wait_until(lambda: "later0:1:delivered" in store.stored)
    log_writer.close()
    assert stream.getvalue() == ""
