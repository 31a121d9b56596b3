"""`make dev`: the Pinterest sandbox and the function wired to it, with a ready curl command."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SANDBOX_PORT = os.environ.get("SANDBOX_PORT", "8899")
FUNCTION_PORT = os.environ.get("PORT", "8080")
TOKEN = "dev-sandbox-token"  # the sandbox's own token: not a Pinterest credential
API_KEY = os.environ.get("GATEWAY_API_KEYS", "dev-caller-key-local").split(",")[0].strip()  # local key
SAMPLE = ROOT / "examples" / "purchase.json"


def main() -> int:
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "function.sandbox", "--port", SANDBOX_PORT, "--token", TOKEN], cwd=ROOT)
    env = {
        **os.environ,
        "PINTEREST_AD_ACCOUNT_ID": os.environ.get("PINTEREST_AD_ACCOUNT_ID", "549000000001"),
        "PINTEREST_ACCESS_TOKEN": TOKEN,
        "GATEWAY_API_KEYS": os.environ.get("GATEWAY_API_KEYS", API_KEY),
        "PINTEREST_API_URL": f"http://127.0.0.1:{SANDBOX_PORT}/v5",
        "LOG_CONSOLE": os.environ.get("LOG_CONSOLE", "always"),
    }
    function = subprocess.Popen(
        [sys.executable, "-m", "functions_framework", "--target", "pinterest_capi", "--source", "main.py",
         "--host", "127.0.0.1", "--port", FUNCTION_PORT], cwd=ROOT, env=env)
    time.sleep(2)
    curl = (f"curl -s -X POST http://127.0.0.1:{FUNCTION_PORT}/ -H 'Content-Type: application/json' "
            f"-H {shlex.quote('Authorization: Bearer ' + API_KEY)} "
            f"--data @{shlex.quote(str(SAMPLE.relative_to(ROOT)))}")
    print(f"\nPinterest sandbox: http://127.0.0.1:{SANDBOX_PORT}/v5 "
          f"(what it received: curl -s http://127.0.0.1:{SANDBOX_PORT}/_sandbox/events)")
    print(f"Function:          http://127.0.0.1:{FUNCTION_PORT}/")
    print(f"Send the sample purchase:\n  {curl}\nCtrl-C stops both.\n", flush=True)
    try:
        while sandbox.poll() is None and function.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in (function, sandbox):
            process.terminate()
            process.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
