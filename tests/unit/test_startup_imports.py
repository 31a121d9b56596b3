"""What a cold start must not load: `import main`, as functions-framework does it, in a fresh interpreter.

A cold start is a tag waiting, so start-up loads only what every first request needs. Phone
parsing waits for the first phone, SQLite for the log writer's first batch (never, when BigQuery
is the store), the Google clients for the first call that uses them, pycountry's data for the
first country or currency read, tenacity for the first retry, the drain, probe, Pub/Sub and BigQuery
modules for the instances that use them (bench/RESULTS.md has the instruction counts).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALLER_KEY = "startup-imports-caller-key-1"
BASE_ENV = {"PINTEREST_AD_ACCOUNT_ID": "549000000077", "PINTEREST_ACCESS_TOKEN": "startup-imports-token",
            "GATEWAY_API_KEYS": CALLER_KEY, "PATH": "/usr/bin:/bin"}
PROBE = """
import json, sys
import main
print(json.dumps(sorted(sys.modules)))
"""
# Top-level packages no default start-up may load.
NEVER = ("phonenumbers", "pycountry", "google.auth", "google.cloud.bigquery", "google.cloud.secretmanager",
         "google.cloud.secretmanager_v1", "google.cloud.pubsub", "google.cloud.pubsub_v1", "google.api_core",
         "grpc", "tenacity")
# Our modules that only some instances run: a pubsub topic or stream, the drain, the probe, BigQuery logs.
ONLY_SOME = ("function.delivery.drain", "function.delivery.probe", "function.delivery.pubsub",
             "function.logs.bigquery")


def loaded_by_import_main(extra: dict[str, str], tmp_path: Path) -> set[str]:
    env = {**BASE_ENV, "LOG_SQLITE_PATH": str(tmp_path / "log.sqlite3"), **extra}
    found = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120, check=True)
    return set(json.loads(found.stdout.strip().splitlines()[-1]))


def under(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(name for name in modules if any(name == p or name.startswith(p + ".") for p in packages))


def test_default_start_up_loads_no_phone_parsing_country_data_sqlite_or_google_client(tmp_path: Path) -> None:
    modules = loaded_by_import_main({}, tmp_path)
    assert "main" in modules
    assert under(modules, NEVER) == []
    assert under(modules, ("sqlite3", "_sqlite3")) == []  # the writer's thread imports it, after the answer
    assert under(modules, ONLY_SOME) == []


def test_start_up_logging_to_bigquery_loads_neither_sqlite_nor_the_bigquery_client(tmp_path: Path) -> None:
    modules = loaded_by_import_main({"LOG_BIGQUERY_TABLE": "project.dataset.events",
                                     "BIGQUERY_API_ENDPOINT": "http://127.0.0.1:9"}, tmp_path)
    assert "function.logs.bigquery" in modules
    assert under(modules, ("sqlite3", "_sqlite3", *NEVER)) == []
