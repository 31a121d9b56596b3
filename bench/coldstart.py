"""Benchmark 4: cold start — import the function and serve the first request in a fresh process.

Ours: `import main` (settings read, gateway wired), then the first request (one event, awaited,
delivered to the sandbox) through a Flask test client. Baseline: `import flask` and a Flask app
that returns the posted JSON, the first request through the same kind of client. Each child
prints its timings as JSON; the parent also times the whole process, interpreter start included.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

from bench import workload
from bench.common import CALLER_KEY, ROOT, SandboxProcess, gateway_env, sample, workdir

# Google client libraries that must stay unimported until used (BigQuery log table, Secret Manager).
LAZY_MODULES = ("google.cloud.bigquery", "google.cloud.secretmanager", "google.cloud.secretmanager_v1",
                "grpc", "google.api_core")

OURS_CODE = """
import json, sys, time
t0 = time.perf_counter()
import flask
import main
t_import = time.perf_counter()
app = flask.Flask("coldstart")
app.add_url_rule("/", "f", lambda: main.pinterest_capi(flask.request), methods=["POST"])
response = app.test_client().post("/", data=sys.argv[1], content_type="application/json",
                                  headers={"Authorization": "Bearer " + sys.argv[2]})
t_first = time.perf_counter()
assert response.status_code == 200, response.get_data(as_text=True)
print(json.dumps({"import_s": t_import - t0, "first_s": t_first - t0,
                  "loaded": sorted(m for m in sys.argv[3].split(",") if m in sys.modules)}))
"""

BARE_CODE = """
import json, sys, time
t0 = time.perf_counter()
import flask
t_import = time.perf_counter()
app = flask.Flask("coldstart")
app.add_url_rule("/", "f", lambda: flask.jsonify(flask.request.get_json()), methods=["POST"])
response = app.test_client().post("/", data=sys.argv[1], content_type="application/json")
t_first = time.perf_counter()
assert response.status_code == 200
print(json.dumps({"import_s": t_import - t0, "first_s": t_first - t0, "loaded": []}))
"""


def _child(code: str, env: dict[str, str] | None, body: str) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, body, CALLER_KEY, ",".join(LAZY_MODULES)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"cold-start child failed: {out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


def measure(sandbox: SandboxProcess, repetitions: int = 5) -> dict:
    """Interleaved fresh processes: ours, bare, ours, bare, ..."""
    where = workdir("coldstart-")
    env = {**os.environ, **gateway_env(sandbox, where)}
    body = json.dumps(workload.event(1))
    ours, bare = [], []
    try:
        for _ in range(repetitions):
            ours.append(_child(OURS_CODE, env, body))
            bare.append(_child(BARE_CODE, None, body))
    finally:
        shutil.rmtree(where, ignore_errors=True)
    loaded = sorted({module for run in ours for module in run["loaded"]})
    assert not loaded, f"Google client libraries imported at start-up: {loaded}"
    return {
        "ours_first": sample([r["first_s"] * 1000 for r in ours]),
        "bare_first": sample([r["first_s"] * 1000 for r in bare]),
        "ours_import": sample([r["import_s"] * 1000 for r in ours]),
        "bare_import": sample([r["import_s"] * 1000 for r in bare]),
        "ours_wall": sample([r["wall_s"] * 1000 for r in ours]),
        "bare_wall": sample([r["wall_s"] * 1000 for r in bare]),
    }


if __name__ == "__main__":
    from bench.common import start_sandbox_process

    running = start_sandbox_process()
    try:
        for name, value in measure(running, 3).items():
            print(name, f"{value.median:.0f} ms", [round(v) for v in value.values])
    finally:
        running.stop()
