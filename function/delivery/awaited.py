"""Awaited delivery: the caller waits while its events go to Pinterest, retried within one deadline.

The deadline covers every call and every wait of the send, Retry-After included, and each call is
cut to what is left of it, so the caller is answered in time for its tag (README, "Tag timeouts").
Events whose retries do not fit are not abandoned: `hand_off` (the optimistic sender) takes them
and they are answered queued, with the reason; when it cannot (full, shutting down), failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from function.delivery.base import Sent, Taken
from function.delivery.deliverer import Deliverer, HandOff, Outgoing, batches
from function.limits import EVENTS_PER_CALL
from function.outcomes import Outcome

# How awaited attempts are marked in the `delivery` column.
MODE = "awaited"


class Awaited:
    """One call per ad account and test mode, all of them retried within `deadline_s` of the send."""

    def __init__(self, deliverer: Deliverer, deadline_s: float, *, hand_off: HandOff | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._deliverer = deliverer
        self._deadline_s = deadline_s
        self._hand_off = hand_off
        self._clock = clock

    def send(self, items: Sequence[Outgoing]) -> Sent:
        """Each event delivered, queued (handed off) or failed, with Pinterest's final attempt per call."""
        deadline = self._clock() + self._deadline_s
        taken: dict[int, Taken] = {}
        attempts = []
        for batch in batches(items, EVENTS_PER_CALL):
            # TokenUnavailable goes up: the whole request is answered 503.
            attempt = self._deliverer.deliver(batch, MODE, lambda: deadline, hand_off=self._hand_off)
            attempts.append(attempt)
            for item, outcome in zip(batch.items, attempt.outcomes, strict=True):
                status = (Outcome.DELIVERED if outcome.delivered
                          else Outcome.QUEUED if attempt.handed_off else Outcome.FAILED)
                taken[id(item)] = Taken(status, outcome.error)
        return Sent(tuple(taken[id(item)] for item in items), tuple(attempts))

    def stop_by(self, until: float) -> None:
        """Shutdown, first step: calls under way and to come end by `until`."""
        self._deliverer.stop_by(until)

    def close(self, until: float) -> None:
        """Shutdown, last step: wait (until `until`) for the sends under way to journal their outcome."""
        self._deliverer.stop_by(until)
        self._deliverer.wait_idle(until)
