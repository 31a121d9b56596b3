"""What happened to each event: one record per event per step, for logs and the failure record.

The delivery engine and the HTTP layer report here; sinks (console now, BigQuery or SQLite
when configured) decide what to keep. A record holds the payload as the logs keep it
(function/logs/payload.py), never the raw input nor all that Pinterest got.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from function.logs.console import ConsoleLog
from function.logs.payload import identifier, loggable
from function.logs.scrub import scrub
from function.outcomes import FINAL_FAILURES, Outcome
from function.pipeline.field_warnings import FieldWarning

# Outcomes written to the console whatever LOG_CONSOLE says: one line per event, which the
# log-based metrics of terraform/monitoring.tf count (failures, error ratio, traffic stopped).
ALWAYS_WRITTEN: frozenset[Outcome] = FINAL_FAILURES | {Outcome.DELIVERED}


@dataclass(frozen=True)
class EventRecord:
    """One event at one step: a delivery attempt, a refusal, or a drop."""

    outcome: Outcome
    event_id: str | None = None
    event_name: str | None = None
    event_id_source: str | None = None  # pipeline.request.EVENT_ID_SOURCES: where the event_id came from
    payload: Mapping[str, Any] | None = None  # the Pinterest event, kept as payload.loggable makes it
    reason: str | None = None
    ad_account_id: str | None = None
    test_mode: bool | None = None
    delivery: str | None = None
    attempt: int | None = None
    batch_id: str | None = None
    batch_size: int | None = None
    request_url: str | None = None
    response_status_code: int | None = None
    response_body: Any = None
    response_headers: Mapping[str, str] | None = None
    latency_ms: float | None = None
    trace_id: str | None = None
    ga4_event_name: str | None = None
    action_source: str | None = None
    tag_name: str | None = None  # the sGTM tag that sent it, when the request says
    warnings: tuple[FieldWarning, ...] = ()  # what the event had and is not sent as given
    debug: bool = False

    def __post_init__(self) -> None:
        """The one place what every sink receives is made fit for the logs, so no sink can forget it."""
        if self.payload is not None:
            object.__setattr__(self, "payload", loggable(self.payload))
        if self.event_id:
            object.__setattr__(self, "event_id", identifier(self.event_id))
        if self.reason:
            object.__setattr__(self, "reason", scrub(self.reason))
        if self.warnings:  # built without values; scrubbed all the same, as every logged text is
            object.__setattr__(self, "warnings",
                               tuple(FieldWarning(scrub(w.field), scrub(w.reason)) for w in self.warnings))


class Journal(Protocol):
    """Receives records; must never raise into the event path."""

    def record(self, records: Sequence[EventRecord]) -> None: ...


class ConsoleJournal:
    """Final failures (with the payload) and deliveries always, one structured line each; the rest as
    LOG_CONSOLE asks."""

    def __init__(self, log: ConsoleLog) -> None:
        self._log = log

    def record(self, records: Sequence[EventRecord]) -> None:
        for rec in records:
            failure = rec.outcome in FINAL_FAILURES
            if not (rec.outcome in ALWAYS_WRITTEN or self._log.wanted(rec.debug)):
                continue
            self._log.write(
                "ERROR" if failure else "INFO", f"event {rec.outcome}", rec.trace_id,
                outcome=rec.outcome, event_id=rec.event_id, event_name=rec.event_name,
                reason=rec.reason, ad_account_id=rec.ad_account_id, test_mode=rec.test_mode,
                delivery=rec.delivery, attempt=rec.attempt, batch_id=rec.batch_id,
                response_status_code=rec.response_status_code,
                warnings=[w.as_json() for w in rec.warnings] or None,
                payload=rec.payload if failure else None,
            )


class Journals:
    """Fans records out to several journals."""

    def __init__(self, *journals: Journal) -> None:
        self._journals = journals

    def record(self, records: Sequence[EventRecord]) -> None:
        for journal in self._journals:
            journal.record(records)
