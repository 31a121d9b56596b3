"""The real Pub/Sub emulator (shipped with the gcloud CLI), one per test session, and fresh queues on it.

gcloud starts the Java server as a child and does not pass signals on, so the emulator runs in a
session of its own and is stopped by process group: killing only the wrapper leaves Java serving.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from google.api_core.exceptions import DeadlineExceeded

from function.delivery.drain import subscriber_client
from function.delivery.pubsub import google_client
from tests.processes import database_rows, free_port

PROJECT = "gateway-test"
# The shortest ack deadline Pub/Sub allows: a killed consumer's messages come back after it.
ACK_DEADLINE_S = 10


def stop_emulator(process: subprocess.Popen[bytes]) -> None:
    """By process group: the Java server and the gcloud wrapper both."""
    if process.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def start_emulator(folder: Path, timeout_s: float = 90) -> tuple[str, subprocess.Popen[bytes]]:
    """host:port of a running emulator and its process; it answers "Ok" on / once gRPC listens."""
    port = free_port()
    (folder / "data").mkdir(parents=True, exist_ok=True)
    with (folder / "emulator.log").open("wb") as log:
        process = subprocess.Popen(
            ["gcloud", "beta", "emulators", "pubsub", "start", f"--host-port=127.0.0.1:{port}",
             f"--data-dir={folder / 'data'}", "--quiet"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    atexit.register(stop_emulator, process)
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            tail = (folder / "emulator.log").read_text()[-2000:]
            raise RuntimeError(f"the Pub/Sub emulator exited: {tail}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=1).text.strip() == "Ok":
                return f"127.0.0.1:{port}", process
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            stop_emulator(process)
            raise TimeoutError(f"the Pub/Sub emulator did not answer within {timeout_s:g} s")
        time.sleep(0.25)


@pytest.fixture(scope="session")
def pubsub_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One emulator for the whole session."""
    host, process = start_emulator(tmp_path_factory.mktemp("pubsub"))
    yield host
    stop_emulator(process)


@dataclass(frozen=True)
class Queue:
    """A topic, its subscription and a dead-letter topic with its own subscription, made for one test."""

    host: str
    topic: str
    subscription: str
    dead_letter_subscription: str

    def env(self) -> dict[str, str]:
        return {"PUBSUB_EMULATOR_HOST": self.host, "PUBSUB_TOPIC": self.topic,
                "PUBSUB_SUBSCRIPTION": self.subscription,
                "PUBSUB_DEAD_LETTER_SUBSCRIPTION": self.dead_letter_subscription}

    def backlog(self, subscription: str | None = None) -> int:
        """Messages pulls still find; all are nacked at the end, so they stay for the next consumer."""
        name = subscription or self.subscription
        client = subscriber_client(self.host)
        ids: list[str] = []
        try:
            while True:
                try:
                    answer = client.pull(subscription=name, max_messages=1000, timeout=1).received_messages
                except DeadlineExceeded:
                    answer = []  # the emulator holds an empty pull for about 4 s
                if not answer:
                    return len(ids)
                ids += [m.ack_id for m in answer]
        finally:
            for start in range(0, len(ids), 1000):
                client.modify_ack_deadline(subscription=name, ack_ids=ids[start:start + 1000],
                                           ack_deadline_seconds=0)
            client.close()


def make_queue(host: str, *, max_delivery_attempts: int = 100, backoff: bool = True) -> Queue:
    """The shape terraform/pubsub.tf deploys, with test-sized backoff: redelivery 1-2 s after a nack
    (at once with `backoff=False`)."""
    name = f"events-{uuid.uuid4().hex[:10]}"
    topic, dead = f"projects/{PROJECT}/topics/{name}", f"projects/{PROJECT}/topics/{name}-dead"
    subscription = f"projects/{PROJECT}/subscriptions/{name}"
    dead_subscription = f"projects/{PROJECT}/subscriptions/{name}-dead"
    publisher = google_client("Publisher", host)
    publisher.create_topic(name=topic)
    publisher.create_topic(name=dead)
    client = subscriber_client(host)
    client.create_subscription(request={"name": dead_subscription, "topic": dead})
    retry = {"retry_policy": {"minimum_backoff": {"seconds": 1}, "maximum_backoff": {"seconds": 2}}}
    client.create_subscription(request={
        "name": subscription, "topic": topic, "ack_deadline_seconds": ACK_DEADLINE_S,
        "dead_letter_policy": {"dead_letter_topic": dead, "max_delivery_attempts": max_delivery_attempts},
        **(retry if backoff else {}),
    })
    client.close()
    return Queue(host, topic, subscription, dead_subscription)


def refuse_until_dead_lettered(queue: Queue, count: int, timeout_s: float = 30) -> None:
    """What a drain that crashes on every message does: nack each delivery, until Pub/Sub has moved
    `count` messages to the dead-letter topic (the subscription's max_delivery_attempts)."""
    client = subscriber_client(queue.host)
    deadline = time.monotonic() + timeout_s
    try:
        while queue.backlog(queue.dead_letter_subscription) < count:
            assert time.monotonic() < deadline, "Pub/Sub did not dead-letter the messages"
            answer = client.pull(subscription=queue.subscription, max_messages=1000, timeout=0.5)
            ids = [m.ack_id for m in answer.received_messages]
            if ids:
                client.modify_ack_deadline(subscription=queue.subscription, ack_ids=ids,
                                           ack_deadline_seconds=0)
    finally:
        client.close()


def publish_raw(queue: Queue, bodies: list[bytes]) -> None:
    """Messages written by someone other than the gateway (a poison message, an old event)."""
    publisher = google_client("Publisher", queue.host)
    for future in [publisher.publish(queue.topic, body) for body in bodies]:
        future.result(timeout=10)


def sqlite_rows(path: Path) -> list[dict[str, object]]:
    """Every log row the drain and gateways wrote to one SQLite file."""
    return [dict(row) for row in database_rows(path)]
