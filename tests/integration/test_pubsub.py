"""pubsub delivery end to end: real gateway processes, the real Pub/Sub emulator and client, the sandbox.

Every test makes its own topic and subscription on the session's one emulator. Each accepted
event_id must end delivered (in the sandbox) or recorded failed (a log row with its payload):
accepted = delivered + failed, lost 0, duplicates only with the same event_id.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from function.delivery.deliverer import Outgoing
from function.delivery.pubsub import encode
from function.sandbox.server import Sandbox
from tests.integration.pubsub_emulator import (
    ACK_DEADLINE_S,
    Queue,
    make_queue,
    publish_raw,
    pubsub_emulator,
    refuse_until_dead_lettered,
    sqlite_rows,
)
from tests.processes import (
    AD_ACCOUNT,
    ROOT,
    SANDBOX_TOKEN,
    FunctionServer,
    control,
    faults,
    free_port,
    recorded_ids,
    start_function,
    stop_process,
    wait_until,
)

pytestmark = pytest.mark.slow
__all__ = ["pubsub_emulator"]  # the session fixture, used by name



def event(event_id: str) -> dict[str, object]:
    return {"event_name": "purchase", "event_id": event_id, "ip_override": "198.51.100.7",
            "user_agent": "UA/pubsub", "value": 10, "currency": "USD",
            "user_data": {"email": "a@example.com"}}



def stats(sandbox: Sandbox) -> dict[str, object]:
    answer: dict[str, object] = requests.get(control(sandbox, "stats"), timeout=5).json()
    return answer




@pytest.fixture
def queue(pubsub_emulator: str) -> Queue:
    return make_queue(pubsub_emulator)


def pubsub_env(sandbox: Sandbox, queue: Queue, db: Path, **extra: str) -> dict[str, str]:
    return {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
            "PINTEREST_API_URL": sandbox.url, "PINTEREST_DELIVERY": "pubsub", "LOG_CONSOLE": "no",
            "LOG_SQLITE_PATH": str(db), "PINTEREST_MAX_ATTEMPTS": "2", **queue.env(), **extra}


def drain_process(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """`python -m function drain` as an operator runs it."""
    return subprocess.Popen([sys.executable, "-m", "function", "drain", *args], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def drain_once(env: dict[str, str], timeout_s: float = 60) -> dict[str, int]:
    process = drain_process(env, "--once")
    out, err = process.communicate(timeout=timeout_s)
    assert process.returncode in (0, 1), err
    summary: dict[str, int] = json.loads(out.strip().splitlines()[-1])
    return summary


def post_all(servers: list[FunctionServer], bodies: list[list[dict[str, object]]],
             kill_midway: FunctionServer | None = None) -> tuple[set[str], list[int]]:
    """Concurrent clients, round robin over the servers; the event_ids answered `queued`, and the statuses."""
    accepted: set[str] = set()
    statuses: list[int] = []

    def send(numbered: tuple[int, list[dict[str, object]]]) -> None:
        number, body = numbered
        if kill_midway is not None and number == len(bodies) // 2:
            kill_midway.process.send_signal(signal.SIGKILL)
        server = servers[number % len(servers)]
        try:
            response = server.post(body)
        except requests.ConnectionError:
            return  # the killed gateway: nothing was answered, nothing was accepted
        statuses.append(response.status_code)
        if response.status_code == 202:
            accepted.update(e["event_id"] for e in response.json()["events"] if e["status"] == "queued")

    with ThreadPoolExecutor(max_workers=9) as pool:
        list(pool.map(send, enumerate(bodies)))
    return accepted, statuses


def failed_rows(db: Path) -> dict[str, dict[str, object]]:
    """The last failed row of each event (its payload kept), by event_id."""
    return {str(row["event_id"]): row for row in sqlite_rows(db) if row["outcome"] == "failed"}


def test_5000_events_from_three_gateways_arrive_once_each_in_full_batches(
        clean_sandbox: Sandbox, queue: Queue, tmp_path: Path) -> None:
    env = pubsub_env(clean_sandbox, queue, tmp_path / "rows.sqlite3")
    servers = [start_function(env, tmp_path / f"gateway{n}.log") for n in range(3)]
    try:
        bodies = [[event(f"load{r}-{i}") for i in range(50)] for r in range(100)]
        accepted, statuses = post_all(servers, bodies)
    finally:
        for server in servers:
            stop_process(server.process)
    assert set(statuses) == {202}
    assert len(accepted) == 5000
    assert recorded_ids(clean_sandbox) == [], "queued events wait for the drain"
    summary = drain_once(env)
    delivered = recorded_ids(clean_sandbox)
    assert sorted(delivered) == sorted(accepted)
    assert (summary["delivered"], summary["failed"]) == (5000, 0)
    sizes = stats(clean_sandbox)["batch_sizes"]
    assert isinstance(sizes, list)
    assert len(sizes) <= 10  # ≤ 2 calls per 1000
    assert max(sizes) == 1000
    assert queue.backlog() == 0


def test_kill_9_of_a_gateway_and_of_the_consumer_mid_batch_loses_nothing(
        clean_sandbox: Sandbox, queue: Queue, tmp_path: Path) -> None:
    db = tmp_path / "rows.sqlite3"
    env = pubsub_env(clean_sandbox, queue, db)
    servers = [start_function(env, tmp_path / f"gateway{n}.log") for n in range(2)]
    try:
        bodies = [[event(f"kill{r}-{i}") for i in range(50)] for r in range(60)]
        accepted, _ = post_all(servers, bodies, kill_midway=servers[1])
    finally:
        for server in servers:
            stop_process(server.process)
    assert 1000 < len(accepted) < 3000  # some requests went to the killed gateway
    # A slow Pinterest keeps the consumer's first call in flight when it is killed.
    faults(clean_sandbox, {"probability": 1.0, "kinds": ["slow"], "latency_ms": 3000})
    consumer = drain_process(env)
    wait_until(lambda: stats(clean_sandbox)["calls"], 20)
    consumer.send_signal(signal.SIGKILL)
    consumer.communicate(timeout=10)
    faults(clean_sandbox, None)
    # Its messages were never acked: Pub/Sub hands them out again once their ack deadline passes.
    time.sleep(ACK_DEADLINE_S)
    drain_once(env)
    delivered = recorded_ids(clean_sandbox)
    failed = failed_rows(db)
    assert accepted <= set(delivered) | set(failed), "lost: accepted but neither delivered nor failed"
    assert not failed
    assert set(delivered) <= {e["event_id"] for body in bodies for e in body}  # duplicates only by event_id


def test_an_outage_longer_than_every_window_costs_no_event(
        clean_sandbox: Sandbox, queue: Queue, tmp_path: Path) -> None:
    db = tmp_path / "rows.sqlite3"
    env = pubsub_env(clean_sandbox, queue, db, PUBSUB_DRAIN_BUDGET_S="5")
    faults(clean_sandbox, {"probability": 1.0, "kinds": ["503"]})
    down_since = time.monotonic()
    server = start_function(env, tmp_path / "gateway.log")
    try:
        accepted, _ = post_all([server], [[event(f"down{r}-{i}") for i in range(20)] for r in range(5)])
    finally:
        stop_process(server.process)
    assert len(accepted) == 100
    consumer = drain_process(env)  # keeps draining until stopped
    try:
        # Down for longer than the awaited deadline (2.5 s) and the optimistic retry window (30 s).
        time.sleep(max(31 - (time.monotonic() - down_since), 0))
        assert recorded_ids(clean_sandbox) == []
        assert stats(clean_sandbox)["calls"], "the consumer kept trying"
        faults(clean_sandbox, None)
        wait_until(lambda: len(set(recorded_ids(clean_sandbox))) >= 100, 30)
    finally:
        consumer.send_signal(signal.SIGINT)
        consumer.communicate(timeout=15)
    assert set(recorded_ids(clean_sandbox)) == accepted
    assert not failed_rows(db)
    outcomes = {row["outcome"] for row in sqlite_rows(db)}
    assert outcomes == {"retrying", "delivered"}


def test_pubsub_unreachable_at_publish_never_answers_queued(
        clean_sandbox: Sandbox, queue: Queue, tmp_path: Path) -> None:
    closed = f"127.0.0.1:{free_port()}"  # nothing listens there
    env = pubsub_env(clean_sandbox, queue, tmp_path / "rows.sqlite3", PUBSUB_EMULATOR_HOST=closed,
                     PUBSUB_PUBLISH_TIMEOUT_S="1")
    server = start_function(env, tmp_path / "gateway.log")
    try:
        response = server.post([event("unreachable-1"), event("unreachable-2")])
    finally:
        stop_process(server.process)
    assert response.status_code == 200, response.text
    assert {e["status"] for e in response.json()["events"]} == {"sent"}
    assert sorted(recorded_ids(clean_sandbox)) == ["unreachable-1", "unreachable-2"]


def test_pubsub_unreachable_and_pinterest_slow_never_answers_queued_from_memory(
        clean_sandbox: Sandbox, queue: Queue, tmp_path: Path) -> None:
    """The publish waits 1 s and fails; Pinterest takes 3 s, past what is left of the 2.5 s deadline.
    Answering `queued` (its call going on in memory) would be a promise a crash breaks."""
    closed = f"127.0.0.1:{free_port()}"  # nothing listens there
    db = tmp_path / "rows.sqlite3"
    env = pubsub_env(clean_sandbox, queue, db, PUBSUB_EMULATOR_HOST=closed, PUBSUB_PUBLISH_TIMEOUT_S="1")
    faults(clean_sandbox, {"probability": 1.0, "kinds": ["slow"], "latency_ms": 3000})
    server = start_function(env, tmp_path / "gateway.log")
    try:
        started = time.monotonic()
        response = server.post([event("slow-1")])
        answered_s = time.monotonic() - started
        wait_until(lambda: [row["outcome"] for row in sqlite_rows(db)][-1:] == ["delivered"], timeout_s=20)
    finally:
        faults(clean_sandbox, None)
        stop_process(server.process)
    assert response.status_code == 502, response.text
    [answer] = response.json()["events"]
    assert answer["status"] == "failed"
    assert "not queued" in answer["error"]
    assert answered_s < 3.0, "before Stape's 3 s: the deadline counts the wait on Pub/Sub"
    assert recorded_ids(clean_sandbox) == ["slow-1"], "the call went on and is on record"


def test_poison_and_expired_events_are_acked_failed_with_their_payload_and_block_nothing(
        clean_sandbox: Sandbox, queue: Queue, tmp_path: Path) -> None:
    db = tmp_path / "rows.sqlite3"
    env = pubsub_env(clean_sandbox, queue, db, PUBSUB_RETRY_WINDOW_S="60")
    now = time.time()

    def queued(event_id: str, *, event_age_s: float = 0, queued_age_s: float = 0) -> bytes:
        payload = {"event_name": "checkout", "action_source": "web", "event_id": event_id,
                   "event_time": int(now - event_age_s), "user_data": {"em": ["a" * 64]}}
        return encode(Outgoing(payload, AD_ACCOUNT, False), now - queued_age_s)

    good = [f"good-{i}" for i in range(10)]
    publish_raw(queue, [queued(event_id) for event_id in good[:5]]
                + [queued("stale-1", event_age_s=8 * 86400),  # refused as replay refuses it, unsent
                   b"not a queued event",  # unreadable: no event to send
                   queued("late-1", queued_age_s=120)]  # accepted longer ago than PUBSUB_RETRY_WINDOW_S
                + [queued(event_id) for event_id in good[5:]])
    summary = drain_once(env)
    assert sorted(recorded_ids(clean_sandbox)) == good
    assert (summary["delivered"], summary["failed"]) == (10, 3)
    failed = failed_rows(db)
    assert json.loads(str(failed["stale-1"]["request_body"]))["event_id"] == "stale-1"  # kept to replay
    assert failed["stale-1"]["response_status_code"] is None, "the drain validates it: no call"
    assert "event_time" in str(failed["stale-1"]["error"])
    assert "PUBSUB_RETRY_WINDOW_S" in str(failed["late-1"]["error"])
    assert json.loads(str(failed["late-1"]["request_body"]))["event_id"] == "late-1"
    assert queue.backlog() == 0, "all were acked"
    assert drain_once(env)["pulled"] == 0


def test_the_scheduled_drain_entry_point_drains_within_its_budget_then_finds_nothing(
        clean_sandbox: Sandbox, queue: Queue, tmp_path: Path) -> None:
    env = pubsub_env(clean_sandbox, queue, tmp_path / "rows.sqlite3", PUBSUB_DRAIN_BUDGET_S="20")
    gateway = start_function(env, tmp_path / "gateway.log")
    drain = start_function(env, tmp_path / "drain.log", target="pinterest_capi_drain")
    try:
        accepted, _ = post_all([gateway], [[event(f"sched{r}-{i}") for i in range(100)] for r in range(12)])
        first = requests.post(drain.url, timeout=60)
        second = requests.post(drain.url, timeout=60)
    finally:
        stop_process(gateway.process)
        stop_process(drain.process)
    assert first.status_code == 200, first.text
    summary = first.json()
    assert summary["pulled"] == summary["delivered"] == 1200
    assert summary["calls"] <= 3
    assert summary["seconds"] < 20
    assert sorted(recorded_ids(clean_sandbox)) == sorted(accepted)
    assert second.json()["pulled"] == 0


def test_a_service_instance_streams_the_queue_out_with_no_drain_running(
        clean_sandbox: Sandbox, queue: Queue, tmp_path: Path) -> None:
    db = tmp_path / "rows.sqlite3"
    env = pubsub_env(clean_sandbox, queue, db, PUBSUB_STREAM="true", PINTEREST_BATCH_WAIT_MS="500")
    server = start_function(env, tmp_path / "gateway.log")
    try:
        accepted, _ = post_all([server], [[event(f"stream{r}-{i}") for i in range(100)] for r in range(3)])
        wait_until(lambda: len(set(recorded_ids(clean_sandbox))) >= 300, 30)
    finally:
        stop_process(server.process)
    assert len(accepted) == 300
    assert set(recorded_ids(clean_sandbox)) == accepted
    assert queue.backlog() == 0, "every delivered event was acked"


def test_what_no_drain_could_settle_is_dead_lettered_and_replay_sends_it(
        clean_sandbox: Sandbox, pubsub_emulator: str, tmp_path: Path) -> None:
    # The emulator applies dead-letter policies, so this is Pub/Sub's own backstop, end to end.
    queue = make_queue(pubsub_emulator, max_delivery_attempts=5, backoff=False)
    db = tmp_path / "rows.sqlite3"
    env = pubsub_env(clean_sandbox, queue, db)
    server = start_function(env, tmp_path / "gateway.log")
    try:
        accepted, _ = post_all([server], [[event(f"dead-{i}") for i in range(5)]])
    finally:
        stop_process(server.process)
    refuse_until_dead_lettered(queue, 5)
    assert queue.backlog() == 0
    publish_raw(dataclasses.replace(queue, topic=queue.topic + "-dead"), [b"not an event"])

    def replay(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "function", "replay", *args], cwd=ROOT,
                              env={**os.environ, **env}, capture_output=True, text=True, timeout=60)

    # The logged failures only: an --event-id never drains the dead-letter subscription.
    assert replay("--event-id", "dead-0").returncode == 0
    assert queue.backlog(queue.dead_letter_subscription) == 6
    listed = replay("--dead-letters", "--dry-run", "--json")
    assert listed.returncode == 0, listed.stderr
    results = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(r["event_id"] for r in results if r["result"] == "would send") == sorted(accepted)
    assert [r["detail"] for r in results if r["result"] == "would fail"] == \
        ["poison Pub/Sub message: the message is not JSON"]
    assert len(replay("--dead-letters", "--dry-run", "--json", "--limit", "2").stdout.splitlines()) == 2
    assert recorded_ids(clean_sandbox) == []  # a dry run sends nothing
    assert queue.backlog(queue.dead_letter_subscription) == 6  # and takes nothing
    sent = replay("--dead-letters")
    assert sent.returncode == 1, sent.stderr  # the poison message failed on record
    assert json.loads(sent.stdout.splitlines()[-1])["failed"] == 1  # the summary, after the drain's lines
    assert sorted(recorded_ids(clean_sandbox)) == sorted(accepted)
    assert queue.backlog(queue.dead_letter_subscription) == 0


def test_at_its_last_delivery_an_event_pinterest_keeps_refusing_is_failed_on_record_not_dead_lettered(
        clean_sandbox: Sandbox, pubsub_emulator: str, tmp_path: Path) -> None:
    """Dead-lettered, its last row would say `retrying`: no failed row for `replay`, its story untold."""
    queue = make_queue(pubsub_emulator, max_delivery_attempts=5, backoff=False)
    db = tmp_path / "rows.sqlite3"
    env = pubsub_env(clean_sandbox, queue, db, PUBSUB_MAX_DELIVERY_ATTEMPTS="5")
    server = start_function(env, tmp_path / "gateway.log")
    try:
        accepted, _ = post_all([server], [[event("last-1")]])
    finally:
        stop_process(server.process)
    assert accepted == {"last-1"}
    faults(clean_sandbox, {"probability": 1.0, "kinds": ["503"]})
    try:
        for _ in range(10):  # each delivery is nacked until Pub/Sub's fifth
            drain_once(env)
            if "last-1" in failed_rows(db):
                break
    finally:
        faults(clean_sandbox, None)
    failed = failed_rows(db)["last-1"]
    assert "PUBSUB_MAX_DELIVERY_ATTEMPTS" in str(failed["error"])
    assert json.loads(str(failed["request_body"]))["event_id"] == "last-1"  # kept to replay
    assert queue.backlog() == 0, "acked"
    assert queue.backlog(queue.dead_letter_subscription) == 0, "not dead-lettered"
