"""The consumer of queued delivery: events pulled from the Pub/Sub subscription, sent in batches of 1000.

`Drainer.handle` is the one rule for a set of received messages: group them by (ad account, test
mode), send each batch through the `Deliverer` (its retries, token refresh, per-event outcomes and
log rows), then ack what was delivered and what failed for good, and nack what may succeed later,
so that Pub/Sub redelivers it with the subscription's backoff. A message older than the retry
window, one that is not a queued event at all (poison), or one holding an event the pipeline
could not have built (validated as replay validates a log row) is a final failure: logged and acked.
So is one at its last delivery (Pub/Sub's `delivery_attempt` reached the dead-letter policy's
max_delivery_attempts) that would be nacked: the dead-letter topic would take it with its last
row `retrying`, its story untold; it is recorded failed with its payload, for `replay`.
Two loops feed it: `drain` (a run with a time budget: the scheduled function and the command
line) and `Stream` (a streaming pull inside a Cloud Run service whose CPU is always allocated).
"""

from __future__ import annotations

import importlib
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from function.credentials.tokens import TokenUnavailable
from function.delivery.deliverer import Deliverer, Outgoing, batches
from function.delivery.pubsub import Message, decode, google_client
from function.limits import EVENTS_PER_CALL
from function.logs.console import ConsoleLog
from function.logs.journal import EventRecord, Journal
from function.outcomes import Outcome
from function.pipeline import validate
from function.pipeline.options import DeliveryMode
from function.process_thread import Pending, ProcessThread, seconds_to_due, take_due

K = TypeVar("K")  # how a message is acked: its ack id (pull) or the message itself (streaming pull)

# How delivered attempts are marked in the `delivery` column.
MODE = DeliveryMode.PUBSUB
# 30 s: how long one batch may keep retrying before it is left to Pub/Sub's redelivery; under the
# subscription's 60 s ack deadline, so a batch is settled before Pub/Sub hands it to another consumer.
BATCH_DEADLINE_S = 30.0
# Seconds the first pull of a round waits for messages, and each further one (a pull may return
# fewer than wait: the next is tried at once, and briefly).
PULL_TIMEOUT_S = 2.0
REFILL_TIMEOUT_S = 0.5
# 1 s doubling to 60 s: the wait before a streaming pull that ended by itself is opened again.
STREAM_BACKOFF_S = 1.0
STREAM_BACKOFF_CAP_S = 60.0


@dataclass
class Summary:
    """What a drain did, returned as JSON by the scheduled entry point and printed by the command."""

    pulled: int = 0
    delivered: int = 0
    failed: int = 0
    retrying: int = 0  # nacked: Pub/Sub redelivers them
    calls: int = 0  # batches sent to Pinterest (a batch's retries not counted)
    seconds: float = 0.0

    def add(self, other: Summary) -> None:
        self.pulled += other.pulled
        self.delivered += other.delivered
        self.failed += other.failed
        self.retrying += other.retrying
        self.calls += other.calls


class Received(NamedTuple, Generic[K]):
    """One message as pulled: how it is acked, its body, and Pub/Sub's count of its deliveries
    (None without a dead-letter policy)."""

    key: K
    data: bytes
    delivery_attempt: int | None = None


@dataclass
class Handled(Generic[K]):
    """The keys to ack and to nack, and the counts."""

    ack: list[K] = field(default_factory=list)
    nack: list[K] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)


