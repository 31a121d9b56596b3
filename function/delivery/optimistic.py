"""Optimistic delivery: a queue bounded in events and bytes, one sending lane per ad account.

Each ad account has a lane: a thread that sends that account's batches (one per test mode) one
call at a time. A 429 with Retry-After, a slow answer or an outage of one account holds that lane
only, never another account's events; and an instance never has more than one call in flight per
ad account, Pinterest's unit of rate limiting (see Pinterest's rate limits: per ad account, per
minute). Lanes start on first use in the serving process (see process_thread.py); there are at most as
many as allowed ad accounts.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from function.delivery.base import Sent, Taken
from function.delivery.deliverer import Batch, Deliverer, Outgoing, dropped_records
from function.errors import ServiceUnavailable
from function.logs.journal import Journal
from function.outcomes import Outcome
from function.pipeline import validate
from function.pipeline.options import DeliveryMode
from function.process_thread import Pending, ProcessThread, seconds_to_due, take_due

# 30 s: how long a lane keeps retrying one batch while the instance is healthy.
RETRY_WINDOW_S = 30.0
# 30 s: the longest Pinterest's Retry-After holds a lane (a hand-off's `not_before`): "Retry-After:
# 86400" would freeze the account's events for a day, and a value past threading.TIMEOUT_MAX would
# kill the lane's thread. A batch sent early is answered 429 again and retried as usual.
MAX_HOLD_S = RETRY_WINDOW_S


def queued_bytes(item: Outgoing) -> int:
    """What one event counts against PINTEREST_QUEUE_MAX_BYTES: its JSON as it will be sent (the size
    the build measured, when it did: encoding it again cost as much as a tenth of a request)."""
    if item.size is not None:
        return item.size
    return validate.compact_size(item.payload)


class _Queued(NamedTuple):
    item: Outgoing
    size: int


@dataclass(eq=False)
class _Lane:
    """One ad account's events (a Pending per test mode), its thread and the call it has in flight.

    Every field is guarded by the sender's lock, which `wake` is a condition of.
    """

    account: str
    wake: threading.Condition
    groups: dict[bool, Pending[_Queued]] = field(default_factory=dict)
    in_flight: Batch | None = None
    hold_until: float = 0.0  # Pinterest's Retry-After for an account handed off by awaited delivery
    thread: ProcessThread = field(init=False)


class BackgroundSender:
    """Accepts events at once and delivers them in batches of up to `batch_max`, losing none.

    Every accepted event ends delivered, failed (Pinterest said no, or retries ran out) or
    dropped (shutdown came first) — the last two with their payload in the journal.
    """

    def __init__(self, deliverer: Deliverer, journal: Journal, *, batch_max: int, batch_wait_s: float,
                 queue_max: int, queue_max_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._deliverer = deliverer
        self._journal = journal
        self._batch_max = batch_max
        self._batch_wait_s = batch_wait_s
        self._queue_max = queue_max
        self._queue_max_bytes = queue_max_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self._lanes: dict[str, _Lane] = {}
        self._queued = 0  # events waiting in all lanes
        self._queued_bytes = 0  # and their size, as queued_bytes counts it
        self._closing = False
        self._shutdown_at = math.inf

    def send(self, items: Sequence[Outgoing]) -> Sent:
        """All of `items` queued, or all declined when the queue is full (they are then delivered
        awaited); once closing, ServiceUnavailable: the caller sends again, to another instance.
        Every send wakes the lanes first."""
        self.poke()
        if not items:
            return Sent(())
        if self.submit(items):
            return Sent((Taken(Outcome.QUEUED),) * len(items))
        if self._closing:
            raise ServiceUnavailable("the instance is shutting down; send again")
        return Sent((None,) * len(items))

    def take_over(self, items: Sequence[Outgoing], not_before: float) -> str | None:
        """Awaited delivery's hand-off (deliverer.HandOff): its batch is queued, and its lane sends
        nothing before `not_before` (Pinterest's Retry-After, at most MAX_HOLD_S from now) unless
        closing. None, or why not."""
        if self.submit(items, not_before=not_before):
            return None
        return "the instance is shutting down" if self._closing else "its queue is full"

    def submit(self, items: Sequence[Outgoing], *, not_before: float = 0.0) -> bool:
        """Queue all of `items`, or none when the queue is full (in events or bytes) or closing;
        the caller then sends them itself."""
        queued = [_Queued(item, queued_bytes(item)) for item in items]
        size = sum(entry.size for entry in queued)
        with self._lock:
            if (self._closing or self._queued + len(queued) > self._queue_max
                    or self._queued_bytes + size > self._queue_max_bytes):
                return False
            now = self._clock()
            lanes, woken = {}, {}
            for entry in queued:
                lane = self._lane(entry.item.ad_account_id)
                group = lane.groups.setdefault(entry.item.test, Pending())
                if not group.items:  # a new oldest event: the lane must time it
                    woken[id(lane)] = lane
                group.add([entry], now)
                if len(group.items) >= self._batch_max:  # a full batch is due now
                    woken[id(lane)] = lane
                lane.hold_until = max(lane.hold_until, min(not_before, now + MAX_HOLD_S))
                lanes[id(lane)] = lane
            self._queued += len(queued)
            self._queued_bytes += size
            for lane in lanes.values():
                lane.thread.ensure_started()
            # Wake a lane only when it must; one woken for every request cost each a thread switch
            # for nothing (its wait is timed from its oldest event, which a later one does not move).
            for lane in woken.values():
                lane.wake.notify()
        return True

    def poke(self) -> None:
        """Wake the lanes whose batch is due: with request-based billing they were frozen while no request
        ran, and a timed wait may have ended unseen. A lane not due yet is woken by its own wait."""
        with self._lock:
            for lane in self._lanes.values():
                wait = self._seconds_to_due(lane)
                if wait is not None:
                    lane.thread.ensure_started()
                    if wait <= 0:
                        lane.wake.notify()

    def close(self, until: float = math.inf) -> None:
        """Stop taking work at once; deliver what is queued by `until`, drop the rest on record.

        After `until` only this thread touches the queues: what is left, and the batch of a call
        still in flight (its outcome unknown; a late answer is journaled too), is dropped on record.
        """
        with self._lock:
            if self._closing:
                return
            self._closing = True
            self._shutdown_at = until
            lanes = list(self._lanes.values())
            for lane in lanes:
                lane.wake.notify_all()
        for lane in lanes:
            lane.thread.join(until - self._clock())
        for lane in lanes:
            if not lane.thread.alive:
                self._drain(lane)  # no thread of this process serves it
            with self._lock:
                stuck, lane.in_flight = lane.in_flight, None
                left = []
                while batch := self._take(lane, everything=True):
                    left.append(batch)
            if stuck is not None:
                self._drop(stuck, "shutdown while the call was in flight; outcome unknown")
            for batch in left:
                self._drop(batch, "the shutdown budget ended before delivery")

    def _lane(self, account: str) -> _Lane:
        """The account's lane, made on first use (lock held)."""
        lane = self._lanes.get(account)
        if lane is None:
            lane = _Lane(account, threading.Condition(self._lock))
            lane.thread = ProcessThread(f"pinterest-{account}", lambda: self._run(lane))
            self._lanes[account] = lane
        return lane

    def _run(self, lane: _Lane) -> None:
        """Send the lane's due batches one at a time; once closing, its whole queue until the deadline."""
        while True:
            with self._lock:
                batch = self._next(lane)
                while batch is None and not self._closing:
                    lane.wake.wait(self._seconds_to_due(lane))
                    batch = self._next(lane)
            if batch is None:
                return
            self._send(lane, batch)

    def _drain(self, lane: _Lane) -> None:
        """What the lane's thread would do once closing, from this thread."""
        while True:
            with self._lock:
                batch = self._next(lane)
            if batch is None:
                return
            self._send(lane, batch)

    def _next(self, lane: _Lane) -> Batch | None:
        """The lane's next due batch, marked in flight; none once the shutdown deadline passed (lock held)."""
        now = self._clock()
        if now >= self._shutdown_at or (now < lane.hold_until and not self._closing):
            return None
        lane.in_flight = self._take(lane, everything=self._closing)
        return lane.in_flight

    def _take(self, lane: _Lane, *, everything: bool) -> Batch | None:
        """A due batch of the lane (test mode or not), taken off the queue (lock held)."""
        now = self._clock()
        for test, group in lane.groups.items():
            taken = take_due(group, now, self._batch_max, self._batch_wait_s, everything=everything)
            if taken:
                self._queued -= len(taken)
                self._queued_bytes -= sum(entry.size for entry in taken)
                return Batch(lane.account, test, tuple(entry.item for entry in taken))
        return None

    def _seconds_to_due(self, lane: _Lane) -> float | None:
        """Until the lane's oldest batch is due (and its hold over); None (wait for a submit) when it
        holds nothing."""
        now = self._clock()
        waits = [wait for group in lane.groups.values()
                 if (wait := seconds_to_due(group, now, self._batch_wait_s)) is not None]
        return None if not waits else max(min(waits), lane.hold_until - now)

    def _send(self, lane: _Lane, batch: Batch) -> None:
        """Deliver one batch within the retry window, ended by the shutdown deadline."""
        started = self._clock()
        try:
            self._deliverer.deliver(batch, DeliveryMode.OPTIMISTIC,
                                    lambda: min(started + RETRY_WINDOW_S, self._shutdown_at))
        except Exception as exc:  # the lane must survive anything and keep the record
            self._drop(batch, f"delivery error: {type(exc).__name__}")
        finally:
            with self._lock:
                if lane.in_flight is batch:
                    lane.in_flight = None

    def _drop(self, batch: Batch, reason: str) -> None:
        self._journal.record(dropped_records(batch, DeliveryMode.OPTIMISTIC, reason))
