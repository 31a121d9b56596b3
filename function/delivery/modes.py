"""The delivery the web layer holds: every event sent by the mode its request chose.

Awaited delivery is always there: it takes what a background mode declines. A new mode is one
class with `send` and `close` (base.py) and one entry in the `background` table app.py builds;
a mode whose promise is durability (pubsub) is also named in `durable`, so that what it declines
is never handed to the in-memory sender and answered `queued` (a crash would lose it).

One deadline covers the whole request, the background modes' waits (Pub/Sub's acks) included, so
the caller is answered in time for its tag. Once any event of the request was taken, a refusal
(shutting down, no token) fails only the refused share, each event saying why; the request is
answered 503 only when nothing of it was taken, so a caller's re-send never counts an event twice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from function.delivery.awaited import Awaited
from function.delivery.base import Delivery, Sent, Taken
from function.delivery.deliverer import Outgoing
from function.errors import ServiceUnavailable


class ByMode:
    """Routes each event by `Outgoing.delivery`: a background mode by its name, awaited otherwise."""

    def __init__(self, awaited: Awaited, background: Mapping[str, Delivery], *,
                 durable: Collection[str] = ()) -> None:
        self._awaited = awaited
        self._background = dict(background)
        self._durable = frozenset(durable)

    def send(self, items: Sequence[Outgoing]) -> Sent:
        """Every event's outcome, in order; declined events go awaited after the awaited ones.

        Every background mode is sent its share, even an empty one: that wakes its threads, which
        request-based billing froze while no request ran. ServiceUnavailable goes up only while
        nothing of the request was taken; after that the refused share is failed on record.
        """
        deadline = self._awaited.deadline()
        taken: dict[int, Taken] = {}
        declined: list[Outgoing] = []
        kept: list[Outgoing] = []  # declined by a durable mode: delivered awaited, never handed off
        for name, mode in self._background.items():
            share = [item for item in items if item.delivery == name]
            try:
                answers = mode.send(share).taken
            except ServiceUnavailable as exc:
                if not taken:
                    raise
                taken.update(zip(map(id, share), self._awaited.refuse(share, str(exc)), strict=True))
                continue
            for item, answer in zip(share, answers, strict=True):
                if answer is not None:
                    taken[id(item)] = answer
                else:
                    (kept if name in self._durable else declined).append(item)
        awaited = [item for item in items if item.delivery not in self._background] + declined
        sent = self._awaited.send(awaited + kept, deadline=deadline, kept=kept, whole=not taken)
        # Awaited delivery settles every event it is given: it declines none.
        taken.update((id(item), answer) for item, answer in zip(awaited + kept, sent.taken, strict=True)
                     if answer is not None)
        return Sent(tuple(taken[id(item)] for item in items), sent.attempts)

    def close(self, until: float) -> None:
        """Shutdown, in this order, all by `until`:

        1. awaited calls to come, and their retries, end by `until` (callers are answered by then);
        2. each background mode stops taking work (requests for it get 503) and delivers what it
           holds, or records it as dropped;
        3. the awaited sends still under way, and the calls that went on after their caller was
           answered, have journaled their outcome (a retryable one is now failed: the background no
           longer takes it); a call still in flight at `until` is recorded as dropped.
        """
        self._awaited.stop_by(until)
        for mode in self._background.values():
            mode.close(until)
        self._awaited.close(until)