class Drainer:
    """Delivers received messages and says which to ack. Its `Deliverer` must record a retryable last
    attempt as `retrying` (`retry_later=True`): Pub/Sub, not this call, makes the next attempt."""

    def __init__(self, deliverer: Deliverer, journal: Journal, *, retry_window_s: float,
                 allowed: Callable[[str], bool], max_delivery_attempts: int | None = None,
                 clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._deliverer = deliverer
        self._journal = journal
        self._retry_window_s = retry_window_s
        self._max_delivery_attempts = max_delivery_attempts  # PUBSUB_MAX_DELIVERY_ATTEMPTS
        self._allowed = allowed
        self._clock = clock
        self._monotonic = monotonic

    def handle(self, received: Sequence[Received[K]], until: float = math.inf) -> Handled[K]:
        """Deliver `received` by `until` (monotonic) at the latest."""
        handled: Handled[K] = Handled(summary=Summary(pulled=len(received)))
        now = self._clock()
        keys: dict[int, K] = {}
        messages: dict[int, tuple[Message, int | None]] = {}
        sendable: list[Outgoing] = []
        for key, data, delivery_attempt in received:
            try:
                message = decode(data)
            except ValueError as exc:
                self._fail(None, f"poison Pub/Sub message: {exc}", handled, key)
                continue
            # Anyone who may publish to the topic could write it: sent only if the pipeline could have
            # built it, as replay checks a log row (its logged payload is cut as every log cuts it).
            unsendable = validate.built_event_problem(message.item.payload, int(now))
            if unsendable:
                self._fail(message, f"the queued event may not be sent: {unsendable}", handled, key)
                continue
            problem = self._problem(message, now)
            if problem:
                self._fail(message, problem, handled, key)
                continue
            keys[id(message.item)] = key
            messages[id(message.item)] = (message, delivery_attempt)
            sendable.append(message.item)
        for batch in batches(sendable, EVENTS_PER_CALL):
            deadline = min(self._monotonic() + BATCH_DEADLINE_S, until)
            try:
                attempt = self._deliverer.deliver(batch, MODE, lambda: deadline)  # noqa: B023 (called now)
            except TokenUnavailable:
                for item in batch.items:  # no token yet: nothing was sent, try again later
                    self._later(*messages[id(item)], keys[id(item)], "token unavailable", handled)
                continue
            handled.summary.calls += 1
            for item, outcome in zip(batch.items, attempt.outcomes, strict=True):
                key = keys[id(item)]
                if outcome.delivered:
                    handled.ack.append(key)
                    handled.summary.delivered += 1
                elif attempt.retryable:
                    self._later(*messages[id(item)], key, outcome.error or "retryable", handled)
                else:
                    handled.ack.append(key)
                    handled.summary.failed += 1
        return handled

    def stop_by(self, until: float) -> None:
        """Shutdown: the deliveries under way and to come end by `until` (monotonic)."""
        self._deliverer.stop_by(until)

    def release(self, received: Sequence[Received[K]], reason: str) -> Handled[K]:
        """Messages not sent (the budget or the shutdown came first): nacked for a later delivery,
        except those at their last one, failed on record."""
        handled: Handled[K] = Handled(summary=Summary(pulled=len(received)))
        for key, data, delivery_attempt in received:
            try:
                message = decode(data)
            except ValueError:
                handled.nack.append(key)  # the next delivery finds it poison
                handled.summary.retrying += 1
                continue
            self._later(message, delivery_attempt, key, reason, handled)
        return handled

    def _later(self, message: Message, delivery_attempt: int | None, key: K, reason: str,
               handled: Handled[K]) -> None:
        """Nack for Pub/Sub's redelivery, unless this was its last delivery: then failed, and acked."""
        if (self._max_delivery_attempts is not None and delivery_attempt is not None
                and delivery_attempt >= self._max_delivery_attempts):
            self._fail(message, f"{reason}; Pub/Sub's last delivery (PUBSUB_MAX_DELIVERY_ATTEMPTS "
                       f"{self._max_delivery_attempts}) ended without delivery", handled, key)
            return
        handled.nack.append(key)
        handled.summary.retrying += 1

    def _problem(self, message: Message, now: float) -> str | None:
        """Why a well-formed message is not sent: too old, or for an account this deployment may not use."""
        if now - message.accepted_at > self._retry_window_s:
            return "not delivered within PUBSUB_RETRY_WINDOW_S of its acceptance"
        if not self._allowed(message.item.ad_account_id):
            return "ad_account_id is neither PINTEREST_AD_ACCOUNT_ID nor in PINTEREST_AD_ACCOUNT_IDS"
        return None

    def _fail(self, message: Message | None, reason: str, handled: Handled[K], key: K) -> None:
        """A final failure the drain decides itself: logged with its payload, then acked."""
        handled.ack.append(key)
        handled.summary.failed += 1
        item = message.item if message else None
        self._journal.record([EventRecord(
            outcome=Outcome.FAILED, event_id=item.payload.get("event_id") if item else None,
            event_name=item.payload.get("event_name") if item else None,
            payload=item.payload if item else None, reason=reason,
            ad_account_id=item.ad_account_id if item else None, test_mode=item.test if item else None,
            delivery=MODE, attempt=message.attempts if message else None,
            trace_id=item.trace_id if item else None, ga4_event_name=item.ga4_event_name if item else None,
            tag_name=item.tag_name if item else None, debug=item.debug if item else False)])


class PullClient(Protocol):
    """What `drain` uses of google.cloud.pubsub_v1.SubscriberClient."""

    def pull(self, *, subscription: str, max_messages: int, timeout: float) -> Any: ...

    def acknowledge(self, *, subscription: str, ack_ids: Sequence[str]) -> None: ...

    def modify_ack_deadline(self, *, subscription: str, ack_ids: Sequence[str],
                            ack_deadline_seconds: int) -> None: ...


def subscriber_client(emulator_host: str | None) -> Any:
    """The real SubscriberClient (pull and streaming pull)."""
    return google_client("Subscriber", emulator_host)


def drain(client: PullClient, subscription: str, drainer: Drainer, *, budget_s: float,
          max_events: int | None = None, monotonic: Callable[[], float] = time.monotonic,
          stopping: Callable[[], bool] = lambda: False) -> Summary:
    """Pull and deliver until the subscription is empty, `max_events` were pulled, the budget is spent
    or `stopping()` says so (an operator's Ctrl-C: the round under way is finished and logged first).

    Each round fills up to 1000 messages, so batches are as full as the backlog allows. The budget
    bounds the pulls and the calls; what a round could not send is nacked for the next run.
    """
    started = monotonic()
    end = started + budget_s
    total = Summary()
    while monotonic() < end and not stopping():
        want = EVENTS_PER_CALL if max_events is None else min(EVENTS_PER_CALL, max_events - total.pulled)
        if want <= 0:
            break
        received = _fill(client, subscription, want, end, monotonic)
        if not received:
            break
        # One round settles within BATCH_DEADLINE_S, well inside the messages' ack deadline.
        handled = drainer.handle(received, min(end, monotonic() + BATCH_DEADLINE_S))
        _settle(client, subscription, handled)
        total.add(handled.summary)
    total.seconds = round(monotonic() - started, 3)
    return total


def _fill(client: PullClient, subscription: str, want: int, end: float,
          monotonic: Callable[[], float]) -> list[Received[str]]:
    """Up to `want` messages: pulls until that many came, one came back empty, or the budget ends."""
    from google.api_core import exceptions

    found: list[Received[str]] = []
    while len(found) < want and monotonic() < end:
        wait_s = REFILL_TIMEOUT_S if found else PULL_TIMEOUT_S
        try:
            answer = client.pull(subscription=subscription, max_messages=want - len(found),
                                 timeout=max(min(wait_s, end - monotonic()), 0.1))
        except exceptions.DeadlineExceeded:
            break
        if not answer.received_messages:
            break
        found += [Received(received.ack_id, received.message.data, received.delivery_attempt or None)
                  for received in answer.received_messages]
    return found


def _settle(client: PullClient, subscription: str, handled: Handled[str]) -> None:
    """Ack and nack in calls of at most 1000 ids (well under the request size Pub/Sub accepts)."""
    for start in range(0, len(handled.ack), EVENTS_PER_CALL):
        client.acknowledge(subscription=subscription, ack_ids=handled.ack[start:start + EVENTS_PER_CALL])
    for start in range(0, len(handled.nack), EVENTS_PER_CALL):
        ids = handled.nack[start:start + EVENTS_PER_CALL]
        client.modify_ack_deadline(subscription=subscription, ack_ids=ids, ack_deadline_seconds=0)


class Streamed(Protocol):
    """What `Stream` uses of a streaming pull's message."""

    data: bytes
    delivery_attempt: int | None

    def ack(self) -> None: ...

    def nack(self) -> None: ...


class Stream:
    """A streaming pull inside a Cloud Run service (CPU always allocated): events leave within `wait_s`.

    The client's flow control holds at most `max_messages` un-acked; the sending thread takes them
    in batches of up to 1000, or whatever waited `wait_s`. The thread starts in the serving process
    (`start`), never in a parent it is forked from. A streaming pull that ends by itself (an error
    of the client or of Pub/Sub) is logged ERROR and opened again, after a backoff, until closed.
    Shutdown is two steps: `stop` (no more pulls; the batch under way ends by `until`) first, and
    `close` (wait for that batch, nack or fail what is held) once the function's own deliveries closed.
    """

    def __init__(self, client: Callable[[], Any], subscription: str, drainer: Drainer, log: ConsoleLog, *,
                 wait_s: float = 1.0, max_messages: int = 2 * EVENTS_PER_CALL,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._make_client = client
        self._subscription = subscription
        self._drainer = drainer
        self._log = log
        self._wait_s = wait_s
        self._max_messages = max_messages
        self._monotonic = monotonic
        self._lock = threading.Condition()
        self._pending: Pending[Streamed] = Pending()  # guarded by _lock
        self._closing = False  # guarded by _lock
        self._until = math.inf
        self._pull: Any = None  # the streaming pull future, once started; guarded by _lock
        self._client: Any = None
        self._failures = 0  # streaming pulls that ended in a row without a message; guarded by _lock
        self._thread = ProcessThread("pubsub-stream", self._run)

    def start(self) -> None:
        """Open the streaming pull and the sending thread in this process (again after a fork)."""
        with self._lock:
            if self._closing or self._thread.alive:
                return
            self._thread.ensure_started()
        self._subscribe()

    def _subscribe(self) -> None:
        types = importlib.import_module("google.cloud.pubsub_v1").types
        with self._lock:
            if self._closing:
                return
            if self._client is None:
                self._client = self._make_client()
            flow = types.FlowControl(max_messages=self._max_messages)
            self._pull = self._client.subscribe(self._subscription, self._received, flow_control=flow)
        self._pull.add_done_callback(self._ended)

    def _ended(self, pull: Any) -> None:
        """The streaming pull ended: by `stop`, or by an error, which is logged and the pull reopened."""
        with self._lock:
            if self._closing:
                return
            self._failures += 1
            delay = min(STREAM_BACKOFF_S * 2 ** (self._failures - 1), STREAM_BACKOFF_CAP_S)
        error = None if pull.cancelled() else pull.exception()
        self._log.write("ERROR", "pubsub streaming pull ended; opening it again",
                        subscription=self._subscription, error=type(error).__name__ if error else None,
                        retry_in_s=delay)
        timer = threading.Timer(delay, self._subscribe)
        timer.daemon = True
        timer.start()

    def stop(self, until: float) -> None:
        """Shutdown, first step: pull no more (what arrives now is nacked); the batch under way ends
        its retries and calls by `until`."""
        with self._lock:
            self._closing, self._until = True, until
            self._lock.notify_all()
            pull = self._pull
        self._drainer.stop_by(until)
        if pull is not None:
            pull.cancel()

    def close(self, until: float = math.inf) -> None:
        """Shutdown, last step: deliver what is held by `until`; what is left is nacked for another
        instance (failed on record when at its last delivery)."""
        self.stop(min(until, self._until))
        self._thread.join(until - self._monotonic())
        with self._lock:
            left = list(self._pending.items)
            self._pending.items.clear()
        _settle_streamed(self._drainer.release(_streamed(left), "not sent before the shutdown"))

    def _received(self, message: Streamed) -> None:
        with self._lock:
            if self._closing:
                closing = True
            else:
                closing = False
                self._failures = 0
                self._pending.add([message], self._monotonic())
                self._lock.notify_all()
        if closing:
            _settle_streamed(self._drainer.release(_streamed([message]), "not sent before the shutdown"))

    def _run(self) -> None:
        while True:
            with self._lock:
                taken = take_due(self._pending, self._monotonic(), EVENTS_PER_CALL, self._wait_s,
                                 everything=self._closing)
                while not taken and not self._closing:
                    self._lock.wait(seconds_to_due(self._pending, self._monotonic(), self._wait_s))
                    taken = take_due(self._pending, self._monotonic(), EVENTS_PER_CALL, self._wait_s,
                                     everything=self._closing)
                if not taken:
                    return
                until = self._until
            if self._monotonic() >= until:
                _settle_streamed(self._drainer.release(_streamed(taken), "not sent before the shutdown"))
                return
            try:
                handled = self._drainer.handle(_streamed(taken), until)
            except Exception:  # the thread must outlive anything: Pub/Sub redelivers what it held
                handled = Handled(nack=taken)
            _settle_streamed(handled)


def _streamed(messages: Sequence[Streamed]) -> list[Received[Streamed]]:
    return [Received(message, message.data, message.delivery_attempt) for message in messages]


def _settle_streamed(handled: Handled[Streamed]) -> None:
    for message in handled.ack:
        message.ack()
    for message in handled.nack:
        message.nack()
