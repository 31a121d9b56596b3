"""Benchmarks 2, 3 and 5: the real server over HTTP on loopback, against a bare function.

2. HTTP path: requests/s and p50/p99 latency of `pinterest_capi` (awaited, one event per request,
   delivered to the sandbox) against `bench/bare_function.py` (parse the JSON, return it), the
   issue's baseline; and, second, against `bench/bare_forward.py` (parse, make the one outbound
   call to the sandbox, return its answer), to tell the cost of that exchange on shared cores
   from the gateway's own overhead.
3. Optimistic delivery: events/s accepted (202) and Pinterest calls per 1,000 events, against
   awaited delivery's one call per event measured in the same run.
5. Memory: peak RSS (VmHWM) of the gunicorn worker under the HTTP-path load.
2b. The log store a deployment uses: the same awaited load with the rows streamed to BigQuery
   (`insert_rows_json`, google-cloud-bigquery as deployed) at the local BigQuery emulator the log
   tests start (bqemulator, .venv-bq), against the bare function of the same repetition.

Each repetition starts fresh servers (functions-framework's gunicorn: one worker, gthread with
THREADS threads), warms them up, then sends a fixed number of requests to each in turn.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field

from bench import datapath, workload
from bench.common import (
    CALLER_KEY,
    ROOT,
    LoadResult,
    SandboxProcess,
    ServerProcess,
    gateway_env,
    load,
    start_server,
    workdir,
)
from tests.processes import free_port, stop_process, wait_for_port

AUTH = {"Authorization": f"Bearer {CALLER_KEY}"}
WARMUP = 150


@dataclass
class HttpRun:
    """One repetition's figures."""

    bare: LoadResult
    forward: LoadResult
    ours: LoadResult
    bare_rss_mb: float
    ours_rss_mb: float
    awaited_calls_per_1000: float


@dataclass
class OptimisticRun:
    accepted: LoadResult
    events: int
    calls: int
    delivered: int
    batch_sizes: list[int] = field(default_factory=list)

    @property
    def calls_per_1000(self) -> float:
        return self.calls / self.events * 1000


def _start_servers(sandbox: SandboxProcess, rep: int) -> tuple[ServerProcess, ServerProcess, ServerProcess]:
    where = workdir(f"http-{rep}-")
    env = gateway_env(sandbox, where)
    bare = start_server("bare", ROOT / "bench" / "bare_function.py", {}, where / "bare.log")
    forward = start_server("bare_forward", ROOT / "bench" / "bare_forward.py", env, where / "forward.log")
    ours = start_server("pinterest_capi", ROOT / "main.py", env, where / "ours.log")
    return bare, forward, ours


def _built(bodies: list[bytes]) -> list[bytes]:
    """The forwarder's bodies: the same events as Pinterest events, built here beforehand (untimed)."""
    return [json.dumps(payload).encode() for payload in datapath.built_payloads(bodies)]


def http_run(sandbox: SandboxProcess, rep: int, requests: int, concurrency: int) -> HttpRun:
    """Fresh bare, forwarding and awaited servers; a warm-up, then `requests` single events to each."""
    bare, forward, ours = _start_servers(sandbox, rep)
    try:
        warm = workload.bodies(WARMUP, start=10_000_000)
        load(bare.port, warm, concurrency=concurrency)
        load(forward.port, _built(warm), concurrency=concurrency)
        load(ours.port, warm, concurrency=concurrency, headers=AUTH)
        bodies = workload.bodies(requests, start=rep * requests)
        forward_bodies = _built(bodies)
        bare_result = load(bare.port, bodies, concurrency=concurrency)
        forward_result = load(forward.port, forward_bodies, concurrency=concurrency)
        sandbox.reset()
        ours_result = load(ours.port, bodies, concurrency=concurrency, headers=AUTH, keep_bodies=True)
        calls = sandbox.stats()["calls"]
        _check_sent(ours_result, requests)
        assert bare_result.statuses == {200: requests}, bare_result.statuses
        assert forward_result.statuses == {200: requests}, forward_result.statuses  # Pinterest took them
        return HttpRun(bare_result, forward_result, ours_result, bare.peak_rss_mb(), ours.peak_rss_mb(),
                       calls / requests * 1000)
    finally:
        bare.stop()
        forward.stop()
        ours.stop()
        shutil.rmtree(bare.log_path.parent, ignore_errors=True)


def _check_sent(result: LoadResult, requests: int) -> None:
    """Correctness, not time: every request answered 200 with its event sent."""
    assert result.statuses == {200: requests}, result.statuses
    for body in result.bodies:
        answer = json.loads(body)
        assert answer["status"] == "sent", answer
        assert answer["events"][0]["status"] == "sent", answer


