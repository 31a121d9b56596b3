"""The probe, driven synchronously: the real Deliverer and pipeline, test_deliverer's scripted client."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from function.credentials.tokens import StaticToken
from function.delivery.deliverer import Deliverer
from function.delivery.pinterest import Answer
from function.delivery.probe import (
    PROBE_FAILED,
    PROBE_OPTIONS,
    PROBE_PASSED,
    ProbeJournal,
    ProbeResult,
    run_probe,
)
from function.logs.console import ConsoleLog
from function.logs.rows import InstanceFacts, build_row
from function.outcomes import Outcome
from function.pipeline.build import Context
from tests.doubles import Clock, ListJournal
from tests.unit.delivery.test_deliverer import ScriptedClient, ok

ACCOUNT = "549000000001"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _probe(client: ScriptedClient, token: str = "t",  # noqa: S107 - a test token for the scripted client
           attempts: int = 3) -> tuple[ProbeResult, ListJournal, list[dict[str, Any]]]:
    stream = io.StringIO()
    log = ConsoleLog("no", stream=stream)
    journal = ListJournal()
    clock = Clock()
    deliverer = Deliverer(client, StaticToken(token), ProbeJournal(journal), log, attempts,  # type: ignore[arg-type]
                          sleep=clock.sleep, clock=clock)
    result = run_probe(ACCOUNT, deliverer, journal, log, new_event_id=lambda: "1", deadline_s=1e9,
                       context=lambda options: Context(options=options, now=1_777_000_000,
                                                       new_event_id=lambda: "generated"))
    return result, journal, [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_retried_probe_that_passes_is_one_probe_row_with_its_attempt_and_a_passed_line() -> None:
    client = ScriptedClient(Answer(503, {}), ok(1))
    result, journal, lines = _probe(client)
    assert [call["test"] for call in client.calls] == [True, True]
    [record] = journal.records  # the retrying attempt is not a row of its own
    assert (record.outcome, record.attempt, record.reason, record.delivery) == (
        Outcome.PROBE, 2, None, "probe")
    row = build_row(record, InstanceFacts(), NOW)
    assert (row["outcome"], row["reason"], row["error"], row["test_mode"]) == ("probe", "passed", None, True)
    assert [(line["message"], line["attempt"]) for line in lines] == [(PROBE_PASSED, 2)]
    assert result.passed


def test_an_event_pinterest_refuses_fails_the_probe_with_the_category_every_failure_has() -> None:
    result, journal, lines = _probe(ScriptedClient(ok(1, failed=[0])), attempts=1)
    assert (result.passed, result.response_status_code) == (False, 200)
    [record] = journal.records
    row = build_row(record, InstanceFacts(), NOW)
    assert (row["reason"], row["error"]) == ("event rejected (HTTP 200)", "bad em")
    [line] = lines
    assert (line["severity"], line["message"], line["reason"]) == ("ERROR", PROBE_FAILED, "bad em")


def test_no_token_fails_the_probe_without_a_call() -> None:
    client = ScriptedClient()
    result, journal, lines = _probe(client, token="")
    assert (result.passed, result.response_status_code, client.calls) == (False, None, [])
    [record] = journal.records
    row = build_row(record, InstanceFacts(), NOW)
    assert (row["outcome"], row["reason"], row["attempt"], row["ad_account_id"]) == (
        "probe", "not sent", 0, ACCOUNT)
    assert row["error"].startswith("token unavailable")
    assert [line["message"] for line in lines] == [PROBE_FAILED]


def test_the_probe_is_in_test_mode_whatever_the_deployment_says() -> None:
    assert PROBE_OPTIONS.test is True
    client = ScriptedClient(ok(1))
    _probe(client)
    [call] = client.calls
    [event] = call["events"]
    assert (event["event_name"], event["action_source"], event["event_id"]) == (
        "page_visit", "web", "probe-1")
    assert set(event["user_data"]) == {"client_ip_address", "client_user_agent"}
