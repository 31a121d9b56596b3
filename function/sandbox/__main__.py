"""`python -m function.sandbox`: run the Pinterest sandbox until interrupted.

Flags fall back to SANDBOX_* environment variables, so a container can be configured either way.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from function.sandbox.faults import FAULT_KINDS, FaultConfig, parse_fault_config
from function.sandbox.server import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TOKEN, start_sandbox


def _comma_list(text: str) -> list[str]:
    """Flags take lists as "503,503,200"."""
    return [item.strip() for item in text.split(",") if item.strip()]


# Fault flags: (flag, environment variable, fault setting, parser of the flag's text).
FAULT_FLAGS = (
    ("--fault-probability", "SANDBOX_FAULT_PROBABILITY", "probability", float),
    ("--fault-kinds", "SANDBOX_FAULT_KINDS", "kinds", _comma_list),
    ("--fault-script", "SANDBOX_FAULT_SCRIPT", "script", _comma_list),
    ("--fault-seed", "SANDBOX_FAULT_SEED", "seed", int),
    ("--retry-after", "SANDBOX_RETRY_AFTER", "retry_after", int),
    ("--latency-ms", "SANDBOX_LATENCY_MS", "latency_ms", int),
    ("--timeout-s", "SANDBOX_TIMEOUT_S", "timeout_s", float),
)


def build_parser() -> argparse.ArgumentParser:
    """Flags with their environment fallbacks shown in --help."""
    kinds = "\n".join(f"  {kind:<11} {effect}" for kind, effect in FAULT_KINDS.items())
    parser = argparse.ArgumentParser(
        prog="python -m function.sandbox",
        description="Local stand-in for Pinterest's Conversions API v5.",
        epilog=f"fault kinds (\"200\" in a script means no fault):\n{kinds}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    env = os.environ.get
    parser.add_argument("--host", default=env("SANDBOX_HOST", DEFAULT_HOST), help="env SANDBOX_HOST")
    port = env("SANDBOX_PORT", str(DEFAULT_PORT))
    parser.add_argument("--port", type=int, default=port, help="env SANDBOX_PORT; 0 picks a free port")
    parser.add_argument("--token", default=env("SANDBOX_TOKEN", DEFAULT_TOKEN), help="env SANDBOX_TOKEN")
    for flag, variable, setting, parse in FAULT_FLAGS:
        parser.add_argument(flag, dest=setting, type=parse, default=env(variable), help=f"env {variable}")
    return parser


def fault_config(args: argparse.Namespace) -> FaultConfig:
    """The fault settings that were given, validated together."""
    given = {setting: getattr(args, setting) for _, _, setting, _ in FAULT_FLAGS}
    return parse_fault_config({setting: value for setting, value in given.items() if value is not None})


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    """SIGTERM ends the process the way Ctrl-C does, so the port is released."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Start the sandbox, announce its URL on stdout, serve until interrupted."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        faults = fault_config(args)
    except ValueError as exc:
        parser.error(str(exc))
    sandbox = start_sandbox(args.host, args.port, args.token, faults=faults)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"sandbox listening on {sandbox.url}", flush=True)
    try:
        sandbox.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
