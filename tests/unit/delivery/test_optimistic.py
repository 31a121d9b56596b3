"""The optimistic sender: coalescing, the bounded queue, and shutdown with nothing lost."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import pytest

from function.delivery.base import Taken
from function.delivery.deliverer import Attempt, Batch, EventOutcome, Outgoing
from function.delivery.optimistic import MAX_HOLD_S, BackgroundSender, queued_bytes
from function.errors import ServiceUnavailable
from function.outcomes import Outcome
from tests.doubles import Clock, ListJournal
from tests.processes import wait_until


class RecordingDeliverer:
    """Delivers instantly (or slowly, via the injected clock) and remembers every batch."""

    def __init__(self, on_deliver: Callable[[], None] = lambda: None) -> None:
        self.batches: list[Batch] = []
        self.lock = threading.Lock()
        self.on_deliver = on_deliver

    def deliver(self, batch: Batch, mode: str, deadline: Callable[[], float]) -> Attempt:
        with self.lock:
            self.batches.append(batch)
        self.on_deliver()
        return Attempt(1, [EventOutcome(True)] * len(batch.items))

    def event_ids(self) -> list[str]:
        with self.lock:
            return [item.payload["event_id"] for b in self.batches for item in b.items]




def items(count: int, account: str = "549000000001", test: bool = False, prefix: str = "e") -> list[Outgoing]:
    return [Outgoing({"event_id": f"{prefix}-{i}", "event_name": "checkout"}, account, test)
            for i in range(count)]


def sender(deliverer: RecordingDeliverer, journal: ListJournal, **overrides: float) -> BackgroundSender:
    options = {"batch_max": 1000, "batch_wait_s": 60.0, "queue_max": 10_000, "queue_max_bytes": 1 << 30,
               **overrides}
    return BackgroundSender(deliverer, journal, **options)  # type: ignore[arg-type]


def test_close_delivers_everything_queued_in_batches_of_at_most_the_maximum() -> None:
    deliverer, journal = RecordingDeliverer(), ListJournal()
    background = sender(deliverer, journal)
    assert background.submit(items(2500))
    background.close()
    assert sorted(len(b.items) for b in deliverer.batches) == [500, 1000, 1000]
    assert sorted(deliverer.event_ids()) == sorted(f"e-{i}" for i in range(2500))
    assert journal.records == []


def test_batches_never_mix_ad_accounts_or_test_mode() -> None:
    deliverer, journal = RecordingDeliverer(), ListJournal()
    background = sender(deliverer, journal)
    background.submit(items(3, "1", prefix="a") + items(2, "2", prefix="b") + items(2, "1", True, prefix="c"))
    background.close()
    keys = sorted((b.ad_account_id, b.test, len(b.items)) for b in deliverer.batches)
    assert keys == [("1", False, 3), ("1", True, 2), ("2", False, 2)]


def test_a_batch_is_sent_once_its_oldest_event_has_waited_without_any_other_call() -> None:
    deliverer, journal = RecordingDeliverer(), ListJournal()
    background = sender(deliverer, journal, batch_wait_s=0.05)
    background.submit(items(3))
    deadline = time.monotonic() + 5
    while len(deliverer.event_ids()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(deliverer.event_ids()) == ["e-0", "e-1", "e-2"]
    background.close()


def test_a_full_batch_is_sent_before_the_wait_ends() -> None:
    deliverer, journal = RecordingDeliverer(), ListJournal()
    background = sender(deliverer, journal, batch_max=10, batch_wait_s=3600)
    background.submit(items(10))
    deadline = time.monotonic() + 5
    while not deliverer.batches and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [len(b.items) for b in deliverer.batches] == [10]
    background.close()


def test_a_full_queue_refuses_the_whole_submission_and_keeps_what_it_had() -> None:
    deliverer, journal = RecordingDeliverer(), ListJournal()
    background = sender(deliverer, journal, queue_max=5)
    assert background.submit(items(4, prefix="kept"))
    assert not background.submit(items(2, prefix="refused"))
    background.close()
    assert sorted(deliverer.event_ids()) == [f"kept-{i}" for i in range(4)]


def test_after_close_nothing_is_accepted() -> None:
    background = sender(RecordingDeliverer(), ListJournal())
    background.close()
    assert not background.submit(items(1))


def test_events_left_when_the_shutdown_deadline_passes_are_dropped_on_record_with_their_payload() -> None:
    now = [0.0]
    journal = ListJournal()

    def slow() -> None:
        now[0] += 10  # each delivery outlasts the whole shutdown budget

    deliverer = RecordingDeliverer(on_deliver=slow)
    background = BackgroundSender(deliverer, journal, batch_max=1000, batch_wait_s=3600,  # type: ignore[arg-type]
                                  queue_max=100, queue_max_bytes=1 << 30, clock=lambda: now[0])
    # Three accounts, three batches, none due before close(): only the shutdown flush sends them.
    background.submit(items(2, "1", prefix="a") + items(2, "2", prefix="b") + items(2, "3", prefix="c"))
    background.close(until=5.0)
    delivered = deliverer.event_ids()
    dropped = [r for r in journal.records if r.outcome == "dropped"]
    assert dropped
    assert all(r.payload and r.payload["event_id"] == r.event_id for r in dropped)
    # The lanes run side by side: one may still be in its call when the clock passes the deadline,
    # and its batch is dropped as in flight (its outcome unknown; a late answer is journaled too).
    in_flight = {r.event_id for r in dropped
                 if r.reason == "shutdown while the call was in flight; outcome unknown"}
    left = {r.event_id for r in dropped if r.reason == "the shutdown budget ended before delivery"}
    assert len(left) + len(in_flight) == len(dropped)
    assert left.isdisjoint(delivered)
    assert left | in_flight | set(delivered) == {f"{prefix}-{n}" for prefix in "abc" for n in range(2)}


def test_a_call_still_in_flight_at_the_deadline_is_dropped_on_record() -> None:
    release = threading.Event()
    journal = ListJournal()
    deliverer = RecordingDeliverer(on_deliver=lambda: release.wait(10))
    background = sender(deliverer, journal, batch_wait_s=0.0)
    background.submit(items(2, prefix="stuck"))
    deadline = time.monotonic() + 5
    while not deliverer.batches and time.monotonic() < deadline:
        time.sleep(0.01)
    background.close(time.monotonic() + 0.1)
    release.set()
    dropped = sorted(r.event_id for r in journal.records if r.outcome == "dropped")
    assert dropped == ["stuck-0", "stuck-1"]
    assert {r.reason for r in journal.records} == {"shutdown while the call was in flight; outcome unknown"}


def test_an_account_held_by_its_call_does_not_delay_another_account() -> None:
    release = threading.Event()
    journal = ListJournal()
    delivered: list[str] = []

    class HeldForOne(RecordingDeliverer):
        def deliver(self, batch: Batch, mode: str, deadline: Callable[[], float]) -> Attempt:
            if batch.ad_account_id == "1":
                release.wait(10)  # a 429 with a long Retry-After, or a slow answer
            delivered.append(batch.ad_account_id)
            return super().deliver(batch, mode, deadline)

    background = sender(HeldForOne(), journal, batch_wait_s=0.0)  # type: ignore[arg-type]
    background.submit(items(1, "1", prefix="held"))
    background.submit(items(1, "2", prefix="free"))
    deadline = time.monotonic() + 5
    while "2" not in delivered and time.monotonic() < deadline:
        time.sleep(0.01)
    assert delivered == ["2"]  # account 2's event went out while account 1's call was still waiting
    release.set()
    background.close()
    assert sorted(delivered) == ["1", "2"]


def test_the_queue_is_bounded_in_bytes_as_well_as_events() -> None:
    deliverer, journal = RecordingDeliverer(), ListJournal()
    big = [Outgoing({"event_id": f"big-{i}", "event_source_url": "https://shop.example/" + "x" * 10_000},
                "549000000001", False) for i in range(10)]
    one = queued_bytes(big[0])
    background = sender(deliverer, journal, queue_max_bytes=one * 5)
    assert background.submit(big[:3])
    assert not background.submit(big[3:6])  # 6 events would be over the bytes, though far under 10,000
    assert background.submit(big[3:5])  # exactly at the bound
    assert not background.submit(big[5:6])
    background.close()
    assert sorted(deliverer.event_ids()) == sorted(f"big-{i}" for i in range(5))


def test_send_queues_everything_declines_everything_when_full_and_refuses_once_closing() -> None:
    deliverer, journal = RecordingDeliverer(), ListJournal()
    background = sender(deliverer, journal, queue_max=3)
    assert background.send(items(2)).taken == (Taken(Outcome.QUEUED),) * 2
    assert background.send(items(2, prefix="full")).taken == (None, None)  # to be delivered awaited
    assert background.send([]).taken == ()
    background.close()
    with pytest.raises(ServiceUnavailable, match="shutting down"):
        background.send(items(1, prefix="late"))
    assert sorted(deliverer.event_ids()) == ["e-0", "e-1"]


def test_a_hand_off_from_awaited_delivery_is_not_sent_before_pinterests_retry_after() -> None:
    sent_at: list[float] = []
    deliverer, journal = RecordingDeliverer(lambda: sent_at.append(time.monotonic())), ListJournal()
    background = sender(deliverer, journal, batch_wait_s=0.0)
    not_before = time.monotonic() + 0.5
    assert background.take_over(items(2), not_before) is None
    wait_until(lambda: bool(deliverer.batches), timeout_s=10)
    background.close()
    assert sorted(deliverer.event_ids()) == ["e-0", "e-1"]
    assert sent_at[0] >= not_before


@pytest.mark.parametrize("retry_after_s", [86400.0, math.inf])  # a day; "Retry-After: 9…9" reads as inf
def test_pinterests_retry_after_holds_a_lane_at_most_max_hold_s(retry_after_s: float) -> None:
    clock, deliverer = Clock(100.0), RecordingDeliverer()
    background = BackgroundSender(deliverer, ListJournal(), batch_max=10, batch_wait_s=0.0,  # type: ignore[arg-type]
                                  queue_max=10, queue_max_bytes=1 << 20, clock=clock)
    assert background.take_over(items(2), clock.now + retry_after_s) is None
    clock.now += MAX_HOLD_S + 0.1
    background.poke()  # the lane's wait was measured on its clock, which a test moves by hand
    wait_until(lambda: bool(deliverer.batches), timeout_s=10)
    assert sorted(deliverer.event_ids()) == ["e-0", "e-1"]
    background.close(clock.now + 5)


def test_a_hand_off_says_why_it_cannot_take_the_events() -> None:
    background = sender(RecordingDeliverer(), ListJournal(), queue_max=1)
    assert background.take_over(items(2), 0.0) == "its queue is full"
    background.close()
    assert background.take_over(items(1), 0.0) == "the instance is shutting down"
