"""`make bench`: the benchmarks of issues 5 and 18, each a ratio against a baseline measured in the same run.

Prints one markdown table (median and min-max over the repetitions) and writes it, with the
machine description, to .local/bench/results.md. Only correctness is asserted (equivalent
payloads, every request answered as expected, every optimistic event delivered), never time.

Environment knobs (defaults in brackets): BENCH_REPS [3] repetitions of the HTTP benchmarks,
BENCH_REQUESTS [1500] requests per server per repetition, BENCH_OPTIMISTIC_EVENTS [3000],
BENCH_CONCURRENCY [THREADS] client connections, BENCH_PROFILE_S [3] seconds of profiling,
BENCH_COLD_REPS [5] fresh processes per side of the deployed cold start.
"""

from __future__ import annotations

import os
import sys
import time

from bench import coldstart, datapath, deployed, http_path, workload
from bench.common import (
    ROOT,
    THREADS,
    Row,
    SandboxProcess,
    Table,
    fmt,
    machine,
    sample,
    start_sandbox_process,
    workdir,
)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def data_path(table: Table) -> None:
    checked = datapath.check_equivalent(workload.bodies(90))
    result = datapath.measure(repetitions=5)
    ours, sdk = result["ours"], result["sdk"]
    table.add(Row("1. Data path", "µs/event, mix", ours, sdk, "SDK", sdk.median / ours.median, "faster",
                  "≤ 50 µs, ≥ 5× faster", ours.median <= 50 and sdk.median / ours.median >= 5, "µs"))
    per_s = sample([1e6 / v for v in ours.values])
    sdk_per_s = sample([1e6 / v for v in sdk.values])
    table.add(Row("1. Data path", "events/s, mix", per_s, sdk_per_s, "SDK", per_s.median / sdk_per_s.median,
                  "more", "", None))
    for kind in workload.KINDS:
        value = result[f"ours_{kind}"]
        table.add(Row("1. Data path", f"µs/event, {kind} only", value, None, "", None, "", "", None, "µs"))
    ours_import = datapath.import_seconds("function.pipeline.request")
    sdk_import = datapath.import_seconds("pinterest.ads.conversion_events")
    to_ms = lambda s: sample([v * 1000 for v in s.values])  # noqa: E731
    table.add(Row("1. Data path", "import of the builder (cold start)", to_ms(ours_import), to_ms(sdk_import),
                  "SDK", sdk_import.median / ours_import.median, "faster", "", None, "ms"))
    table.notes.append(f"Data path: the SDK, fed our extracted and hashed values, built the same event as "
                       f"our builder for all {checked} events checked (bar the nulls it adds).")


