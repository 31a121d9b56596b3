"""`make soak`: 10,000 events through the real server (optimistic) while the sandbox injects 20% faults.

What it does, all on 127.0.0.1 with bounded counts and time:
1. starts the Pinterest sandbox (its own process) failing 20% of calls: 429 with Retry-After,
   503, timeouts (no answer), dropped connections, and slow answers that arrive after the
   function's read timeout (the outcome is unknown to the function: the sandbox did process);
2. starts the function as deployed (functions-framework's gunicorn), optimistic delivery,
   console log `always`, log rows in a SQLite file;
3. posts 10,000 events (requests of 1-20 events) from 4 client threads, each event carrying
   canary raw e-mails, phone numbers and names; the function's token is a canary too;
4. once half the events are accepted, sends the server SIGTERM (what Cloud Run does), waits
   as the platform would (10 s, then SIGKILL), starts it again and goes on; requests refused
   or cut off meanwhile are sent again (an unknown outcome, so the same events may arrive twice);
5. reconciles by event_id: accepted = delivered + recorded-failed (a union), duplicates at the sandbox only
   where a timeout (or a resend after a cut-off request) left the outcome unknown;
6. scans every log line of both servers and every stored log row for the canaries: zero hits.

Exits non-zero when a check fails. `python -m bench.soak --events N` runs a smaller soak.

`--profile pubsub` is queued delivery through the real Pub/Sub emulator: the same 10,000 canary
events and 20% faults, two gateways in turn (the first killed with SIGKILL once half the events
are accepted) and a drain that is also killed with SIGKILL mid-run and started again; every
accepted event must reach the sandbox or be on record failed, lost 0.

`--profile slow-sigterm` is the shutdown under stress instead: Pinterest answers nothing for 30 s,
so the first full batch hangs in its call, the queue fills, requests fall back to awaited
delivery and wait on Pinterest too; then SIGTERM, SIGKILL 10 s later. Every accepted event must
be delivered or on record in the log table (dropped or failed, with its payload), and the server
must exit by itself within the 10 s. `make soak` runs both profiles.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    AD_ACCOUNT,
    ROOT,
    SandboxProcess,
    ServerProcess,
    free_port,
    start_server,
    wait_for_port,
    workdir,
)
from tests.processes import stop_like_the_platform

CANARY_TOKEN = "soak-canary-token-7f3a9c"  # noqa: S105 - planted to prove it is never logged
CANARY_CALLER_KEY = "soak-canary-caller-key-51d8"
CANARY_MAIL_DOMAIN = "canary-mail.example"
CANARY_NAME = "Canaryfirstname"
# Raw phone numbers as planted: "+1 (415) 555-XXXX"; any of these shapes in a log is a leak.
# (Hex digests are not leaks: the digits may not touch other hex characters.)
PHONE_LEAK = re.compile(r"(?<![0-9a-fA-F])(?:\(?415\)?[\s.-]{0,2}555[\s.-]?|1?415555)\d{4}(?![0-9a-fA-F])")
FAULTS = {"probability": 0.2, "kinds": ["429", "503", "timeout", "drop", "slow"], "retry_after": 1,
          "latency_ms": 2500, "timeout_s": 3, "seed": 5}
READ_TIMEOUT_S = "2"  # PINTEREST_TIMEOUT_S: below the slow fault's 2.5 s, so the function gives up first
CLIENT_THREADS = 4
# slow-sigterm: every call sleeps 30 s (past the read timeout) before it is answered.
SLOW_PINTEREST = {"probability": 1.0, "kinds": ["slow"], "latency_ms": 30_000}
SLOW_QUEUE_MAX = 3000  # PINTEREST_QUEUE_MAX: small enough that the queue fills quickly
SLOW_AWAITED_REQUESTS = 8  # requests in flight at SIGTERM, one per request thread


def canary_event(n: int) -> dict:
    kind = n % 3
    event = {
        "event_id": f"soak-{n}",
        "event_name": ("purchase", "page_view", "generate_lead")[kind],
        "ip_override": f"203.0.113.{n % 250 + 1}",
        "user_agent": "Mozilla/5.0 (soak)",
        "page_location": f"https://shop.example.com/p/{n}",
        "user_data": {
            "email_address": f"Soak.Canary+{n}@{CANARY_MAIL_DOMAIN}",
            "phone_number": f"+1 (415) 555-{n % 10000:04d}",
            "address": {"first_name": CANARY_NAME, "last_name": f"Canarylast{n}", "country": "US"},
        },
    }
    if kind == 0:
        event.update(value=10 + n % 90, currency="USD", transaction_id=f"T-{n}",
                     items=[{"item_id": f"SKU-{n % 50}", "price": "10.00", "quantity": 1}])
    return event


@dataclass
class Driver:
    """Posts the requests from a few threads; a request refused or cut off is sent again."""

    batches: list[list[dict]]
    port: int
    accepted: set[str] = field(default_factory=set)
    refused_by_caller: set[str] = field(default_factory=set)  # a final 4xx/5xx answer for the event
    resent_unknown: set[str] = field(default_factory=set)  # cut off mid-request, then sent again
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # requests that got no answer, by why
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_index: int = 0
    pause: threading.Event = field(default_factory=threading.Event)

    def accepted_count(self) -> int:
        with self.lock:
            return len(self.accepted)

    def run(self, deadline: float) -> None:
        threads = [threading.Thread(target=self._worker, args=(deadline,), daemon=True)
                   for _ in range(CLIENT_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0) + 5)

    def _take(self) -> list[dict] | None:
        with self.lock:
            if self.next_index >= len(self.batches):
                return None
            self.next_index += 1
            return self.batches[self.next_index - 1]

    def _worker(self, deadline: float) -> None:
        import http.client

        while time.monotonic() < deadline:
            batch = self._take()
            if batch is None:
                return
            body = json.dumps(batch).encode()
            ids = [event["event_id"] for event in batch]
            for _attempt in range(60):  # bounded: about a minute of refusals at most
                while self.pause.is_set() and time.monotonic() < deadline:
                    time.sleep(0.05)
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                try:
                    conn.request("POST", "/", body=body, headers={
                        "Content-Type": "application/json", "Authorization": f"Bearer {CANARY_CALLER_KEY}"})
                    response = conn.getresponse()
                    status, answer = response.status, response.read()
                except (OSError, http.client.HTTPException) as exc:
                    # Refused before sending: nothing arrived. Cut off after sending: unknown outcome.
                    with self.lock:
                        self.errors[type(exc).__name__] += 1
                        if not isinstance(exc, ConnectionRefusedError):
                            self.resent_unknown.update(ids)
                    time.sleep(0.2)
                    continue
                finally:
                    conn.close()
                with self.lock:
                    self.statuses[status] += 1
                if status == 503:  # shutting down: the events were not taken; send them again
                    time.sleep(0.2)
                    continue
                self._record(ids, status, answer)
                break

    def _record(self, ids: list[str], status: int, answer: bytes) -> None:
        events = json.loads(answer).get("events", []) if answer else []
        by_id = {entry.get("event_id"): entry.get("status") for entry in events}
        with self.lock:
            for event_id in ids:
                if by_id.get(event_id) in ("queued", "sent"):
                    self.accepted.add(event_id)
                else:
                    self.refused_by_caller.add(event_id)


def read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM events")]


def log_lines(servers: list[ServerProcess]) -> list[str]:
    lines = []
    for server in servers:
        lines += server.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return lines


def canary_hits(texts: list[str]) -> Counter[str]:
    hits: Counter[str] = Counter()
    for text in texts:
        lowered = text.lower()
        if CANARY_MAIL_DOMAIN in lowered or "soak.canary" in lowered:
            hits["raw e-mail"] += 1
        if PHONE_LEAK.search(text):
            hits["raw phone"] += 1
        if CANARY_NAME.lower() in lowered or "canarylast" in lowered:
            hits["raw name"] += 1
        if CANARY_TOKEN in text:
            hits["Pinterest token"] += 1
        if CANARY_CALLER_KEY in text:
            hits["caller key"] += 1
    return hits


def start_sandbox() -> SandboxProcess:
    import subprocess

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "function.sandbox", "--host", "127.0.0.1", "--port", str(port),
         "--token", CANARY_TOKEN], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process)
    return SandboxProcess(process, port)


def evidence_of_unknown(rows: list[dict], lines: list[str]) -> set[str]:
    """Event ids whose delivery timed out at least once: Pinterest may have processed them."""
    found = set()
    for row in rows:
        if row.get("event_id") and "timeout" in f"{row.get('reason')} {row.get('error')}".lower():
            found.add(row["event_id"])
    for line in lines:
        if line.startswith("{") and "timeout" in line:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event_id") and "timeout" in str(entry.get("reason", "")).lower():
                found.add(entry["event_id"])
    return found


def failure_records(rows: list[dict], lines: list[str]) -> set[str]:
    """Events with a final failure on record: failed or dropped, in the log table or on stdout."""
    found = {row["event_id"] for row in rows
             if row.get("outcome") in ("failed", "dropped") and row.get("event_id")}
    for line in lines:
        if line.startswith("{") and '"outcome"' in line:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("outcome") in ("failed", "dropped") and entry.get("event_id"):
                found.add(entry["event_id"])
            row = entry.get("log_row")  # a row the store could not keep, printed instead
            if isinstance(row, dict) and row.get("outcome") in ("failed", "dropped") and row.get("event_id"):
                found.add(row["event_id"])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", choices=("faults", "slow-sigterm", "pubsub"), default="faults")
    args = parser.parse_args(argv)
    if args.profile == "slow-sigterm":
        return slow_sigterm()
    if args.profile == "pubsub":
        return pubsub(args.events, args.seed)
    started = time.monotonic()
    rnd = random.Random(args.seed)
    events = [canary_event(n) for n in range(args.events)]
    batches, index = [], 0
    while index < len(events):
        size = rnd.randint(1, 20)
        batches.append(events[index:index + size])
        index += size
    where = workdir("soak-")
    sqlite_path = where / "log.sqlite3"
    sandbox = start_sandbox()
    sandbox.faults(FAULTS)
    env = {
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT,
        "PINTEREST_ACCESS_TOKEN": CANARY_TOKEN,
        "PINTEREST_API_URL": sandbox.api_url,
        "GATEWAY_API_KEYS": CANARY_CALLER_KEY,
        "PINTEREST_DELIVERY": "optimistic",
        "PINTEREST_TIMEOUT_S": READ_TIMEOUT_S,
        "PINTEREST_BATCH_MAX": "250",  # more, smaller batches: more of them meet a fault
        "PINTEREST_MAX_ATTEMPTS": "2",  # so that some batches do fail for good and must be on record
        "PINTEREST_BATCH_WAIT_MS": "500",
        "LOG_CONSOLE": "always",
        "LOG_SQLITE_PATH": str(sqlite_path),
    }
    servers = [start_server("pinterest_capi", ROOT / "main.py", env, where / "server-1.log")]
    driver = Driver(batches, servers[0].port)
    deadline = time.monotonic() + 600
    load = threading.Thread(target=driver.run, args=(deadline,), daemon=True)
    load.start()
    while driver.accepted_count() < args.events // 2 and load.is_alive():
        time.sleep(0.05)
    accepted_at_sigterm = driver.accepted_count()
    clean_exit = stop_like_the_platform(servers[0].process)
    servers.append(start_server("pinterest_capi", ROOT / "main.py", env, where / "server-2.log"))
    driver.port = servers[1].port
    load.join(max(deadline - time.monotonic(), 0))
    _wait_quiet(sandbox)
    clean_final = stop_like_the_platform(servers[1].process)
    stats = sandbox.stats()
    recorded = Counter(record["event"]["event_id"] for record in sandbox.events())
    sandbox.stop()

    rows = read_rows(sqlite_path)
    lines = log_lines(servers)
    delivered = set(recorded)
    failed = failure_records(rows, lines)
    unknown = evidence_of_unknown(rows, lines) | driver.resent_unknown
    duplicates = {event_id for event_id, count in recorded.items() if count > 1}
    accepted = driver.accepted
    lost = accepted - (delivered | failed)
    unexpected = (delivered | failed) - accepted - driver.resent_unknown
    unexplained_duplicates = duplicates - unknown
    both = delivered & failed
    unexplained_both = both - unknown
    hits = canary_hits(lines) + canary_hits([json.dumps(row, default=str) for row in rows])
    checks = {
        "every accepted event delivered or recorded failed": not lost,
        "no event at the sandbox or on record that was not accepted": not unexpected,
        "duplicates only where a timeout or a resend left the outcome unknown": not unexplained_duplicates,
        "delivered and recorded failed only where the outcome was unknown": not unexplained_both,
        "zero canary hits in log lines and stored rows": not hits,
        "server exited by itself after each SIGTERM": clean_exit and clean_final,
        "every event sent was accepted": len(accepted) == args.events,
    }
    table = [
        ("events sent", args.events),
        ("requests", len(batches)),
        ("HTTP answers seen by the caller", dict(sorted(driver.statuses.items()))),
        ("requests without an answer (sent again)", dict(driver.errors) or 0),
        ("accepted (202 queued, or 200 sent)", len(accepted)),
        ("accepted when SIGTERM was sent", accepted_at_sigterm),
        ("refused to the caller (final 4xx/5xx)", len(driver.refused_by_caller - accepted)),
        ("resent after a cut-off request (outcome unknown)", len(driver.resent_unknown)),
        ("Pinterest calls (sandbox)", stats["calls"]),
        ("faults injected", dict(sorted(stats["faults"].items()))),
        ("sandbox answers", dict(sorted(stats["statuses"].items()))),
        ("delivered (distinct event_ids at the sandbox)", len(delivered)),
        ("recorded failed or dropped", len(failed)),
        ("delivered ∪ recorded-failed", len(delivered | failed)),
        ("accepted − (delivered ∪ failed): lost", len(lost)),
        ("(delivered ∪ failed) − accepted: unexpected", len(unexpected)),
        ("delivered ∩ failed (at Pinterest, yet recorded failed)", len(both)),
        ("  of which without an unknown outcome", len(unexplained_both)),
        ("duplicates at the sandbox (same event_id, >1 time)", len(duplicates)),
        ("  extra copies", sum(recorded[event_id] - 1 for event_id in duplicates)),
        ("  of which without a timeout or resend", len(unexplained_duplicates)),
        ("events with a timed-out call (outcome unknown)", len(evidence_of_unknown(rows, lines))),
        ("log lines scanned (both servers' stdout)", len(lines)),
        ("log rows scanned (SQLite)", len(rows)),
        ("canary hits", dict(hits) or 0),
        ("run time", f"{time.monotonic() - started:.0f} s"),
    ]
    return _report("Reconciliation", table, checks, where)


def post(port: int, events: list[dict]) -> tuple[int, list[dict]]:
    """One authenticated request; (0, []) when it got no answer (refused, or cut off by the kill)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/", body=json.dumps(events).encode(), headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {CANARY_CALLER_KEY}"})
        response = conn.getresponse()
        answer = response.read()
        return response.status, json.loads(answer).get("events", []) if answer else []
    except (OSError, http.client.HTTPException, ValueError):
        return 0, []
    finally:
        conn.close()


