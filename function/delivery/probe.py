"""The scheduled probe: one test-mode event per ad account through the whole path, told as outcome `probe`.

The event is built by the pipeline, sent with the deployment's token by the deliverer (its 401
refresh and retries included) with `?test=true`, which Pinterest answers but never records. Its
records are journaled as `probe`, never `delivered` or `failed`: probes stay out of every delivery
figure, report and replay. Each run ends in one console line of its own, PROBE_PASSED or
PROBE_FAILED, whatever LOG_CONSOLE says; terraform's probe alert counts the failed ones.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from function.credentials.tokens import TokenUnavailable
from function.delivery.deliverer import Attempt, Batch, Deliverer, Outgoing
from function.logs.console import ConsoleLog
from function.logs.journal import EventRecord, Journal
from function.logs.scrub import scrub
from function.outcomes import Outcome
from function.pipeline.build import Context
from function.pipeline.options import DeliveryMode, Options
from function.pipeline.request import Built, build_events

PROBE_PASSED = "pinterest probe passed"
PROBE_FAILED = "pinterest probe failed"
# The delivery column of a probe's rows and lines: no caller chose a mode for it.
PROBE_DELIVERY = "probe"
# A documentation address (RFC 5737) and an agent that says what sent it: no person is behind the event.
_PROBE_IP = "192.0.2.1"
_PROBE_AGENT = "pinterest-capi-probe/1"
# The probe's options: a page visit in test mode, whatever the deployment's naming and test mode say.
PROBE_OPTIONS = Options(event_name_setup="inherit", event_name="", action_source="web", test=True,
                        delivery=DeliveryMode.AWAITED)


@dataclass(frozen=True)
class ProbeResult:
    """One account's probe: passed or not, and what Pinterest answered (None: no call was answered)."""

    ad_account_id: str
    passed: bool
    event_id: str
    response_status_code: int | None
    reason: str | None
    attempt: int


def probe_event(event_id: str) -> dict[str, Any]:
    """The GA4 event a probe starts from: a page view carrying only the probe's own address and agent."""
    return {"event_name": "page_view", "event_id": event_id, "ip_override": _PROBE_IP,
            "user_agent": _PROBE_AGENT}


class ProbeJournal:
    """Journals a probe's final delivery record as outcome `probe`; a passed one has no reason.

    The retrying attempts before it are not kept: the final row's attempt number tells them.
    """

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    def record(self, records: Sequence[EventRecord]) -> None:
        final = [dataclasses.replace(rec, outcome=Outcome.PROBE,
                                     reason=None if rec.outcome == Outcome.DELIVERED else rec.reason)
                 for rec in records if rec.outcome in (Outcome.DELIVERED, Outcome.FAILED)]
        if final:
            self._journal.record(final)


def run_probe(account: str, deliverer: Deliverer, journal: Journal, log: ConsoleLog, *,
              new_event_id: Callable[[], str], deadline_s: float,
              context: Callable[[Options], Context]) -> ProbeResult:
    """One probe of one ad account; `deliverer` journals to a ProbeJournal over `journal`."""
    event_id = f"probe-{new_event_id()}"
    [found] = build_events([probe_event(event_id)], PROBE_OPTIONS._replace(ad_account_id=account),
                           context)
    if not isinstance(found, Built):  # the probe's own event must build; say so if it ever does not
        return _not_sent(account, event_id, f"the probe event was refused: {found.reason}", journal, log)
    item = Outgoing(found.payload, account, True, delivery=PROBE_DELIVERY, ga4_event_name="page_view",
                    event_id_source=found.event_id_source)
    ends = time.monotonic() + deadline_s
    try:
        attempt = deliverer.deliver(Batch(account, True, (item,)), PROBE_DELIVERY, lambda: ends)
    except TokenUnavailable as exc:
        return _not_sent(account, event_id, f"token unavailable: {exc}", journal, log, found.payload)
    return _told(_result(account, event_id, attempt), log)


def _result(account: str, event_id: str, attempt: Attempt) -> ProbeResult:
    [outcome] = attempt.outcomes
    status = attempt.answer.status_code if attempt.answer is not None else None
    return ProbeResult(account, outcome.delivered, event_id, status, outcome.error, attempt.number)


def _not_sent(account: str, event_id: str, reason: str, journal: Journal, log: ConsoleLog,
              payload: dict[str, Any] | None = None) -> ProbeResult:
    """A probe that made no call: its row and line say why."""
    journal.record([EventRecord(outcome=Outcome.PROBE, event_id=event_id, event_name="page_visit",
                                payload=payload, reason=reason, ad_account_id=account, test_mode=True,
                                delivery=PROBE_DELIVERY, attempt=0)])
    return _told(ProbeResult(account, False, event_id, None, reason, 0), log)


def _told(result: ProbeResult, log: ConsoleLog) -> ProbeResult:
    """The probe's one console line, written whatever LOG_CONSOLE says."""
    log.write("INFO" if result.passed else "ERROR", PROBE_PASSED if result.passed else PROBE_FAILED,
              ad_account_id=result.ad_account_id, event_id=result.event_id, test_mode=True,
              delivery=PROBE_DELIVERY, response_status_code=result.response_status_code,
              attempt=result.attempt, reason=scrub(result.reason) if result.reason else None)
    return result
