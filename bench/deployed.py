"""Benchmark 4 as deployed: the source and its dependencies byte-compiled as Google's Python buildpack does.

What the buildpack does at build time (GoogleCloudPlatform/buildpacks: pkg/python/python.go and
cmd/python/functions_framework/lib/lib.go), and what `build()` does here, in .local/bench/deployed/:
- dependencies: `pip install --no-compile -r requirements.txt` into their own environment, then
  `python3 -m compileall --invalidation-mode unchecked-hash -qq <that environment>`;
- the function's source: `python3 -m compileall -f -q .` in the source directory (timestamp pycs);
- the web process: `functions-framework` (its gunicorn), from the source directory.
Both sides of every ratio run from the same compiled environment: ours is main.py with function/,
the baseline bench/bare_function.py (parse the JSON, return it) as its own source directory.
This machine sets PYTHONDONTWRITEBYTECODE, which stops writing pycs, not reading them; the probe
below proves that no .py file was compiled during a run. The first run installs the environment
with pip from the configured index, as `make bench` installs .venv-bench.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import workload
from bench.common import CALLER_KEY, HOST, ROOT, THREADS, SandboxProcess, gateway_env, sample, workdir
from tests.processes import free_port

BASE = ROOT / ".local" / "bench" / "deployed"
# Modules a default cold start must not load (tests/unit/test_startup_imports.py pins the same).
LAZY = ("phonenumbers", "sqlite3", "pycountry", "google.cloud.bigquery", "google.cloud.secretmanager",
        "google.api_core", "grpc")

# In process, as the platform's worker does it: functions-framework builds the app from the source
# (importing it), then the first request. The audit hook sees every compile() of a source file.
PROBE = """
import json, sys, time
compiled = []
sys.addaudithook(lambda event, args: compiled.append(str(args[1])) if event == "compile"
                 and str(args[1]).endswith(".py") else None)