def optimistic_run(sandbox: SandboxProcess, rep: int, events: int, concurrency: int) -> OptimisticRun:
    """A fresh optimistic server, `events` single-event requests, then every event found at the sandbox."""
    where = workdir(f"optimistic-{rep}-")
    server = start_server("pinterest_capi", ROOT / "main.py",
                          gateway_env(sandbox, where, PINTEREST_DELIVERY="optimistic"), where / "ours.log")
    try:
        sandbox.reset()
        load(server.port, workload.bodies(WARMUP, start=20_000_000), concurrency=concurrency, headers=AUTH)
        _wait_delivered(sandbox, WARMUP)
        sandbox.reset()
        start = 30_000_000 + rep * events
        accepted = load(server.port, workload.bodies(events, start=start), concurrency=concurrency,
                        headers=AUTH)
        assert accepted.statuses == {202: events}, accepted.statuses
        delivered = _wait_delivered(sandbox, events)
        stats = sandbox.stats()
        ids = {record["event"]["event_id"] for record in sandbox.events()}
        expected = {workload.event(n)["event_id"] for n in range(start, start + events)}
        assert ids == expected, f"{len(expected - ids)} missing, {len(ids - expected)} unexpected"
        return OptimisticRun(accepted, events, stats["calls"], delivered, list(stats["batch_sizes"]))
    finally:
        server.stop()
        shutil.rmtree(where, ignore_errors=True)


def _wait_delivered(sandbox: SandboxProcess, events: int, timeout_s: float = 60.0) -> int:
    """Bounded wait until the sandbox has processed `events` events."""
    deadline = time.monotonic() + timeout_s
    processed = 0
    while time.monotonic() < deadline:
        processed = sandbox.stats()["events_processed"]
        if processed >= events:
            break
        time.sleep(0.1)
    return processed


BQ_EMULATOR = ROOT / ".venv-bq" / "bin" / "bqemulator"
BQ_PROJECT, BQ_DATASET = "bench-project", "logs"


@dataclass
class BigQueryEmulator:
    """bqemulator on loopback (as tests/logs/conftest.py starts it) and a client to make and read tables."""

    process: subprocess.Popen[bytes]
    endpoint: str
    client: object

    def new_table(self) -> str:
        """A fresh log table from function/logs/schema.json."""
        from google.cloud import bigquery

        from function.logs.schema import SCHEMA

        table = bigquery.Table(f"{BQ_PROJECT}.{BQ_DATASET}.events_{uuid.uuid4().hex[:12]}",
                               schema=[bigquery.SchemaField.from_api_repr(column) for column in SCHEMA])
        table.time_partitioning = bigquery.TimePartitioning(field="timestamp")
        created = self.client.create_table(table)  # type: ignore[attr-defined]
        return str(created.full_table_id).replace(":", ".")

    def count(self, table: str) -> int:
        rows = self.client.query(f"SELECT COUNT(*) AS n FROM `{table}`").result()  # type: ignore[attr-defined]  # noqa: S608
        return int(next(iter(rows))["n"])

    def stop(self) -> None:
        stop_process(self.process)


def start_bigquery_emulator(log_path: object) -> BigQueryEmulator | None:
    """None when .venv-bq is not installed (`make test` sets it up)."""
    if not BQ_EMULATOR.exists():
        return None
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    rest, grpc = free_port(), free_port()
    with open(str(log_path), "ab") as log:
        process = subprocess.Popen([str(BQ_EMULATOR), "start", "--rest-port", str(rest), "--grpc-port",
                                    str(grpc), "--project", BQ_PROJECT, "--log-level", "warning"],
                                   stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(rest, process, timeout_s=60)
    endpoint = f"http://127.0.0.1:{rest}"
    client = bigquery.Client(project=BQ_PROJECT, credentials=AnonymousCredentials(),
                             client_options=ClientOptions(api_endpoint=endpoint))
    client.create_dataset(BQ_DATASET, exists_ok=True)
    return BigQueryEmulator(process, endpoint, client)


@dataclass
class BigQueryRun:
    bare: LoadResult
    forward: LoadResult
    ours: LoadResult
    rows: int


def bigquery_run(sandbox: SandboxProcess, emulator: BigQueryEmulator, rep: int, requests: int,
                 concurrency: int) -> BigQueryRun:
    """Fresh bare and awaited servers, ours logging to a fresh emulator table; every row checked to arrive."""
    where = workdir(f"http-bq-{rep}-")
    table = emulator.new_table()
    env = gateway_env(sandbox, where, LOG_BIGQUERY_TABLE=table, BIGQUERY_API_ENDPOINT=emulator.endpoint)
    bare = start_server("bare", ROOT / "bench" / "bare_function.py", {}, where / "bare.log")
    forward = start_server("bare_forward", ROOT / "bench" / "bare_forward.py", env, where / "forward.log")
    ours = start_server("pinterest_capi", ROOT / "main.py", env, where / "ours.log")
    try:
        warm = workload.bodies(WARMUP, start=40_000_000)
        load(bare.port, warm, concurrency=concurrency)
        load(forward.port, _built(warm), concurrency=concurrency)
        load(ours.port, warm, concurrency=concurrency, headers=AUTH)
        bodies = workload.bodies(requests, start=50_000_000 + rep * requests)
        bare_result = load(bare.port, bodies, concurrency=concurrency)
        forward_result = load(forward.port, _built(bodies), concurrency=concurrency)
        ours_result = load(ours.port, bodies, concurrency=concurrency, headers=AUTH, keep_bodies=True)
        _check_sent(ours_result, requests)
        assert bare_result.statuses == {200: requests}, bare_result.statuses
        ours.stop()  # SIGTERM: the writer flushes what is left, as on the platform
        rows = emulator.count(table)
        assert rows >= WARMUP + requests, f"{rows} log rows in BigQuery for {WARMUP + requests} events"
        return BigQueryRun(bare_result, forward_result, ours_result, rows)
    finally:
        bare.stop()
        forward.stop()
        ours.stop()
        shutil.rmtree(where, ignore_errors=True)
