"""Queued delivery: each built event published to a Pub/Sub topic, which keeps it until drain.py delivers it.

The caller hears `queued` only once Pub/Sub has acknowledged every publish of its request, so an
accepted event survives any crash of the instance. One message is one event: Pinterest's batches
are made at the other end, from the backlog of every instance (drain.py). The message is the event
as it will be sent (hashed user data, the IP address and user agent Pinterest needs to match it)
with what the log rows say about it; the topic is readable only by the drain's identity.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import json
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from function.delivery.base import Sent, Taken
from function.delivery.deliverer import Outgoing
from function.limits import is_ad_account_id
from function.outcomes import Outcome
from function.pipeline.field_warnings import FieldWarning

# What the message body holds besides the event, so that a change of shape is recognised.
MESSAGE_VERSION = 1
_QUEUED = Taken(Outcome.QUEUED)
# 2 ms: how long the client holds a publish for others to join its batch. Its default, 10 ms, is
# added to every answer: one-event requests on the emulator took p50 19.6 ms with it, 11.7 ms so.
PUBLISH_BATCH_WAIT_S = 0.002


@dataclass(frozen=True)
class Message:
    """One queued event: what the drain sends, and the facts its log rows need."""

    item: Outgoing
    accepted_at: float  # epoch seconds when the gateway accepted it: the retry window counts from here
    attempts: int = 0  # Pinterest calls already made for it before it was queued


def encode(item: Outgoing, accepted_at: float, attempts: int = 0) -> bytes:
    """The message body: compact JSON, read back by `decode`."""
    return json.dumps({
        "v": MESSAGE_VERSION, "payload": item.payload, "ad_account_id": item.ad_account_id, "test": item.test,
        "trace_id": item.trace_id, "debug": item.debug, "ga4_event_name": item.ga4_event_name,
        "tag_name": item.tag_name, "accepted_at": accepted_at, "attempts": attempts,
        "warnings": [warning.as_json() for warning in item.warnings], "event_id_source": item.event_id_source,
    }, separators=(",", ":")).encode()


def attributes(item: Outgoing) -> dict[str, str]:
    """Shown by `gcloud pubsub subscriptions pull`, so an operator can find one event in the backlog."""
    return {"event_id": str(item.payload.get("event_id")), "ad_account_id": item.ad_account_id}


def decode(data: bytes) -> Message:
    """The event of a message body; ValueError when the body is not one `encode` wrote (a poison message).

    The ad account goes into the URL the token is sent to, so it must be digits whatever the body says.
    """
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("the message is not JSON") from exc
    if not isinstance(body, Mapping) or body.get("v") != MESSAGE_VERSION:
        raise ValueError(f"the message is not a version {MESSAGE_VERSION} queued event")
    payload, account = body.get("payload"), body.get("ad_account_id")
    accepted_at, attempts = body.get("accepted_at"), body.get("attempts", 0)
    if not isinstance(payload, Mapping) or not isinstance(account, str) or not is_ad_account_id(account):
        raise ValueError("the message holds no event payload or no valid ad account")
    if not isinstance(accepted_at, int | float) or not isinstance(attempts, int):
        raise ValueError("the message holds no acceptance time or attempt count")
    item = Outgoing(payload, account, body.get("test") is True, _text(body.get("trace_id")),
                    body.get("debug") is True, _text(body.get("ga4_event_name")),
                    tag_name=_text(body.get("tag_name")), warnings=_warnings(body.get("warnings")),
                    event_id_source=_text(body.get("event_id_source")))
    return Message(item, float(accepted_at), attempts)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _warnings(value: Any) -> tuple[FieldWarning, ...]:
    """The warnings the gateway found when it built the event, for the drain's log rows."""
    if not isinstance(value, list):
        return ()
    return tuple(FieldWarning(w["field"], w["reason"]) for w in value if isinstance(w, Mapping)
                 and isinstance(w.get("field"), str) and isinstance(w.get("reason"), str))


class PublishClient(Protocol):
    """What this module uses of google.cloud.pubsub_v1.PublisherClient."""

    def publish(self, topic: str, data: bytes, **attrs: str) -> concurrent.futures.Future[str]: ...

    def stop(self) -> None: ...


def google_client(kind: str, emulator_host: str | None, **options: Any) -> Any:
    """The real PublisherClient or SubscriberClient (`kind`); PUBSUB_EMULATOR_HOST points it at the emulator.

    The hand-written clients ship no types (the Protocols here state what we use of them), and are
    imported on first use only: an instance that never queues loads no gRPC.
    """
    pubsub = importlib.import_module("google.cloud.pubsub_v1")
    if not emulator_host:
        return getattr(pubsub, f"{kind}Client")(**options)
    from google.auth.credentials import AnonymousCredentials  # here: a cold start loads no google.auth
    grpc = importlib.import_module("grpc")
    transports = importlib.import_module(f"google.pubsub_v1.services.{kind.lower()}.transports.grpc")
    transport = getattr(transports, f"{kind}GrpcTransport")(channel=grpc.insecure_channel(emulator_host),
                                                           credentials=AnonymousCredentials())
    return getattr(pubsub, f"{kind}Client")(transport=transport, **options)


def publisher_client(emulator_host: str | None) -> PublishClient:
    """The client batches what concurrent requests publish within PUBLISH_BATCH_WAIT_S of each other."""
    types = importlib.import_module("google.cloud.pubsub_v1").types
    client: PublishClient = google_client("Publisher", emulator_host,
                                          batch_settings=types.BatchSettings(max_latency=PUBLISH_BATCH_WAIT_S))
    return client


class Publisher:
    """Publishes a request's events to the topic; the client is made on first use, once per instance."""

    def __init__(self, topic: str, *, client: Callable[[], PublishClient], timeout_s: float = 10.0,
                 clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._topic = topic
        self._timeout_s = timeout_s  # PUBSUB_PUBLISH_TIMEOUT_S: how long `send` waits for the acks
        self._make_client = client
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._client: PublishClient | None = None  # guarded by _lock
        self._closing = False  # guarded by _lock

    def publish(self, items: Sequence[Outgoing], timeout_s: float) -> bool:
        """True only when Pub/Sub acknowledged every event within `timeout_s`; False tells the caller to
        deliver them itself (a publish still under way may land too: a duplicate with the same event_id)."""
        now = self._clock()
        try:
            client = self._open()
            if client is None:
                return False
            futures = [client.publish(self._topic, encode(item, now), **attributes(item)) for item in items]
        except Exception:  # no client (credentials?), or one that refuses a message or has stopped
            return False
        done, pending = concurrent.futures.wait(futures, timeout=timeout_s)
        return not pending and all(future.exception() is None for future in done)

    def send(self, items: Sequence[Outgoing]) -> Sent:
        """The delivery verb (base.py): `queued` once Pub/Sub holds every event; otherwise each is
        declined, and the caller's delivery sends them awaited."""
        if not items:
            return Sent(())
        taken = _QUEUED if self.publish(items, self._timeout_s) else None
        return Sent((taken,) * len(items))

    def close(self, until: float = math.inf) -> None:
        """Take no more events, and send what the client still batches by `until` (monotonic)."""
        with self._lock:
            self._closing, client = True, self._client
        if client is None:
            return
        stopper = threading.Thread(target=client.stop, name="pubsub-publisher-stop", daemon=True)
        stopper.start()
        stopper.join(None if math.isinf(until) else max(until - self._monotonic(), 0.0))

    def _open(self) -> PublishClient | None:
        with self._lock:
            if self._closing:
                return None
            if self._client is None:
                self._client = self._make_client()
            return self._client
