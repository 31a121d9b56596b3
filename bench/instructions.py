"""Benchmarks 1 to 4 counted in CPU instructions (valgrind's callgrind), which machine noise cannot move.

The timed benchmarks are ratios on a shared, noisy machine; instruction counts are repeatable
for the same code and inputs, so they tell whether a change made the work smaller. Each figure
is the difference between a run that does the work N times and one that only sets it up,
divided by the number of events. `python -m bench.instructions` (needs valgrind; about four
minutes) prints the table; nothing is asserted about the counts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bench import coldstart, deployed, workload
from bench.common import CALLER_KEY, ROOT, gateway_env, start_sandbox_process, workdir

EVENTS = 300
_COLLECTED = re.compile(r"Collected : (\d+)")

# Sets up a builder and argv[3] bodies of the mix (or of one kind), then builds them argv[2] times.
_DATA_PATH = """
import json, sys
from bench import datapath, workload
kind, passes, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if kind in ("mix", "sdk"):
    bodies = workload.bodies(n)
else:
    bodies = [json.dumps(getattr(workload, kind)(i)).encode() for i in range(n)]
if kind == "sdk":
    build = datapath.sdk_builder()
    inputs = [datapath.sdk_inputs(p) for p in datapath.built_payloads(bodies)]
else:
    build = datapath.our_builder()
    inputs = bodies
for item in inputs[:30]:
    build(item)
for _ in range(passes):
    for item in inputs:
        build(item)
"""


# One function in process (functions-framework's app, Flask's test client): argv[3] single-event requests
# after 30 warm ones, each answered argv[5]. argv[1]: "ours" (main.py, its mode set by the environment;
# at exit the shutdown hook delivers what is queued and writes the rows), "bare" (bench/bare_function.py)
# or "forward" (bench/bare_forward.py, sent the same events as Pinterest events). argv[4] bodies are made
# beforehand, in the setup run too (untimed: the forwarder's are built by our data path).
_REQUESTS = """
import json, sys
import functions_framework
from bench import datapath, workload
side, key, n, made, answered = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
target, source = {"ours": ("pinterest_capi", "main.py"), "bare": ("bare", "bench/bare_function.py"),
                  "forward": ("bare_forward", "bench/bare_forward.py")}[side]
client = functions_framework.create_app(target=target, source=source).test_client()
headers = {"Authorization": "Bearer " + key} if side == "ours" else {}
bodies = workload.bodies(30 + made)
if side == "forward":
    bodies = [json.dumps(payload).encode() for payload in datapath.built_payloads(bodies)]
for body in bodies[:30 + n]:
    status = client.post("/", data=body, content_type="application/json", headers=headers).status_code
    assert status == answered, status
"""


def _instructions(args: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> int:
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *args],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)
    found = _COLLECTED.search(out.stderr)
    if out.returncode != 0 or not found:
        raise RuntimeError(f"callgrind run failed: {out.stderr[-2000:]}")
    return int(found.group(1))


def per_event(kind: str) -> int:
    """Instructions per event built: `kind` is a workload kind, "mix", or "sdk" (the SDK on the mix)."""
    code = [sys.executable, "-c", _DATA_PATH, kind]
    setup = _instructions([*code, "0", str(EVENTS)])
    work = _instructions([*code, "1", str(EVENTS)])
    return (work - setup) // EVENTS


def cold_start() -> tuple[int, int]:
    """Instructions of a fresh process: ours (import main, first request) and bare Flask's."""
    sandbox = start_sandbox_process()
    where = workdir("instructions-")
    try:
        env = {**os.environ, **gateway_env(sandbox, where)}
        body = json.dumps(workload.event(1))
        lazy = ",".join(coldstart.LAZY_MODULES)
        ours = _instructions([sys.executable, "-c", coldstart.OURS_CODE, body, CALLER_KEY, lazy], env)
        bare = _instructions([sys.executable, "-c", coldstart.BARE_CODE, body, CALLER_KEY, lazy])
    finally:
        sandbox.stop()
        shutil.rmtree(where, ignore_errors=True)
    return ours, bare


