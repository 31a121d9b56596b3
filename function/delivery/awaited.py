"""Awaited delivery: the caller waits while its events go to Pinterest, retried within one deadline.

The deadline covers every call and every wait of the request, Retry-After and Pub/Sub's acks
included (modes.py starts it), so the caller is answered in time for its tag (README, "Tag
timeouts"). Events whose retries do not fit are not abandoned: `hand_off` (the optimistic sender)
takes them and they are answered queued, with the reason; when it cannot (full, shutting down),
failed. Events `kept` (their request chose pubsub, which declined them) are never handed off: an
in-memory sender cannot keep pubsub's promise, so what does not fit is answered failed, with why.

A call is never cut by the deadline, as a cut call may still reach Pinterest and its re-send would
deliver the event twice. Each batch's delivery runs in a pool thread: at the deadline the caller is
answered queued (failed for kept events) while the call goes on (bounded by PINTEREST_TIMEOUT_S),
and its outcome is settled there: delivered, handed off when retryable (after Retry-After), or
failed. When `max_calls` deliveries are under way (the continuing ones included) a batch is not
called: it is handed off at once, so the connection pool sized for them is never exceeded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from function import retry
from function.credentials.tokens import TokenUnavailable
from function.delivery.base import Sent, Taken
from function.delivery.deliverer import Attempt, Batch, Deliverer, HandOff, Outgoing, batches
from function.limits import EVENTS_PER_CALL
from function.outcomes import Outcome
from function.pipeline.options import DeliveryMode
from function.process_thread import Workers

# How awaited attempts are marked in the `delivery` column.
MODE = DeliveryMode.AWAITED
# What the caller and the log are told of a call still under way at the deadline.
STILL_CALLING = "no answer from Pinterest within the deadline; the call goes on in the background"
# Why a batch was not called: the request's earlier calls used up the deadline.
NO_TIME_LEFT = "no time left before the deadline"
# Why a batch was not called: every call slot is taken.
ALL_CALLS_BUSY = "all awaited calls to Pinterest are under way"
# What the caller is told of a kept event's call still under way at the deadline: not queued, as
# only memory holds it; the caller may send it again (same event_id: Pinterest deduplicates).
STILL_CALLING_KEPT = ("no answer from Pinterest within the deadline and Pub/Sub did not take the event: "
                      "not queued; the call goes on and its outcome is logged")
# Why a batch was not called: there was no token for its ad account (another batch was sent).
NO_TOKEN = "token unavailable"  # noqa: S105 - a reason, not a secret
# Why a continuing call's events are dropped: the shutdown budget ended first.
STUCK_AT_SHUTDOWN = "shutdown while the call was in flight; outcome unknown"


@dataclass(eq=False)
class _Delivery:
    """One batch's delivery in a pool thread, and who settles it; every field guarded by `changed`.

    Until the caller is answered the outcome is the caller's; once `answered`, the pool thread's.
    `settling` marks the calls over: the caller then waits for the outcome, which is only moments away.
    """

    batch: Batch
    changed: threading.Condition = field(default_factory=threading.Condition)
    attempt: Attempt | None = None
    error: BaseException | None = None
    done: bool = False
    settling: bool = False
    answered: bool = False


class Awaited:
    """One call per ad account and test mode, all of them retried within `deadline_s` of the send."""

    def __init__(self, deliverer: Deliverer, deadline_s: float, *, hand_off: HandOff | None = None,
                 max_calls: int = 8, clock: Callable[[], float] = time.monotonic) -> None:
        self._deliverer = deliverer
        self._deadline_s = deadline_s
        self._hand_off = hand_off
        self._clock = clock
        self._calls = Workers("pinterest-awaited", max_calls)
        self._lock = threading.Lock()
        self._continuing: set[_Delivery] = set()  # answered, call under way; guarded by _lock
        self._stop_at = float("inf")

    def deadline(self) -> float:
        """The deadline of a request whose delivery starts now (monotonic)."""
        return self._clock() + self._deadline_s

    def send(self, items: Sequence[Outgoing], *, deadline: float | None = None,
             kept: Collection[Outgoing] = (), whole: bool = True) -> Sent:
        """Each event delivered, queued (handed off, or its call goes on) or failed, with Pinterest's
        final attempt per call; `kept` events (among `items`) are never handed off.

        With `whole` (nothing else of the request was taken), TokenUnavailable goes up while no batch
        was sent, and the request is answered 503; after that a batch without a token is failed.
        """
        deadline = self.deadline() if deadline is None else deadline
        kept_ids = {id(item) for item in kept}
        shares = [(batch, False) for batch in batches(
            [item for item in items if id(item) not in kept_ids], EVENTS_PER_CALL)]
        shares += [(batch, True) for batch in batches([item for item in items if id(item) in kept_ids],
                                                      EVENTS_PER_CALL)]
        taken: dict[int, Taken] = {}
        attempts: list[Attempt] = []
        for batch, keep in shares:
            try:
                attempt = self._deliver(batch, deadline, keep=keep)
            except TokenUnavailable:
                if whole and not attempts:
                    raise
                attempt = self._deliverer.pass_on(batch, MODE, NO_TOKEN, None)
            attempts.append(attempt)
            taken.update(zip(map(id, batch.items), _taken(attempt), strict=True))
        return Sent(tuple(taken[id(item)] for item in items), tuple(attempts))

    def refuse(self, items: Sequence[Outgoing], reason: str) -> tuple[Taken, ...]:
        """Events a mode refused after others of their request were taken: failed on record, saying why."""
        taken: dict[int, Taken] = {}
        for batch in batches(items, EVENTS_PER_CALL):
            taken.update(zip(map(id, batch.items), _taken(self._deliverer.pass_on(batch, MODE, reason, None)),
                             strict=True))
        return tuple(taken[id(item)] for item in items)

    def _deliver(self, batch: Batch, deadline: float, *, keep: bool) -> Attempt:
        """The batch's final attempt by the deadline, or its call going on (still_calling); a kept
        batch is not handed off, and its call going on is answered failed (handed_off False)."""
        hand_off = None if keep else self._hand_off
        if deadline - self._clock() < retry.MIN_CALL_S:
            return self._deliverer.pass_on(batch, MODE, NO_TIME_LEFT, hand_off)
        delivery = _Delivery(batch)
        if not self._calls.run(lambda: self._run(delivery, deadline, hand_off)):
            return self._deliverer.pass_on(batch, MODE, ALL_CALLS_BUSY, hand_off)
        with delivery.changed:
            answer_by = min(deadline, self._stop_at)
            delivery.changed.wait_for(lambda: delivery.done or delivery.settling,
                                      timeout=max(answer_by - self._clock(), 0.0))
            if not (delivery.done or delivery.settling):
                delivery.answered = True
                with self._lock:
                    self._continuing.add(delivery)
                # Under `changed`: this row is journaled before the outcome's (settling waits for it).
                if keep:
                    going = self._deliverer.still_calling(batch, MODE, STILL_CALLING_KEPT)
                    return going._replace(handed_off=False)
                return self._deliverer.still_calling(batch, MODE, STILL_CALLING)
            delivery.changed.wait_for(lambda: delivery.done)
        if delivery.error is not None:
            raise delivery.error
        assert delivery.attempt is not None
        return delivery.attempt

    def _run(self, delivery: _Delivery, deadline: float, hand_off: HandOff | None) -> None:
        """In a pool thread: the delivery, its calls not cut by the deadline, settled by whoever owns it."""

        def settling() -> None:
            with delivery.changed:
                delivery.settling = not delivery.answered
                delivery.changed.notify_all()

        attempt, error = None, None
        try:
            attempt = self._deliverer.deliver(delivery.batch, MODE, lambda: deadline, hand_off=hand_off,
                                              cut=False, settling=settling)
        except Exception as exc:  # the caller's to raise (TokenUnavailable: 503); else recorded here
            error = exc
        with delivery.changed:
            delivery.attempt, delivery.error, delivery.done = attempt, error, True
            delivery.changed.notify_all()
            answered = delivery.answered
        if answered:
            with self._lock:
                self._continuing.discard(delivery)
            if error is not None:
                self._deliverer.pass_on(delivery.batch, MODE, f"delivery error: {type(error).__name__}", None)

    def stop_by(self, until: float) -> None:
        """Shutdown, first step: calls to come, and retries, end by `until`; callers are answered by it."""
        self._stop_at = until
        self._deliverer.stop_by(until)

    def close(self, until: float) -> None:
        """Shutdown, last step: wait (until `until`) for the sends under way, the continuing calls
        included, to journal their outcome; a call still in flight then is journaled dropped (its
        late answer, if any, is journaled too)."""
        self.stop_by(until)
        self._deliverer.wait_idle(until)
        with self._lock:
            stuck = [delivery for delivery in self._continuing if not delivery.done]
        for delivery in stuck:
            self._deliverer.drop(delivery.batch, MODE, STUCK_AT_SHUTDOWN)


def _taken(attempt: Attempt) -> list[Taken]:
    """Each event's answer: delivered, queued when handed off (or its call goes on), else failed."""
    return [Taken(Outcome.DELIVERED if outcome.delivered else Outcome.QUEUED if attempt.handed_off
                  else Outcome.FAILED, outcome.error) for outcome in attempt.outcomes]