def http(table: Table, sandbox: SandboxProcess) -> None:
    reps, requests = _int("BENCH_REPS", 3), _int("BENCH_REQUESTS", 1500)
    concurrency = _int("BENCH_CONCURRENCY", int(THREADS))
    runs = [http_path.http_run(sandbox, rep, requests, concurrency) for rep in range(reps)]
    ours_rps = sample([r.ours.rps for r in runs])
    bare_rps = sample([r.bare.rps for r in runs])
    table.add(Row("2. HTTP path", "requests/s", ours_rps, bare_rps, "bare", bare_rps.median / ours_rps.median,
                  "overhead", "overhead ≤ 1.5×", bare_rps.median / ours_rps.median <= 1.5))
    for pct in (50, 99):
        ours = sample([r.ours.percentile(pct) for r in runs])
        bare = sample([r.bare.percentile(pct) for r in runs])
        table.add(Row("2. HTTP path", f"p{pct} latency", ours, bare, "bare", ours.median / bare.median,
                      "slower", "", None, "ms"))
    forward_rps = sample([r.forward.rps for r in runs])
    table.add(Row("2. HTTP path", "requests/s, against parse + one outbound call", ours_rps, forward_rps,
                  "forward", forward_rps.median / ours_rps.median, "overhead", "", None))
    ours_p50 = sample([r.ours.percentile(50) for r in runs])
    forward_p50 = sample([r.forward.percentile(50) for r in runs])
    table.add(Row("2. HTTP path", "p50 latency, against parse + one outbound call", ours_p50, forward_p50,
                  "forward", ours_p50.median / forward_p50.median, "slower", "", None, "ms"))
    ours_mb = sample([r.ours_rss_mb for r in runs])
    bare_mb = sample([r.bare_rss_mb for r in runs])
    table.add(Row("5. Memory", "peak RSS of the worker under the HTTP load", ours_mb, bare_mb, "bare",
                  ours_mb.median / bare_mb.median, "", "≤ 120 MB", ours_mb.median <= 120, "MB"))
    events = _int("BENCH_OPTIMISTIC_EVENTS", 3000)
    optimistic = [http_path.optimistic_run(sandbox, rep, events, concurrency) for rep in range(reps)]
    accepted = sample([r.accepted.rps for r in optimistic])
    table.add(Row("3. Optimistic", "events/s accepted (202)", accepted, ours_rps, "awaited",
                  accepted.median / ours_rps.median, "more", "", None))
    bare_rps = sample([r.bare.rps for r in runs])
    overhead = bare_rps.median / accepted.median
    table.add(Row("3. Optimistic", "requests/s accepted, against the bare function", accepted, bare_rps,
                  "bare", overhead, "overhead", "≤ 1.4×", overhead <= 1.4))
    calls = sample([r.calls_per_1000 for r in optimistic])
    awaited_calls = sample([r.awaited_calls_per_1000 for r in runs])
    table.add(Row("3. Optimistic", "Pinterest calls per 1,000 events", calls, awaited_calls, "awaited",
                  awaited_calls.median / calls.median, "fewer", "≤ 2", calls.median <= 2))
    sizes = sorted(size for r in optimistic for size in r.batch_sizes)
    table.notes.append(
        f"HTTP: {requests} single-event requests per server per repetition over {concurrency} keep-alive "
        f"connections, {reps} repetitions, fresh servers each (functions-framework's gunicorn: 1 worker, "
        f"gthread, THREADS={THREADS}); ours delivers each event awaited to the sandbox (a separate process) "
        f"and keeps log rows in SQLite (LOG_SQLITE_PATH). Baselines: bare parses the JSON and returns it "
        f"(the issue's); forward (bench/bare_forward.py) parses a Pinterest event built beforehand, POSTs it "
        f"to the sandbox with requests and returns the answer: one outbound exchange, no gateway. "
        f"Optimistic: {events} events per repetition, "
        f"default batching (PINTEREST_BATCH_MAX=1000, PINTEREST_BATCH_WAIT_MS=1000); batch sizes seen: "
        f"{sizes}; every accepted event reached the sandbox.")


def http_bigquery(table: Table, sandbox: SandboxProcess) -> None:
    """Benchmark 2 with the deployment's log store: rows streamed to the BigQuery emulator."""
    reps, requests = _int("BENCH_REPS", 3), _int("BENCH_REQUESTS", 1500)
    concurrency = _int("BENCH_CONCURRENCY", int(THREADS))
    where = workdir("bqemulator-")
    emulator = http_path.start_bigquery_emulator(where / "emulator.log")
    if emulator is None:
        table.notes.append("HTTP with BigQuery: not run, the emulator (.venv-bq) is not installed.")
        return
    try:
        runs = [http_path.bigquery_run(sandbox, emulator, rep, requests, concurrency) for rep in range(reps)]
    finally:
        emulator.stop()
    ours = sample([r.ours.rps for r in runs])
    bare = sample([r.bare.rps for r in runs])
    table.add(Row("2b. HTTP, BigQuery log", "requests/s, awaited, rows to the BigQuery emulator", ours, bare,
                  "bare", bare.median / ours.median, "overhead", "", None))
    ours_p50 = sample([r.ours.percentile(50) for r in runs])
    bare_p50 = sample([r.bare.percentile(50) for r in runs])
    table.add(Row("2b. HTTP, BigQuery log", "p50 latency", ours_p50, bare_p50, "bare",
                  ours_p50.median / bare_p50.median, "slower", "", None, "ms"))
    forward = sample([r.forward.rps for r in runs])
    overhead = forward.median / ours.median
    table.add(Row("2b. HTTP, BigQuery log", "requests/s, against parse + one outbound call", ours, forward,
                  "forward", overhead, "overhead", "≤ 1.1×", overhead <= 1.1))
    table.notes.append(f"HTTP with BigQuery: benchmark 2's awaited load with LOG_BIGQUERY_TABLE set, rows "
                       f"streamed with insert_rows_json to bqemulator on loopback; every row checked to "
                       f"arrive ({sorted(r.rows for r in runs)} rows).")


