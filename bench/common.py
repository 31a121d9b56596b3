"""What the benchmarks share: statistics, real processes on loopback, a fixed-count load generator.

Every server here listens on 127.0.0.1 only; every load loop sends a fixed number of requests
and has a time bound.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import free_port, stop_process, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
SANDBOX_TOKEN = "bench-sandbox-token-4d1e"  # noqa: S105 - the sandbox's own token, not a credential
CALLER_KEY = "bench-caller-key-93a0"  # the local caller key the started servers accept
AD_ACCOUNT = "549000000077"
# functions-framework's default on this machine: 4 request threads per CPU.
THREADS = str((os.cpu_count() or 1) * 4)


# ---------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Sample:
    """Repeated measurements of one figure: median and spread (min-max)."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def spread_pct(self) -> float:
        """(max - min) / median, in percent: how noisy the repetitions were."""
        return 100 * (self.high - self.low) / self.median if self.median else 0.0


def sample(values: Sequence[float]) -> Sample:
    return Sample(tuple(values))


def fmt(value: float, digits: int = 1) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


@dataclass
class Row:
    """One line of the results table."""

    benchmark: str
    metric: str
    ours: Sample
    baseline: Sample | None
    baseline_name: str
    ratio: float | None
    ratio_label: str
    target: str
    met: bool | None
    unit: str = ""


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def markdown(self) -> str:
        head = ("| Benchmark | Metric | Ours: median (min-max) | Baseline: median (min-max) | Ratio | Target "
                "| Met |\n| --- | --- | --- | --- | --- | --- | --- |")
        lines = [head]
        for r in self.rows:
            ours = f"{fmt(r.ours.median)} ({fmt(r.ours.low)}-{fmt(r.ours.high)}) {r.unit}".strip()
            base = "—" if r.baseline is None else (
                f"{r.baseline_name}: {fmt(r.baseline.median)} ({fmt(r.baseline.low)}-{fmt(r.baseline.high)}) "
                f"{r.unit}").strip()
            ratio = "—" if r.ratio is None else f"{r.ratio:.2f}× {r.ratio_label}".strip()
            met = "—" if r.met is None else ("yes" if r.met else "**no**")
            lines.append(f"| {r.benchmark} | {r.metric} | {ours} | {base} | {ratio} | {r.target} | {met} |")
        return "\n".join(lines)


def machine() -> dict[str, str]:
    """nproc, CPU model, Python version and kernel, for the results file."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "cpu": model, "python": sys.version.split()[0],
            "kernel": os.uname().release}


# ---------------------------------------------------------------- processes


# free_port, wait_for_port and stop_process are the tests' own (tests/processes.py): one way to start
# and stop a process on loopback.


@dataclass
class SandboxProcess:
    """The Pinterest sandbox in its own process, so it does not share a GIL with the load generator."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.port}/v5"

    def control(self, method: str, path: str, body: object = None) -> object:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            data = None if body is None else json.dumps(body)
            conn.request(method, f"/_sandbox/{path}", body=data, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            return json.loads(response.read() or b"null")
        finally:
            conn.close()

    def reset(self) -> None:
        self.control("DELETE", "events")

    def stats(self) -> dict:
        return self.control("GET", "stats")  # type: ignore[return-value]

    def events(self) -> list[dict]:
        return self.control("GET", "events")["events"]  # type: ignore[index]

    def faults(self, config: dict) -> None:
        self.control("POST", "faults", config)

    def stop(self) -> None:
        stop_process(self.process)


def start_sandbox_process() -> SandboxProcess:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "function.sandbox", "--host", HOST, "--port", str(port),
         "--token", SANDBOX_TOKEN], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process)
    return SandboxProcess(process, port)


@dataclass
class ServerProcess:
    """A functions-framework server (gunicorn, as Cloud Functions runs it) on loopback."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def worker_pids(self) -> list[int]:
        """gunicorn's worker(s): the children of the master process."""
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def peak_rss_mb(self) -> float:
        """VmHWM (peak resident set) of the worker that serves the requests, in MB."""
        peaks = [vm_hwm_mb(pid) for pid in self.worker_pids()]
        return max(peaks, default=0.0)

    def master_rss_mb(self) -> float:
        return vm_hwm_mb(self.process.pid)

    def stop(self, timeout_s: float = 15.0) -> None:
        stop_process(self.process, timeout_s)


def vm_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def start_server(target: str, source: Path, env: dict[str, str], log_path: Path,
                 python: str = sys.executable) -> ServerProcess:
    """`python -m functions_framework`: the same gunicorn configuration as Cloud Functions (one worker,
    gthread with THREADS threads, timeout from CLOUD_RUN_TIMEOUT_SECONDS)."""
    port = free_port()
    full_env = {**os.environ, "THREADS": THREADS, "PYTHONUNBUFFERED": "1", **env}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [python, "-m", "functions_framework", "--target", target, "--source", str(source),
             "--host", HOST, "--port", str(port)],
            cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(port, process)
    return ServerProcess(process, port, log_path)


def gateway_env(sandbox: SandboxProcess, workdir: Path, **extra: str) -> dict[str, str]:
    """Our function's settings for a benchmark: the sandbox as Pinterest, the default SQLite log store."""
    return {
        "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT,
        "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
        "PINTEREST_API_URL": sandbox.api_url,
        "GATEWAY_API_KEYS": CALLER_KEY,
        "LOG_SQLITE_PATH": str(workdir / "log.sqlite3"),
        **extra,
    }


def workdir(prefix: str) -> Path:
    base = ROOT / ".local" / "bench"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


# ---------------------------------------------------------------- load generator


@dataclass
class LoadResult:
    """What a fixed-count run measured."""

    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter[int]
    bodies: list[bytes] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, pct: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return 0.0
        index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
        return ordered[index]


def load(port: int, bodies: Sequence[bytes], *, concurrency: int, headers: dict[str, str] | None = None,
         timeout_s: float = 120.0, keep_bodies: bool = False,
         on_response: Callable[[int, int, bytes], None] | None = None) -> LoadResult:
    """POST each body once over `concurrency` keep-alive connections; bounded by count and `timeout_s`.

    `on_response(index, status, body)` sees every answer (a connection error is status 0).
    """
    sent_headers = {"Content-Type": "application/json", **(headers or {})}
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    kept: list[bytes] = []
    deadline = time.monotonic() + timeout_s

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        own_lat: list[float] = []
        own_status: Counter[int] = Counter()
        while time.monotonic() < deadline:
            with lock:
                index = next(next_index, None)
            if index is None:
                break
            started = time.perf_counter()
            try:
                conn.request("POST", "/", body=bodies[index], headers=sent_headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                payload, status = b"", 0
            own_lat.append((time.perf_counter() - started) * 1000)
            own_status[status] += 1
            if on_response is not None:
                on_response(index, status, payload)
            if keep_bodies:
                with lock:
                    kept.append(payload)
        conn.close()
        with lock:
            latencies.extend(own_lat)
            statuses.update(own_status)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0) + 5)
    seconds = time.perf_counter() - started
    return LoadResult(len(latencies), seconds, latencies, statuses, kept)
