"""The BigQuery emulator for the log tests (its own venv, .venv-bq); the sandbox is tests/conftest.py's."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from function.logs.schema import SCHEMA_PATH
from tests.processes import ROOT, free_port, missing, stop_process, wait_for_port

BQ_VENV = ROOT / ".venv-bq"
PROJECT = "test-project"
DATASET = "logs"
# The DuckDB version the emulator venv pins (requirements-bqemulator.txt): its spatial extension's folder.
DUCKDB_EXTENSIONS = Path.home() / ".duckdb" / "extensions" / "v1.5.5"


@dataclass
class Emulator:
    """bqemulator on free ports, and a real google-cloud-bigquery client pointed at it."""

    endpoint: str
    client: Any

    def new_table(self) -> str:
        """A fresh table from function/logs/schema.json, partitioned and clustered as terraform does."""
        from google.cloud import bigquery

        table = bigquery.Table(f"{PROJECT}.{DATASET}.events_{uuid.uuid4().hex[:12]}", schema=[
            bigquery.SchemaField.from_api_repr(column) for column in json.loads(SCHEMA_PATH.read_text())])
        table.time_partitioning = bigquery.TimePartitioning(field="timestamp")
        table.clustering_fields = ["outcome", "event_name"]
        return self.client.create_table(table).full_table_id.replace(":", ".")

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of `table` as the client returns it (the schema's Python types)."""
        return [dict(row.items()) for row in self.client.query(f"SELECT * FROM `{table}`").result()]  # noqa: S608

    def env(self, table: str) -> dict[str, str]:
        return {"LOG_BIGQUERY_TABLE": table, "BIGQUERY_API_ENDPOINT": self.endpoint}


def _emulator_installed() -> Path:
    """The emulator's executable; `make test` installs it, CI must have it, elsewhere the tests skip."""
    executable = BQ_VENV / "bin" / "bqemulator"
    if not executable.exists():
        missing("the BigQuery emulator is not installed: `make test` sets up .venv-bq")
    if not list(DUCKDB_EXTENSIONS.glob("*/spatial.duckdb_extension")):
        # Once per $HOME: DuckDB's spatial extension from its PyPI package, or bqemulator downloads it.
        subprocess.run([str(BQ_VENV / "bin" / "python"), "-c",
                        "from duckdb_extensions import import_extension; import_extension('spatial')"],
                       check=True, timeout=120)
    return executable


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    executable = _emulator_installed()
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    rest, grpc = free_port(), free_port()
    log = (tmp_path_factory.mktemp("bqemulator") / "emulator.log").open("wb")
    process = subprocess.Popen([str(executable), "start", "--rest-port", str(rest), "--grpc-port", str(grpc),
                                "--project", PROJECT, "--log-level", "warning"],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(rest, process, timeout_s=60)
        endpoint = f"http://127.0.0.1:{rest}"
        client = bigquery.Client(project=PROJECT, credentials=AnonymousCredentials(),
                                 client_options=ClientOptions(api_endpoint=endpoint))
        client.create_dataset(DATASET, exists_ok=True)
        yield Emulator(endpoint, client)
    finally:
        stop_process(process)
        log.close()