def cold_deployed(table: Table, sandbox: SandboxProcess) -> None:
    """Benchmark 4 as deployed: compiled as the buildpack does, against a bare functions-framework app."""
    result = deployed.measure(sandbox, repetitions=_int("BENCH_COLD_REPS", 5))
    for key, metric in (("server", "functions-framework started → first answer (compiled)"),
                        ("first", "app built + first answer, in process (compiled)")):
        ours, bare = result[f"ours_{key}"], result[f"bare_{key}"]
        ratio = ours.median / bare.median
        table.add(Row("4. Cold start, deployed", metric, ours, bare, "bare function", ratio, "slower",
                      "≤ 1.4×", ratio <= 1.4, "ms"))
    ours, bare = result["ours_import"], result["bare_import"]
    table.add(Row("4. Cold start, deployed", "app built (import), in process (compiled)", ours, bare,
                  "bare function", ours.median / bare.median, "slower", "", None, "ms"))
    table.notes.append("Cold start as deployed (bench/deployed.py): dependencies pip-installed --no-compile "
                       "and compiled with `compileall --invalidation-mode unchecked-hash`, the source with "
                       "`compileall -f`, as Google's Python buildpack does; no source file was compiled in "
                       "any run (audit hook); no phonenumbers, sqlite3, pycountry or Google client loaded.")


def cold(table: Table, sandbox: SandboxProcess) -> None:
    result = coldstart.measure(sandbox, repetitions=5)
    ours, bare = result["ours_first"], result["bare_first"]
    table.add(Row("4. Cold start", "import + first request, in process", ours, bare, "bare flask",
                  ours.median / bare.median, "slower", "≤ 2×", ours.median / bare.median <= 2, "ms"))
    imports = result["ours_import"], result["bare_import"]
    table.add(Row("4. Cold start", "import only", *imports, "import flask",
                  imports[0].median / imports[1].median, "slower", "", None, "ms"))
    table.add(Row("4. Cold start", "whole process (interpreter start included)", result["ours_wall"],
                  result["bare_wall"], "bare flask", result["ours_wall"].median / result["bare_wall"].median,
                  "slower", "", None, "ms"))
    table.notes.append("Cold start: Google client libraries (BigQuery, Secret Manager, gRPC, api_core) were "
                       "not imported by `import main` nor by the first request.")


def main() -> int:
    started = time.monotonic()
    table = Table()
    print("benchmark 1: pure data path ...", flush=True)
    data_path(table)
    sandbox = start_sandbox_process()
    try:
        print("benchmarks 2, 3, 5: HTTP path, optimistic delivery, memory ...", flush=True)
        http(table, sandbox)
        print("benchmark 2b: HTTP path with the BigQuery log store (emulator) ...", flush=True)
        http_bigquery(table, sandbox)
        print("benchmark 4: cold start ...", flush=True)
        cold(table, sandbox)
        print("benchmark 4, as deployed: byte-compiled, against a bare functions-framework function ...",
              flush=True)
        cold_deployed(table, sandbox)
    finally:
        sandbox.stop()
    facts = machine()
    header = (f"Machine: {facts['nproc']} CPUs ({facts['cpu']}), Python {facts['python']}, "
              f"Linux {facts['kernel']}; run took {fmt(time.monotonic() - started, 0)} s.")
    text = "\n\n".join([header, table.markdown(), *(f"- {note}" for note in table.notes)])
    print("\n" + text + "\n")
    out = ROOT / ".local" / "bench" / "results.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    print(f"written to {out.relative_to(ROOT)}", flush=True)
    if os.environ.get("BENCH_PROFILE_S", "3") != "0":
        from bench import profile_datapath

        seconds = float(os.environ.get("BENCH_PROFILE_S", "3"))
        profile_datapath.OUT.write_text(profile_datapath.profile(seconds), encoding="utf-8")
        print(f"data-path profile (pyinstrument) written to {profile_datapath.OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
