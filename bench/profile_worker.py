"""Where a loaded optimistic worker spends its time: py-spy on the gunicorn worker, stacks grouped by item.

`python -m bench.profile_worker` starts the sandbox and an optimistic server, keeps it loaded with
single-event requests from the load generator, samples the worker with py-spy (GIL-holding
samples only, so waiting threads do not count) and prints each item's share of the samples:
the data path, and what the issue asks about outside it (authentication, option resolution,
answer building, log records and console lines, queue hand-off, JSON parse and dump, the
framework). A sample counts toward every item one of its frames belongs to, so shares overlap
(JSON inside log-row building counts for both). The raw stacks go to .local/bench/worker.txt.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from bench import workload
from bench.common import ROOT, gateway_env, load, start_sandbox_process, start_server, workdir
from bench.http_path import AUTH

OUT = ROOT / ".local" / "bench" / "worker.txt"
# Item -> the files of its frames, as py-spy names them ("function (path/file.py:line)"). A sample
# is charged to the item of its innermost matching frame (JSON inside a log row is JSON), and
# also counted inclusively for every item on its stack.
ITEMS: dict[str, tuple[str, ...]] = {
    "JSON parse and dump (json module)": ("(json/",),
    "phone parsing (phonenumbers)": ("(phonenumbers/",),
    "authentication (function/credentials/)": ("(function/credentials/",),
    "option resolution (pipeline/options.py)": ("(function/pipeline/options.py",),
    "data path (function/pipeline/, but options)": ("(function/pipeline/",),
    "answer building (function/web/results.py)": ("(function/web/results.py",),
    "console lines (function/logs/console.py)": ("(function/logs/console.py",),
    "log records (logs/journal, payload, rows, table_journal, scrub)": (
        "(function/logs/journal.py", "(function/logs/payload.py", "(function/logs/rows.py",
        "(function/logs/table_journal.py", "(function/logs/scrub.py"),
    "log-row writer and SQLite store (logs/writer, sqlite, schema)": (
        "(function/logs/writer.py", "(function/logs/sqlite.py", "(function/logs/schema.py", "(sqlite3/"),
    "queue hand-off and batching (delivery/optimistic.py)": ("(function/delivery/optimistic.py",),
    "delivery to Pinterest (deliverer, pinterest, requests, urllib3, tenacity)": (
        "(function/delivery/", "(requests/", "(urllib3/", "(tenacity/", "(http/client.py"),
    "request handler's own lines (function/web/handler.py)": ("(function/web/handler.py", "(main.py"),
    "front door (function/web/front_door.py)": ("(function/web/front_door.py",),
    "flask and werkzeug": ("(flask/", "(werkzeug/"),
    "functions-framework": ("(functions_framework/",),
    "gunicorn": ("(gunicorn/",),
}


def _worker_pid(server_pid: int) -> int:
    text = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text()
    return int(text.split()[0])


def profile(seconds: float = 20.0, events: int = 60_000, concurrency: int = 8) -> str:
    """Samples the loaded worker for `seconds`; the table of shares as markdown."""
    sandbox = start_sandbox_process()
    where = workdir("profile-worker-")
    server = start_server("pinterest_capi", ROOT / "main.py",
                          gateway_env(sandbox, where, PINTEREST_DELIVERY="optimistic"), where / "ours.log")
    try:
        load(server.port, workload.bodies(300, start=60_000_000), concurrency=concurrency, headers=AUTH)
        bodies = workload.bodies(events, start=61_000_000)
        loader = threading.Thread(target=load, args=(server.port, bodies), daemon=True,
                                  kwargs={"concurrency": concurrency, "headers": AUTH,
                                          "timeout_s": seconds + 30})
        loader.start()
        OUT.parent.mkdir(parents=True, exist_ok=True)
        spy = ROOT / ".venv-bench" / "bin" / "py-spy"
        subprocess.run([str(spy), "record", "--pid", str(_worker_pid(server.process.pid)), "--duration",
                        str(int(seconds)), "--rate", "250", "--gil", "--format", "raw", "--output", str(OUT),
                        "--nonblocking"], check=True, capture_output=True, timeout=seconds + 60)
        loader.join(seconds + 60)
    finally:
        server.stop()
        sandbox.stop()
    return shares(OUT.read_text(encoding="utf-8"))


def _item(frame: str) -> str | None:
    return next((item for item, markers in ITEMS.items() if any(m in frame for m in markers)), None)


def shares(raw: str) -> str:
    """Each item's share of the samples (collapsed stacks: `frame;...;frame count`): innermost, inclusive."""
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack:
            continue
        n = int(number)
        total += n
        items = [_item(frame) for frame in reversed(stack.split(";"))]
        own[next((item for item in items if item), "other (threading, stdlib)")] += n
        for item in set(items) - {None}:
            inclusive[str(item)] += n
    rows = [f"| {item} | {100 * own[item] / total:.1f} % | {100 * inclusive[item] / total:.1f} % |"
            for item in [*ITEMS, "other (threading, stdlib)"]]
    return "\n".join([f"{total} GIL-holding samples of the worker", "",
                      "| Item | Share (innermost) | Share (inclusive) |", "| --- | --- | --- |", *rows])


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    print(profile(seconds, concurrency=int(os.environ.get("BENCH_CONCURRENCY", "8"))))
