"""`python -m bench.pubsub_path`: pubsub delivery's publish path and drain, ratios in one run.

1. Publish path: requests/s and p50/p99 of one-event requests answered `queued` by a pubsub
   gateway (the real client, the Pub/Sub emulator), against optimistic delivery (in memory) and
   the bare function (`bench/bare_function.py`), each server fresh, warmed up, then the same load.
2. Drain: what the publish load left in the subscription, drained by `python -m function drain
   --once`: events/s (the drain's own clock) and Pinterest calls per 1000 events.
3. With valgrind: the publish path's instructions per request (our process only, all its threads:
   answer, publish, log row) against an optimistic request's, counted as `make bench-instructions`
   counts; the emulator's work is not ours, as Pub/Sub's is not the function's on Google Cloud.

Everything on 127.0.0.1; the emulator is Java on the same shared cores, so its latency is not
Pub/Sub's: read the ratios, not the absolute figures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from bench import instructions, workload
from bench.common import CALLER_KEY, ROOT, gateway_env, load, start_sandbox_process, start_server, workdir
from tests.integration.pubsub_emulator import make_queue, start_emulator, stop_emulator

AUTH = {"Authorization": f"Bearer {CALLER_KEY}"}
REQUESTS, CONCURRENCY, WARMUP = 2000, 8, 200


def main() -> int:
    where = workdir("pubsub-path-")
    host, emulator = start_emulator(where / "emulator")
    sandbox = start_sandbox_process()
    try:
        queue = make_queue(host)
        results = {}
        servers = {
            "bare function": ("bare", ROOT / "bench" / "bare_function.py", {}),
            "optimistic": ("pinterest_capi", ROOT / "main.py",
                           gateway_env(sandbox, where, PINTEREST_DELIVERY="optimistic")),
            "pubsub": ("pinterest_capi", ROOT / "main.py",
                       gateway_env(sandbox, where, PINTEREST_DELIVERY="pubsub", **queue.env())),
        }
        for name, (target, source, env) in servers.items():
            server = start_server(target, source, env, where / f"{name.replace(' ', '-')}.log")
            try:
                load(server.port, workload.bodies(WARMUP, start=50_000_000), concurrency=CONCURRENCY,
                     headers=AUTH)
                results[name] = load(server.port, workload.bodies(REQUESTS, start=60_000_000),
                                     concurrency=CONCURRENCY, headers=AUTH)
            finally:
                server.stop()
        assert set(results["pubsub"].statuses) == {202}, results["pubsub"].statuses
        sandbox.reset()
        drained = subprocess.run([sys.executable, "-m", "function", "drain", "--once"], cwd=ROOT,
                                 env={**os.environ, **gateway_env(sandbox, where, **queue.env())},
                                 capture_output=True, text=True, timeout=300)
        summary = json.loads(drained.stdout.strip().splitlines()[-1])
        calls = sandbox.stats()["calls"]
        counted = None
        if shutil.which("valgrind"):
            counted = (instructions.per_optimistic_request(PINTEREST_DELIVERY="pubsub", **queue.env()),
                       instructions.per_optimistic_request())
    finally:
        sandbox.stop()
        stop_emulator(emulator)
    base = results["bare function"]
    print(f"\n| {REQUESTS} one-event requests, {CONCURRENCY} connections | requests/s | p50 ms | p99 ms "
          "| requests/s vs bare |\n| --- | --- | --- | --- | --- |")
    for name, result in results.items():
        print(f"| {name} | {result.rps:.0f} | {result.percentile(50):.1f} | {result.percentile(99):.1f} "
              f"| {result.rps / base.rps:.2f} |")
    print(f"\ndrain: {summary['delivered']} events in {summary['seconds']} s = "
          f"{summary['delivered'] / summary['seconds']:.0f} events/s, {calls} Pinterest calls = "
          f"{calls / summary['delivered'] * 1000:.2f} per 1000 events (warm-up events included)")
    if counted:
        print(f"instructions per single-event request (all threads of our process): pubsub {counted[0]:,}, "
              f"optimistic {counted[1]:,}: {counted[0] / counted[1]:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
