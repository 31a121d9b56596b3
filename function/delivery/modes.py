"""The delivery the web layer holds: every event sent by the mode its request chose.

Awaited delivery is always there: it takes what a background mode declines. A new mode is one
class with `send` and `close` (base.py) and one entry in the `background` table app.py builds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from function.delivery.awaited import Awaited
from function.delivery.base import Delivery, Sent, Taken
from function.delivery.deliverer import Outgoing


class ByMode:
    """Routes each event by `Outgoing.delivery`: a background mode by its name, awaited otherwise."""

    def __init__(self, awaited: Awaited, background: Mapping[str, Delivery]) -> None:
        self._awaited = awaited
        self._background = dict(background)

    def send(self, items: Sequence[Outgoing]) -> Sent:
        """Every event's outcome, in order; declined events go awaited after the awaited ones.

        Every background mode is sent its share, even an empty one: that wakes its threads, which
        request-based billing froze while no request ran.
        """
        taken: dict[int, Taken] = {}
        declined: list[Outgoing] = []
        for name, mode in self._background.items():
            share = [item for item in items if item.delivery == name]
            for item, answer in zip(share, mode.send(share).taken, strict=True):
                if answer is None:
                    declined.append(item)
                else:
                    taken[id(item)] = answer
        awaited = [item for item in items if item.delivery not in self._background] + declined
        sent = self._awaited.send(awaited)
        taken.update((id(item), answer) for item, answer in zip(awaited, sent.taken, strict=True) if answer)
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