def taken(answered: list[dict]) -> set[str]:
    """The events the function accepted: queued, or sent while the caller waited."""
    return {entry["event_id"] for entry in answered if entry.get("status") in ("queued", "sent")}


def slow_sigterm() -> int:
    """The slow-Pinterest + SIGTERM profile (see the module docstring)."""
    started = time.monotonic()
    where = workdir("soak-slow-")
    sqlite_path = where / "log.sqlite3"
    sandbox = start_sandbox()
    sandbox.faults(SLOW_PINTEREST)
    env = {
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": CANARY_TOKEN,
        "PINTEREST_API_URL": sandbox.api_url, "GATEWAY_API_KEYS": CANARY_CALLER_KEY,
        "PINTEREST_DELIVERY": "optimistic", "PINTEREST_QUEUE_MAX": str(SLOW_QUEUE_MAX),
        "PINTEREST_BATCH_WAIT_MS": "60000", "THREADS": str(SLOW_AWAITED_REQUESTS),
        "LOG_CONSOLE": "always", "LOG_SQLITE_PATH": str(sqlite_path),
    }
    server = start_server("pinterest_capi", ROOT / "main.py", env, where / "server.log")
    accepted: set[str] = set()
    n = 0
    while n < 10 * SLOW_QUEUE_MAX:  # until the queue is full: a request falls back to awaited
        status, answered = post(server.port, [canary_event(n + i) for i in range(100)])
        n += 100
        accepted |= taken(answered)
        if status != 202:
            break
    queued_at_sigterm = len(accepted)
    answers: list[list[dict]] = []

    def awaited(first: int) -> None:
        answers.append(post(server.port, [canary_event(first + i) for i in range(20)])[1])

    callers = [threading.Thread(target=awaited, args=(n + 20 * k,), daemon=True)
               for k in range(SLOW_AWAITED_REQUESTS)]
    for caller in callers:
        caller.start()
    time.sleep(1.0)  # they are waiting on Pinterest now
    sigterm_at = time.monotonic()
    clean_exit = stop_like_the_platform(server.process)
    exit_s = time.monotonic() - sigterm_at
    delivered = {record["event"]["event_id"] for record in sandbox.events()}  # before its slow calls end
    for caller in callers:
        caller.join(30)
    for answered in answers:
        accepted |= taken(answered)
    sandbox.stop()
    rows = read_rows(sqlite_path)
    lines = log_lines([server])
    recorded = {row["event_id"] for row in rows
                if row.get("outcome") in ("failed", "dropped") and row["event_id"]}
    dropped = {row["event_id"] for row in rows if row.get("outcome") == "dropped"}
    lost = accepted - delivered - recorded
    hits = canary_hits(lines) + canary_hits([json.dumps(row, default=str) for row in rows])
    checks = {
        "the queue filled before SIGTERM": queued_at_sigterm >= SLOW_QUEUE_MAX,
        "every accepted event delivered or on record in the log table": not lost,
        "the server exited by itself within the platform's 10 s": clean_exit,
        "zero canary hits in log lines and stored rows": not hits,
    }
    table = [
        ("accepted before SIGTERM (202 queued)", queued_at_sigterm),
        ("awaited requests in flight at SIGTERM", SLOW_AWAITED_REQUESTS),
        ("accepted in all", len(accepted)),
        ("delivered (at the sandbox at SIGKILL time)", len(delivered)),
        ("on record as dropped (log table)", len(dropped)),
        ("on record as failed or dropped (log table)", len(recorded)),
        ("accepted − (delivered ∪ recorded): lost", len(lost)),
        ("SIGTERM to exit", f"{exit_s:.1f} s" if clean_exit else "killed at 10 s"),
        ("log rows not stored (printed instead)", sum("log row not stored" in line for line in lines)),
        ("canary hits", dict(hits) or 0),
        ("run time", f"{time.monotonic() - started:.0f} s"),
    ]
    return _report("Slow Pinterest + SIGTERM", table, checks, where)


