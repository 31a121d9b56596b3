"""One verb for every delivery mode: `send` built events, learn each one's outcome; `close` at shutdown.

A mode is a class with these two methods (awaited.py, optimistic.py, pubsub.py).
modes.py's `ByMode` holds one of each and is what the web layer is given: it sends every
event by the mode its request chose, so the handler never knows which modes exist or how they loop.

A background mode may decline events it cannot take now (its queue is full): their entry in
`Sent.taken` is None, and `ByMode` delivers them awaited, in the same calls as the awaited ones
(a durable mode's in calls of their own, never handed to the in-memory sender).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from function.delivery.deliverer import Attempt, Outgoing
from function.outcomes import Outcome


class Taken(NamedTuple):
    """What became of one event: delivered, failed or queued, and why when it was not delivered."""

    outcome: Outcome
    error: str | None = None


class Sent(NamedTuple):
    """One entry per event sent, in the order given (None: declined, deliver it awaited), and the
    calls made to Pinterest while the caller waited (only awaited delivery makes any)."""

    taken: tuple[Taken | None, ...]
    attempts: tuple[Attempt, ...] = ()


class Delivery(Protocol):
    """A way of getting built events to Pinterest."""

    def send(self, items: Sequence[Outgoing]) -> Sent:
        """Deliver or accept `items` (possibly none: a background mode then only wakes its threads).

        Raises ServiceUnavailable when the instance is shutting down and the mode cannot take them,
        and TokenUnavailable when there is no token to call Pinterest with.
        """
        ...

    def close(self, until: float) -> None:
        """Shutdown: take no new work; by `until` (monotonic) every accepted event has its outcome."""
        ...
