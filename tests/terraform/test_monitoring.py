"""The log-based metrics of terraform/monitoring.tf count lines the code really writes.

terraform plans the module; each metric's filter and label extractors are then read against the
console lines the real delivery code writes for a delivered event, a failed one and a refused token
(the real Deliverer and console journal, against the sandbox on loopback, LOG_CONSOLE=no), and for a
probe, which runs as its own service (NAME-probe) and must be counted by the probe's metric alone.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from function.credentials.tokens import StaticToken
from function.delivery.deliverer import Batch, Deliverer, Outgoing
from function.delivery.pinterest import PinterestClient
from function.delivery.probe import ProbeJournal, run_probe
from function.logs.console import ConsoleLog
from function.logs.journal import ConsoleJournal
from function.pipeline.build import Context
from function.sandbox.server import Sandbox, start_sandbox
from tests.processes import AD_ACCOUNT, SANDBOX_TOKEN
from tests.terraform.workspace import REQUIRED, Terraform

pytestmark = pytest.mark.slow

# The clause forms a metric filter may use here: the platform's resource, or a field of the line.
_RESOURCE = re.compile(r'resource\.(type|labels\.service_name)=(?:"([^"]*)"|\(("[^"]*"(?: OR "[^"]*")*)\))')
_FIELD = re.compile(r'jsonPayload\.(\w+)=(?:"([^"]*)"|\(("[^"]*"(?: OR "[^"]*")*)\))')
_EXTRACT = re.compile(r"EXTRACT\(jsonPayload\.(\w+)\)")


def matches(log_filter: str, line: dict[str, Any], service: str = "pinterest-capi") -> bool:
    """Whether Cloud Logging's filter (the subset the module uses) selects this structured line,
    written by the Cloud Run service `service` (which Cloud Run sets as the resource of its lines)."""
    for clause in log_filter.split(" AND "):
        resource = _RESOURCE.fullmatch(clause)
        if resource:
            named = [resource.group(2)] if resource.group(2) is not None else re.findall(r'"([^"]*)"',
                                                                                         resource.group(3))
            if resource.group(1) == "labels.service_name" and service not in named:
                return False
            continue
        field = _FIELD.fullmatch(clause)
        assert field, f"a filter clause this test cannot read: {clause}"
        allowed = [field.group(2)] if field.group(2) is not None else re.findall(r'"([^"]*)"', field.group(3))
        if str(line.get(field.group(1))) not in allowed:
            return False
    return True


@pytest.fixture(scope="module")
def metrics(terraform: Terraform) -> dict[str, dict[str, Any]]:
    plan = terraform.plan_json(terraform.ready("terraform"), *REQUIRED)
    return {rc["name"]: rc["change"]["after"] for rc in plan["resource_changes"]
            if rc["type"] == "google_logging_metric"}


@pytest.fixture(scope="module")
def probe_metrics(terraform: Terraform) -> dict[str, dict[str, Any]]:
    plan = terraform.plan_json(terraform.ready("terraform"), *REQUIRED, "-var", "probe={}")
    return {rc["name"]: rc["change"]["after"] for rc in plan["resource_changes"]
            if rc["type"] == "google_logging_metric"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(port=0, token=SANDBOX_TOKEN)
    yield running
    running.stop()


def lines_of(sandbox: Sandbox, faults: list[str], events: int = 1) -> list[dict[str, Any]]:
    """Every console line one delivery writes with LOG_CONSOLE=no, after the sandbox is told `faults`."""
    control = f"{sandbox.url.removesuffix('/v5')}/_sandbox/faults"
    requests.post(control, json={"script": faults}, timeout=5).raise_for_status()
    stream = io.StringIO()
    log = ConsoleLog("no", stream=stream)
    deliverer = Deliverer(PinterestClient(sandbox.url, 5.0, pool_size=1), StaticToken(SANDBOX_TOKEN),
                          ConsoleJournal(log), log, max_attempts=1)
    now = int(time.time())
    items = tuple(Outgoing({"event_name": "checkout", "action_source": "web", "event_time": now - i,
                            "event_id": f"m-{i}", "user_data": {"em": ["a" * 64]}}, AD_ACCOUNT, True)
                  for i in range(events))
    deliverer.deliver(Batch(AD_ACCOUNT, True, items), "awaited", lambda: 1e12)
    return [json.loads(text) for text in stream.getvalue().splitlines()]


def test_delivered_and_failed_lines_are_what_the_outcome_metric_counts(
        metrics: dict[str, dict[str, Any]], sandbox: Sandbox) -> None:
    metric = metrics["delivery_outcomes"]
    delivered = lines_of(sandbox, ["200"], events=2)
    failed = lines_of(sandbox, ["500"])
    counted = [line for line in delivered + failed if matches(metric["filter"], line)]
    assert [line["outcome"] for line in counted] == ["delivered", "delivered", "failed"]
    for label in map(_EXTRACT.fullmatch, metric["label_extractors"].values()):
        assert label
        assert {str(line[label.group(1)]) for line in counted} <= {AD_ACCOUNT, "delivered", "failed"}
    # The same failure is the one line the failure alert's metric counts, and no token line is among them.
    failure_lines = [line for line in failed if matches(metrics["failed_events"]["filter"], line)]
    assert [line["outcome"] for line in failure_lines] == ["failed"]
    # pubsub's drain function delivers every queued event: its lines count as the gateway's do.
    for name in ("delivery_outcomes", "failed_events"):
        assert [line["outcome"] for line in delivered + failed
                if matches(metrics[name]["filter"], line, "pinterest-capi-drain")] == [
            line["outcome"] for line in delivered + failed if matches(metrics[name]["filter"], line)]
    assert not [line for line in delivered + failed if matches(metrics["token_rejections"]["filter"], line)]


def test_a_refused_token_is_the_line_the_token_metric_counts(metrics: dict[str, dict[str, Any]],
                                                               sandbox: Sandbox) -> None:
    metric = metrics["token_rejections"]
    lines = lines_of(sandbox, ["401", "401"])  # the refresh does not help: the token is revoked
    [counted] = [line for line in lines if matches(metric["filter"], line)]
    assert counted["severity"] == "ERROR"
    extracted = {name: counted[_EXTRACT.fullmatch(rule).group(1)]  # type: ignore[union-attr]
                 for name, rule in metric["label_extractors"].items()}
    assert extracted == {"ad_account_id": AD_ACCOUNT, "status_code": 401}
    assert SANDBOX_TOKEN not in json.dumps(lines)


def probe_lines(sandbox: Sandbox, faults: list[str]) -> list[dict[str, Any]]:
    """Every console line one probe writes with LOG_CONSOLE=no, after the sandbox is told `faults`."""
    control = f"{sandbox.url.removesuffix('/v5')}/_sandbox/faults"
    requests.post(control, json={"script": faults}, timeout=5).raise_for_status()
    stream = io.StringIO()
    log = ConsoleLog("no", stream=stream)
    journal = ConsoleJournal(log)
    deliverer = Deliverer(PinterestClient(sandbox.url, 5.0, pool_size=1), StaticToken(SANDBOX_TOKEN),
                          ProbeJournal(journal), log, max_attempts=1)
    run_probe(AD_ACCOUNT, deliverer, journal, log, new_event_id=lambda: "m", deadline_s=10.0,
              context=lambda options: Context(options=options, now=int(time.time()), new_event_id=str))
    return [json.loads(text) for text in stream.getvalue().splitlines()]


def test_a_failed_probe_is_the_line_the_probe_metric_counts_and_no_other_metric(
        probe_metrics: dict[str, dict[str, Any]], sandbox: Sandbox) -> None:
    metric = probe_metrics["probe_failures"]
    failed = probe_lines(sandbox, ["401", "401"])
    passed = probe_lines(sandbox, ["200"])
    [counted] = [line for line in failed + passed if matches(metric["filter"], line, "pinterest-capi-probe")]
    extracted = {name: counted[_EXTRACT.fullmatch(rule).group(1)]  # type: ignore[union-attr]
                 for name, rule in metric["label_extractors"].items()}
    assert extracted == {"ad_account_id": AD_ACCOUNT, "status_code": 401}
    assert counted["severity"] == "ERROR"
    # The probe's 401 also writes the deliverer's token line; the gateway's metrics count none of its
    # lines: not as delivered or failed (its outcome is probe), not as a token rejection (its service).
    for name in ("delivery_outcomes", "failed_events", "token_rejections"):
        assert not [line for line in failed + passed
                    if matches(probe_metrics[name]["filter"], line, "pinterest-capi-probe")], name
    assert not [line for line in failed + passed if line.get("outcome") in ("delivered", "failed")]
