"""The queued message and the publisher, with a publishing client double at the adapter's interface."""

from __future__ import annotations

import concurrent.futures
import json

import pytest

from function.delivery.deliverer import Outgoing
from function.delivery.pubsub import Publisher, attributes, decode, encode

ITEM = Outgoing({"event_id": "e1", "event_name": "checkout", "user_data": {"em": ["a" * 64]}}, "549000000001",
                True, "trace-1", True, "purchase", tag_name="GA4 to Pinterest")


def test_a_message_carries_the_built_event_and_its_story() -> None:
    found = decode(encode(ITEM, 1_800_000_000.5, attempts=2))
    assert found.item == ITEM
    assert (found.accepted_at, found.attempts) == (1_800_000_000.5, 2)
    assert attributes(ITEM) == {"event_id": "e1", "ad_account_id": "549000000001"}


@pytest.mark.parametrize("body", [
    b"\xff", b"[]", b'{"v": 2}',
    json.dumps({"v": 1, "payload": {}, "ad_account_id": "../../x", "accepted_at": 1}).encode(),
    json.dumps({"v": 1, "payload": [], "ad_account_id": "1", "accepted_at": 1}).encode(),
    json.dumps({"v": 1, "payload": {}, "ad_account_id": "1"}).encode(),
])
def test_anything_else_is_a_poison_message(body: bytes) -> None:
    with pytest.raises(ValueError, match="message"):
        decode(body)


class Client:
    """Futures resolved as told: a message id, an exception, or never."""

    def __init__(self, outcome: str | Exception | None) -> None:
        self.outcome = outcome
        self.published: list[tuple[str, bytes, dict[str, str]]] = []
        self.stopped = False

    def publish(self, topic: str, data: bytes, **attrs: str) -> concurrent.futures.Future[str]:
        self.published.append((topic, data, attrs))
        future: concurrent.futures.Future[str] = concurrent.futures.Future()
        if isinstance(self.outcome, Exception):
            future.set_exception(self.outcome)
        elif self.outcome is not None:
            future.set_result(self.outcome)
        return future

    def stop(self) -> None:
        self.stopped = True


def publisher(client: Client, made: list[int]) -> Publisher:
    def make() -> Client:
        made.append(1)
        return client
    return Publisher("projects/p/topics/events", client=make, clock=lambda: 1_800_000_000.0)


def test_true_only_once_every_publish_is_acknowledged_and_the_client_is_made_once() -> None:
    client, made = Client("id-1"), []
    queue = publisher(client, made)
    assert queue.publish([ITEM, ITEM], timeout_s=1)
    assert queue.publish([ITEM], timeout_s=1)
    assert made == [1]
    assert [topic for topic, _, _ in client.published] == ["projects/p/topics/events"] * 3
    assert decode(client.published[0][1]).accepted_at == 1_800_000_000.0


@pytest.mark.parametrize("outcome", [RuntimeError("unavailable"), None], ids=["error", "no answer"])
def test_a_failed_or_unanswered_publish_is_false(outcome: Exception | None) -> None:
    assert not publisher(Client(outcome), []).publish([ITEM], timeout_s=0.05)


def test_closing_flushes_the_client_and_takes_no_more() -> None:
    client = Client("id-1")
    queue = publisher(client, [])
    assert queue.publish([ITEM], timeout_s=1)
    queue.close()
    assert client.stopped
    assert not queue.publish([ITEM], timeout_s=1)


def test_a_client_that_cannot_be_made_is_false_not_an_error() -> None:
    def broken() -> Client:
        raise OSError("no credentials")

    assert not Publisher("projects/p/topics/events", client=broken).publish([ITEM], timeout_s=1)
