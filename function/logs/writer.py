"""Writes log rows to the store from a background thread, in batches, never holding up an event.

The thread starts on first use in the process that serves requests (see process_thread.py); the
instance's shutdown hook (app.py) closes it after the sender has journaled its last events. Rows
that cannot be stored (buffer full, store down past the retries, shutdown deadline) go to the
console as structured JSON with the full row.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from function import retry
from function.logs.console import ConsoleLog
from function.logs.store import LogStore, PendingRow, StoreUnavailable
from function.process_thread import Pending, ProcessThread, seconds_to_due, take_due

if TYPE_CHECKING:
    import tenacity

# 10000 rows (about 30 MB at 3 KB a row): held in memory at most; beyond it rows go to the console.
BUFFER_MAX = 10_000
# 4 inserts per batch: the first and three retries, 0.5 s, 1 s, 2 s apart (capped at 8 s).
INSERT_ATTEMPTS = 4
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 8.0
# 0.5 s: how long past its deadline close() waits for an insert still in flight.
_JOIN_SLACK_S = 0.5


class LogWriter:
    """Buffers rows and inserts them `batch_max` at a time, or once the oldest waited `flush_s`."""

    def __init__(self, store: LogStore, log: ConsoleLog, *, batch_max: int, flush_s: float,
                 buffer_max: int = BUFFER_MAX, attempts: int = INSERT_ATTEMPTS,
                 backoff_s: float = BACKOFF_FIRST_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self._log = log
        self._batch_max = batch_max
        self._flush_s = flush_s
        self._buffer_max = buffer_max
        self._clock = clock
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._cond = threading.Condition()
        self._rows: Pending[PendingRow] = Pending()
        self._in_flight: list[PendingRow] = []
        self._closing = False
        self._shutdown_at = math.inf
        self._worker = ProcessThread("log-writer", self._run)
        # Built once, at the first retry (tenacity keeps each call's state per thread): one per batch
        # made a write 55 us slower.
        self._retrying: tenacity.Retrying | None = None

    def submit(self, rows: Sequence[PendingRow]) -> None:
        """Queue rows without waiting; what does not fit (or comes after close) goes to the console."""
        with self._cond:
            room = 0 if self._closing else max(self._buffer_max - len(self._rows.items), 0)
            taken, overflow = rows[:room], rows[room:]
            if taken:
                was_empty = not self._rows.items
                self._rows.add(list(taken), self._clock())
                self._worker.ensure_started()
                # Wake the thread only when it must: to time a new oldest row, or for a full batch.
                # Waking it for every row cost each request a thread switch for nothing.
                if was_empty or len(self._rows.items) >= self._batch_max:
                    self._cond.notify()
        why = "log writer closed" if self._closing else "log buffer full"
        self._to_console(overflow, why)

    def flush(self, timeout_s: float) -> bool:
        """Wait until every queued row has been handled; False if `timeout_s` passed first."""
        deadline = self._clock() + timeout_s
        with self._cond:
            while self._rows.items or self._in_flight:
                if not self._worker.alive:
                    break
                left = deadline - self._clock()
                if left <= 0:
                    return False
                self._rows.since = -math.inf  # what is queued is due now
                self._cond.notify_all()
                self._cond.wait(min(left, 0.05))
        self._drain()
        return True

    def close(self, until: float = math.inf) -> None:
        """Stop taking rows, write the queue by `until`, send the rest to the console."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._shutdown_at = until
            self._cond.notify_all()
        if not self._worker.join(until - self._clock() + _JOIN_SLACK_S):
            # stuck in an insert: its rows may never land, so keep them
            self._to_console(list(self._in_flight), "shutdown while the insert was in flight")
        self._drain()

    def _run(self) -> None:
        """Take a due batch, write it, repeat; on close, write what is left and stop."""
        while True:
            with self._cond:
                batch = self._take()
                while not batch and not self._closing:
                    self._cond.wait(self._wait_s())
                    batch = self._take()
                if not batch:
                    self._cond.notify_all()
                    return
                self._in_flight = batch
            try:
                self._write(batch)
            finally:
                with self._cond:
                    self._in_flight = []
                    self._cond.notify_all()

    def _drain(self) -> None:
        """Write whatever is still queued, in this thread (after close, or with no thread running)."""
        while True:
            with self._cond:
                self._rows.since = -math.inf  # what is queued is due now
                batch = self._take()
            if not batch:
                return
            self._write(batch)

    def _take(self) -> list[PendingRow]:
        """A batch when it is full, old enough or the writer is closing (lock held)."""
        return take_due(self._rows, self._clock(), self._batch_max, self._flush_s, everything=self._closing)

    def _wait_s(self) -> float | None:
        """Until the oldest row is due; None (wait for a submit) when nothing is queued."""
        return seconds_to_due(self._rows, self._clock(), self._flush_s)

    def _write(self, batch: list[PendingRow]) -> None:
        """Insert with the shared retry strategy: tenacity's loop, delivery's stop rule (attempts or the
        shutdown deadline), doubling waits. Only the rows still refused for a passing reason are
        re-sent; rows refused for good, or left after the last try, go to the console."""
        if self._clock() >= self._shutdown_at:
            self._to_console(batch, "the shutdown budget ended before the insert")
            return
        rest, error = self._insert(batch)
        if not rest:
            return

        def attempt() -> tuple[list[PendingRow], str]:
            nonlocal rest
            rest, error = self._insert(rest)
            return rest, error

        retry.retried((rest, error), attempt, self._policy)

    def _policy(self) -> tenacity.Retrying:
        """The retry loop of every batch, made at the first retry."""
        if self._retrying is None:
            import tenacity  # at the first retry, not at start-up

            self._retrying = tenacity.Retrying(
                stop=retry.stop_strategy(self._attempts, lambda: self._shutdown_at, self._clock),
                wait=tenacity.wait_exponential(multiplier=self._backoff_s, max=BACKOFF_MAX_S),
                retry=tenacity.retry_if_result(lambda left: bool(left[0])),
                retry_error_callback=self._give_up,
                sleep=self._pause,
            )
        return self._retrying

    def _insert(self, rows: list[PendingRow]) -> tuple[list[PendingRow], str]:
        """One insert: the rows worth another try and why ([] when none); rows refused for good go to
        the console. Never raises, so a store bug neither ends the thread nor loses the rows."""
        try:
            failures = self.store.insert(rows)
        except StoreUnavailable as exc:
            return rows, str(exc)
        except Exception as exc:
            return rows, f"{type(exc).__name__} in the {self.store.name} store"
        for failure in failures:
            if not failure.retryable:
                self._to_console([rows[failure.index]],
                                 f"{self.store.name} refused the row: {failure.reason}")
        passing = [f for f in failures if f.retryable]
        return [rows[f.index] for f in passing], "; ".join(sorted({f.reason for f in passing}))

    def _give_up(self, state: tenacity.RetryCallState) -> None:
        """After the last try (or when the next wait would pass the deadline): the rest to the console."""
        assert state.outcome is not None
        rest, error = state.outcome.result()
        self._to_console(rest, f"{self.store.name} insert failed after {state.attempt_number} attempts: "
                               f"{error}")

    def _pause(self, delay: float) -> None:
        """Back off before the next try; a close cuts it short."""
        with self._cond:
            self._cond.wait_for(lambda: self._clock() + delay >= self._shutdown_at, timeout=delay)

    def _to_console(self, rows: Sequence[PendingRow], reason: str) -> None:
        """One ERROR line per row with the full row, so Cloud Logging keeps what the store did not."""
        for pending in rows:
            self._log.write("ERROR", "log row not stored", pending.row.get("trace_id"), reason=reason,
                            row_id=pending.row_id, log_row=pending.row)