def request_batches(count: int, seed: int) -> list[list[dict]]:
    """The canary events in requests of 1-20."""
    rnd = random.Random(seed)
    events = [canary_event(n) for n in range(count)]
    batches, index = [], 0
    while index < len(events):
        size = rnd.randint(1, 20)
        batches.append(events[index:index + size])
        index += size
    return batches


def pubsub(count: int, seed: int) -> int:
    """The pubsub profile (see the module docstring): SIGKILL of a gateway and of the drain."""
    import signal
    import subprocess

    from tests.integration.pubsub_emulator import make_queue, start_emulator, stop_emulator

    started = time.monotonic()
    where = workdir("soak-pubsub-")
    sqlite_path = where / "log.sqlite3"
    host, emulator = start_emulator(where / "emulator")
    sandbox = start_sandbox()
    try:
        sandbox.faults(FAULTS)
        queue = make_queue(host)
        env = {
            "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": CANARY_TOKEN,
            "PINTEREST_API_URL": sandbox.api_url, "GATEWAY_API_KEYS": CANARY_CALLER_KEY,
            "PINTEREST_DELIVERY": "pubsub", "PINTEREST_TIMEOUT_S": READ_TIMEOUT_S,
            "PINTEREST_MAX_ATTEMPTS": "2", "PUBSUB_DRAIN_BUDGET_S": "10", "LOG_CONSOLE": "always",
            "LOG_SQLITE_PATH": str(sqlite_path),
            **queue.env(),
        }
        drains: list[subprocess.Popen[bytes]] = []
        drain_logs = [where / "drain-1.log", where / "drain-2.log"]

        def start_drain(log_path: Path) -> None:
            with log_path.open("wb") as log:
                drains.append(subprocess.Popen([sys.executable, "-m", "function", "drain"], cwd=ROOT,
                                               env={**os.environ, **env}, stdout=log,
                                               stderr=subprocess.STDOUT))

        servers = [start_server("pinterest_capi", ROOT / "main.py", env, where / "server-1.log")]
        start_drain(drain_logs[0])
        driver = Driver(request_batches(count, seed), servers[0].port)
        deadline = time.monotonic() + 600
        load = threading.Thread(target=driver.run, args=(deadline,), daemon=True)
        load.start()
        while driver.accepted_count() < count // 2 and load.is_alive():
            time.sleep(0.05)
        accepted_at_kill = driver.accepted_count()
        servers[0].process.send_signal(signal.SIGKILL)  # no shutdown hook: what an OOM kill does
        servers[0].process.wait()
        drains[0].send_signal(signal.SIGKILL)  # mid-batch: its pulled messages are never acked
        drains[0].wait()
        calls_at_kill = sandbox.stats()["calls"]
        servers.append(start_server("pinterest_capi", ROOT / "main.py", env, where / "server-2.log"))
        driver.port = servers[1].port
        start_drain(drain_logs[1])
        load.join(max(deadline - time.monotonic(), 0))
        _wait_quiet(sandbox, quiet_s=15.0, timeout_s=180.0)  # past the 10 s ack deadline and backoff
        drains[1].send_signal(signal.SIGINT)
        drains[1].wait(30)
        stop_like_the_platform(servers[1])
        stats = sandbox.stats()
        recorded = Counter(record["event"]["event_id"] for record in sandbox.events())
        backlog = queue.backlog()
    finally:
        sandbox.stop()
        stop_emulator(emulator)
    rows = read_rows(sqlite_path)
    lines = log_lines(servers) + [line for path in drain_logs
                                  for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    delivered = set(recorded)
    failed = failure_records(rows, lines)
    accepted = driver.accepted
    lost = accepted - (delivered | failed)
    unexpected = (delivered | failed) - accepted - driver.resent_unknown
    duplicates = {event_id for event_id, count_ in recorded.items() if count_ > 1}
    hits = canary_hits(lines) + canary_hits([json.dumps(row, default=str) for row in rows])
    sizes = stats["batch_sizes"]
    checks = {
        "every accepted event delivered or recorded failed": not lost,
        "no event at the sandbox or on record that was not accepted": not unexpected,
        "nothing left in the subscription": backlog == 0,
        "zero canary hits in log lines and stored rows": not hits,
        "every event sent was accepted": len(accepted) == count,
    }
    table = [
        ("events sent", count),
        ("HTTP answers seen by the caller", dict(sorted(driver.statuses.items()))),
        ("requests without an answer (sent again)", dict(driver.errors) or 0),
        ("accepted (202 queued, or 200 sent when a publish failed)", len(accepted)),
        ("accepted when the gateway and the drain were killed (SIGKILL)", accepted_at_kill),
        ("Pinterest calls by then", calls_at_kill),
        ("Pinterest calls (sandbox)", stats["calls"]),
        ("batch sizes: median, largest", f"{sorted(sizes)[len(sizes) // 2] if sizes else 0}, "
                                         f"{max(sizes, default=0)}"),
        ("faults injected", dict(sorted(stats["faults"].items()))),
        ("delivered (distinct event_ids at the sandbox)", len(delivered)),
        ("recorded failed", len(failed)),
        ("accepted − (delivered ∪ failed): lost", len(lost)),
        ("duplicates at the sandbox (same event_id, >1 time)", len(duplicates)),
        ("left in the subscription", backlog),
        ("log lines scanned (gateways and drains)", len(lines)),
        ("log rows scanned (SQLite)", len(rows)),
        ("canary hits", dict(hits) or 0),
        ("run time", f"{time.monotonic() - started:.0f} s"),
    ]
    return _report("Pub/Sub, SIGKILL of a gateway and of the drain", table, checks, where)


def _report(title: str, table: list[tuple[str, object]], checks: dict[str, bool], where: Path) -> int:
    """Print a profile's table and checks; 0 when every check passed."""
    width = max(len(name) for name, _ in table)
    print(f"\n| {title} | |\n| --- | --- |")
    for name, value in table:
        print(f"| {name.ljust(width)} | {value} |")
    print()
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    print(f"\nlogs and rows kept in {where.relative_to(ROOT)}")
    return 0 if all(checks.values()) else 1


def _wait_quiet(sandbox: SandboxProcess, quiet_s: float = 4.0, timeout_s: float = 90.0) -> None:
    """Bounded wait until the sandbox has seen no new call for `quiet_s` (the queue has drained)."""
    deadline = time.monotonic() + timeout_s
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        calls = sandbox.stats()["calls"]
        if calls != last:
            last, since = calls, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        time.sleep(0.25)


if __name__ == "__main__":
    sys.exit(main())
