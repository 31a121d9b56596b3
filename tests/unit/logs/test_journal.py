"""The console journal: what a debug request's lines show, warnings included."""

from __future__ import annotations

import io
import json

from function.logs.console import ConsoleLog
from function.logs.journal import ConsoleJournal, EventRecord
from function.outcomes import Outcome
from function.pipeline.field_warnings import FieldWarning

WARNING = FieldWarning("custom_data.currency", "currency is not an ISO 4217 currency code; not sent")


def lines(mode: str, *records: EventRecord) -> list[dict]:
    stream = io.StringIO()
    ConsoleJournal(ConsoleLog(mode, stream=stream)).record(records)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_debug_request_shows_the_events_warnings_on_the_console() -> None:
    [line] = lines("debug", EventRecord(Outcome.DELIVERED, event_id="A-1", warnings=(WARNING,), debug=True))
    assert line["warnings"] == [WARNING.as_json()]


def test_an_event_without_warnings_has_none_on_its_line_and_no_debug_means_no_line() -> None:
    [line] = lines("always", EventRecord(Outcome.DELIVERED, event_id="A-1"))
    assert line["warnings"] is None
    assert lines("debug", EventRecord(Outcome.DELIVERED, event_id="A-1", warnings=(WARNING,))) == []