t0 = time.perf_counter()
import functions_framework
app = functions_framework.create_app(target=sys.argv[1], source="main.py")
t_import = time.perf_counter()
headers = {"Authorization": "Bearer " + sys.argv[3]} if sys.argv[3] else {}
response = app.test_client().post("/", data=sys.argv[2], content_type="application/json", headers=headers)
t_first = time.perf_counter()
assert response.status_code == 200, response.get_data(as_text=True)
lazy = [m for m in sys.argv[4].split(",") if m in sys.modules]
print(json.dumps({"import_s": t_import - t0, "first_s": t_first - t0, "compiled": compiled, "lazy": lazy}))
"""


@dataclass(frozen=True)
class Deployed:
    """The compiled dependency environment and the two compiled source directories."""

    python: Path
    ours: Path
    bare: Path

    @property
    def functions_framework(self) -> Path:
        return self.python.parent / "functions-framework"


def build() -> Deployed:
    """The deployment's layout; the dependency environment is kept while requirements.txt is unchanged."""
    env_dir = BASE / "env"
    digest = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()[:12]
    stamp = env_dir / f".built-{digest}"
    python = env_dir / "bin" / "python"
    if not stamp.exists():
        shutil.rmtree(env_dir, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--no-compile", "-r", str(ROOT / "requirements.txt")], check=True)
        subprocess.run([str(python), "-m", "compileall", "--invalidation-mode", "unchecked-hash", "-qq",
                        str(env_dir)], check=False)  # exit 1 (a file that does not compile): ignored too
        stamp.touch()
    ours, bare = BASE / "ours", BASE / "bare"
    for source in (ours, bare):
        shutil.rmtree(source, ignore_errors=True)
        source.mkdir(parents=True)
    shutil.copy2(ROOT / "main.py", ours / "main.py")
    shutil.copy2(ROOT / "requirements.txt", ours / "requirements.txt")
    shutil.copytree(ROOT / "function", ours / "function",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy2(ROOT / "bench" / "bare_function.py", bare / "main.py")
    for source in (ours, bare):
        subprocess.run([str(python), "-m", "compileall", "-f", "-q", "."], cwd=source, check=True,
                       stdout=subprocess.DEVNULL)
    return Deployed(python, ours, bare)


def probe_args(deployed: Deployed, side: str, body: str) -> tuple[list[str], Path]:
    """The in-process cold start command for `side` ("ours" or "bare") and the directory it runs in."""
    target, cwd, key = ("pinterest_capi", deployed.ours, CALLER_KEY) if side == "ours" else \
        ("bare", deployed.bare, "")
    return [str(deployed.python), "-c", PROBE, target, body, key, ",".join(LAZY)], cwd


def _probe(deployed: Deployed, side: str, env: dict[str, str], body: str) -> dict:
    args, cwd = probe_args(deployed, side, body)
    started = time.perf_counter()
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"deployed cold-start probe failed: {out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    return result


def _server_first_answer(deployed: Deployed, side: str, env: dict[str, str], body: bytes) -> float:
    """Seconds from starting `functions-framework` (gunicorn, as the platform's web process) to the first
    answer of a POST; the connection is retried every 2 ms until the server listens."""
    port = free_port()
    target, cwd = ("pinterest_capi", deployed.ours) if side == "ours" else ("bare", deployed.bare)
    headers = f"Authorization: Bearer {CALLER_KEY}\r\n" if side == "ours" else ""
    request = (f"POST / HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n{headers}"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    started = time.perf_counter()
    process = subprocess.Popen([str(deployed.functions_framework), "--target", target, "--source", "main.py",
                                "--host", HOST, "--port", str(port)], cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{side} server did not answer (exit {process.returncode})")
            try:
                with socket.create_connection((HOST, port), timeout=30) as sock:
                    sock.sendall(request)
                    answer = b""
                    while chunk := sock.recv(65536):
                        answer += chunk
                break
            except OSError:
                time.sleep(0.002)
        elapsed = time.perf_counter() - started
        status = answer.split(b" ", 2)[1] if answer else b""
        assert status == b"200", answer[:500]
        return elapsed
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure(sandbox: SandboxProcess, repetitions: int = 5) -> dict:
    """Interleaved fresh processes, ours then bare, in process and as a server; correctness asserted."""
    deployed = build()
    where = workdir("deployed-")
    base_env = {key: value for key, value in os.environ.items() if not key.startswith("VIRTUAL_ENV")}
    base_env["PATH"] = f"{deployed.python.parent}{os.pathsep}{base_env.get('PATH', '')}"
    ours_env = {**base_env, **gateway_env(sandbox, where), "THREADS": THREADS}
    bare_env = {**base_env, "THREADS": THREADS}
    body = json.dumps(workload.event(1))  # a page_view: no phone, as most first events of a session
    runs: dict[str, list[float]] = {k: [] for k in ("ours_first", "bare_first", "ours_import", "bare_import",
                                                   "ours_server", "bare_server")}
    try:
        for _ in range(repetitions):
            for side, env in (("ours", ours_env), ("bare", bare_env)):
                result = _probe(deployed, side, env, body)
                assert result["compiled"] == [], f"{side} compiled sources at start: {result['compiled'][:5]}"
                assert result["lazy"] == [], f"{side} loaded at start-up: {result['lazy']}"
                runs[f"{side}_first"].append(result["first_s"] * 1000)
                runs[f"{side}_import"].append(result["import_s"] * 1000)
                runs[f"{side}_server"].append(_server_first_answer(deployed, side, env, body.encode()) * 1000)
    finally:
        shutil.rmtree(where, ignore_errors=True)
    return {name: sample(values) for name, values in runs.items()}


if __name__ == "__main__":
    from bench.common import start_sandbox_process

    running = start_sandbox_process()
    try:
        for name, value in measure(running, 3).items():
            print(name, f"{value.median:.0f} ms", [round(v) for v in value.values])
    finally:
        running.stop()
