"""Optimistic delivery: a bounded queue, coalesced per (ad account, test mode), sent by a worker thread.

The thread starts on first use in the serving process and the final flush runs from that
process's atexit (see worker.py for the gunicorn facts behind both).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from function.delivery import Batch, Deliverer, Item
from function.journal import EventRecord, Journal
from function.worker import ProcessThread

# 30 s: how long the worker keeps retrying one batch while the instance is healthy.
RETRY_WINDOW_S = 30.0
# 6.5 s: the shutdown flush deadline, inside Cloud Run's 10 s between SIGTERM and SIGKILL.
SHUTDOWN_GRACE_S = 6.5
# 1 s: how long past the deadline close() waits for a call the worker still has in flight.
_JOIN_SLACK_S = 1.0


@dataclass
class _Group:
    """Events waiting for one (ad account, test mode) call, and when the oldest arrived."""

    items: list[Item]
    since: float


class BackgroundSender:
    """Accepts events at once and delivers them in batches of up to `batch_max`, losing none.

    Every accepted event ends delivered, failed (Pinterest said no, or retries ran out) or
    dropped (shutdown came first) — the last two with their payload in the journal.
    """

    def __init__(self, deliverer: Deliverer, journal: Journal, *, batch_max: int, batch_wait_s: float,
                 queue_max: int, grace_s: float = SHUTDOWN_GRACE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._deliverer = deliverer
        self._journal = journal
        self._batch_max = batch_max
        self._batch_wait_s = batch_wait_s
        self._queue_max = queue_max
        self._grace_s = grace_s
        self._clock = clock
        self._cond = threading.Condition()
        self._groups: dict[tuple[str, bool], _Group] = {}
        self._queued = 0
        self._closing = False
        self._shutdown_at = float("inf")
        self._in_flight: dict[str, Batch] = {}
        self._worker = ProcessThread("pinterest-sender", self._run)
        self._exit_hook = False

    @property
    def closing(self) -> bool:
        return self._closing

    def submit(self, items: Sequence[Item]) -> bool:
        """Queue all of `items`, or none when the queue is full or closing (the caller then sends them)."""
        with self._cond:
            if self._closing or self._queued + len(items) > self._queue_max:
                return False
            now = self._clock()
            for item in items:
                group = self._groups.setdefault((item.ad_account_id, item.test), _Group([], now))
                group.items.append(item)
            self._queued += len(items)
            self._ensure_worker()
            self._cond.notify()
        return True

    def poke(self) -> None:
        """Wake the worker: with request-based billing it was frozen while no request ran."""
        with self._cond:
            if self._queued:
                self._ensure_worker()
                self._cond.notify()

    def close(self) -> None:
        """Stop taking work, deliver what is queued within the grace period, drop the rest on record."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._shutdown_at = self._clock() + self._grace_s
            self._cond.notify_all()
        self._worker.join(self._shutdown_at - self._clock() + _JOIN_SLACK_S)
        self._drain()
        with self._cond:
            stuck = list(self._in_flight.values())  # the worker never came back from these calls
            self._in_flight.clear()
        for batch in stuck:
            self._drop(batch, "shutdown while the call was in flight; outcome unknown")

    def _ensure_worker(self) -> None:
        """Start the worker in this process (called with the lock held); the exit hook once, at first use."""
        self._worker.ensure_started()
        if not self._exit_hook:
            self._worker.on_exit(self.close)
            self._exit_hook = True

    def _run(self) -> None:
        """Wait for a due batch, send it, repeat; on close, drain and stop."""
        while True:
            with self._cond:
                due = self._take_due()
                while not due and not self._closing:
                    self._cond.wait(self._seconds_to_next_due())
                    due = self._take_due()
                if not due and self._closing:
                    return
            for batch in due:
                self._send(batch)

    def _drain(self) -> None:
        """Deliver everything still queued until the shutdown deadline, then record the rest as dropped."""
        while True:
            with self._cond:
                due = self._take_due(everything=True)
            if not due:
                return
            for batch in due:
                self._send(batch)

    def _take_due(self, everything: bool = False) -> list[Batch]:
        """Pop the batches that are full or old enough (all of them when closing); lock held."""
        now = self._clock()
        due = []
        for key, group in list(self._groups.items()):
            full = len(group.items) >= self._batch_max
            if not (everything or self._closing or full or now - group.since >= self._batch_wait_s):
                continue
            taken, rest = group.items[:self._batch_max], group.items[self._batch_max:]
            due.append(Batch(key[0], key[1], tuple(taken)))
            if rest:
                group.items, group.since = rest, now
            else:
                del self._groups[key]
            self._queued -= len(taken)
        return due

    def _seconds_to_next_due(self) -> float | None:
        """How long until the oldest group is due; None (wait for a submit) when nothing is queued."""
        if not self._groups:
            return None
        oldest = min(group.since for group in self._groups.values())
        return max(oldest + self._batch_wait_s - self._clock(), 0.0)

    def _send(self, batch: Batch) -> None:
        """Deliver one batch within the retry window, or drop it on record once shutdown has passed."""
        if self._clock() >= self._shutdown_at:
            self._drop(batch, "shutdown grace period ended before delivery")
            return
        started = self._clock()
        with self._cond:
            self._in_flight[batch.batch_id] = batch
        try:
            self._deliverer.deliver(batch, "optimistic",
                                    lambda: min(started + RETRY_WINDOW_S, self._shutdown_at))
        except Exception as exc:  # the worker must survive anything and keep the record
            self._drop(batch, f"delivery error: {type(exc).__name__}")
        finally:
            with self._cond:
                self._in_flight.pop(batch.batch_id, None)

    def _drop(self, batch: Batch, reason: str) -> None:
        self._journal.record([
            EventRecord(outcome="dropped", event_id=item.payload.get("event_id"),
                        event_name=item.payload.get("event_name"), payload=item.payload, reason=reason,
                        ad_account_id=batch.ad_account_id, test_mode=batch.test, delivery="optimistic",
                        batch_id=batch.batch_id, batch_size=len(batch.items), trace_id=item.trace_id,
                        ga4_event_name=item.ga4_event_name, tag_name=item.tag_name, debug=item.debug)
            for item in batch.items
        ])