def per_optimistic_request(side: str = "ours", **delivery: str) -> int:
    """Instructions per single-event optimistic request: answer, queue, batched delivery and log row
    (`side` "bare": the bare function's request, the baseline). `delivery`: other settings of the
    instance, such as pubsub delivery's (bench/pubsub_path.py)."""
    # Windows longer than the run: one batch and one log write at exit, the same in every run.
    settings = {"PINTEREST_DELIVERY": "optimistic", "PINTEREST_BATCH_WAIT_MS": "60000",
                "LOG_BIGQUERY_FLUSH_MS": "60000", **delivery}
    return _per_request(side, settings, 202 if side == "ours" else 200)


def per_awaited_request(side: str = "ours") -> int:
    """Instructions per single-event awaited request (all threads: answer, Pinterest call, log row);
    `side` "forward": the parse + forward function's request, the baseline."""
    # The log window longer than the run: one log write at exit, the same in every run.
    return _per_request(side, {"LOG_BIGQUERY_FLUSH_MS": "60000"}, 200)


def _per_request(side: str, settings: dict[str, str], answered: int) -> int:
    """`_REQUESTS` with EVENTS requests less `_REQUESTS` with none, per request, against its own sandbox."""
    sandbox = start_sandbox_process()
    where = workdir("instructions-")
    try:
        env = {**os.environ, **gateway_env(sandbox, where, **settings)}
        code = [sys.executable, "-c", _REQUESTS, side, CALLER_KEY]
        setup = _instructions([*code, "0", str(EVENTS), str(answered)], env)
        work = _instructions([*code, str(EVENTS), str(EVENTS), str(answered)], env)
    finally:
        sandbox.stop()
        shutil.rmtree(where, ignore_errors=True)
    return (work - setup) // EVENTS


def deployed_cold_start() -> tuple[int, int]:
    """Instructions of a fresh process as deployed (bench/deployed.py: byte-compiled as the buildpack does):
    functions-framework builds the app and serves the first request; ours against the bare function."""
    sandbox = start_sandbox_process()
    where = workdir("instructions-")
    built = deployed.build()
    try:
        env = {**os.environ, **gateway_env(sandbox, where)}
        body = json.dumps(workload.event(1))
        counts = []
        for side in ("ours", "bare"):
            args, cwd = deployed.probe_args(built, side, body)
            counts.append(_instructions(args, env, cwd))
    finally:
        sandbox.stop()
        shutil.rmtree(where, ignore_errors=True)
    return counts[0], counts[1]


def main() -> int:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 1
    rows = [(kind, per_event(kind)) for kind in ("mix", *workload.KINDS)]
    sdk = per_event("sdk")
    print("| Figure | Ours | Baseline | Ratio |\n| --- | --- | --- | --- |")
    mix = rows[0][1]
    print(f"| 1. Data path, instructions per event, mix | {mix:,} | SDK: {sdk:,} | {sdk / mix:.2f}× fewer |")
    for kind, count in rows[1:]:
        print(f"| 1. Data path, instructions per event, {kind} only | {count:,} | — | — |")
    ours, bare = cold_start()
    print(f"| 4. Cold start, instructions, import + first request | {ours:,} | bare flask: {bare:,} | "
          f"{ours / bare:.2f}× more |")
    optimistic, bare_request = per_optimistic_request(), per_optimistic_request("bare")
    print(f"| 3. Optimistic, instructions per single-event request (all threads), Flask test client | "
          f"{optimistic:,} | bare function: {bare_request:,} | {optimistic / bare_request:.2f}× more |")
    awaited, forward = per_awaited_request(), per_awaited_request("forward")
    print(f"| 2. Awaited, instructions per single-event request (all threads), Flask test client | "
          f"{awaited:,} | parse + forward: {forward:,} | {awaited / forward:.2f}× more |")
    ours, bare = deployed_cold_start()
    print(f"| 4. Cold start as deployed (compiled), instructions, app built + first answer | {ours:,} | "
          f"bare functions-framework function: {bare:,} | {ours / bare:.2f}× more |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
