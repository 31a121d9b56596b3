"""The pure data path for one request: parse, then name, extract, normalize/hash and build each event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from function import limits
from function.errors import BadRequest, GatewayError
from function.outcomes import Outcome
from function.pipeline import options as request_options
from function.pipeline import parse, validate
from function.pipeline.build import Context, Skip, build_event
from function.pipeline.memo import RequestMemo


@dataclass(frozen=True)
class Built:
    """An event ready to send, with the options it was built under."""

    index: int
    payload: dict[str, Any]
    options: request_options.Options
    ga4_event_name: str | None = None


@dataclass(frozen=True)
class Refused:
    """An event that is not sent: skipped on purpose, or invalid (with the HTTP status why)."""

    index: int
    status: Literal[Outcome.SKIPPED, Outcome.INVALID]
    reason: str
    http_status: int = 200
    ga4_event_name: str | None = None


def build_request(body: bytes, base: request_options.Options,
                  context: Callable[[request_options.Options], Context]) -> list[Built | Refused]:
    """Every event of a request body, in order; a body that cannot be read raises GatewayError."""
    return build_events(parse.split_events(parse.load_json(body)), base, context)


def build_events(events: Sequence[dict[str, Any]], base: request_options.Options,
                 context: Callable[[request_options.Options], Context]) -> list[Built | Refused]:
    """Each event built or refused on its own, so one bad event does not sink the others.

    Shared settings are worked out once for all events (one memo per request), and what the
    request would send is bounded in bytes: per event, and all events together.
    """
    memo = RequestMemo()
    found: list[Built | Refused] = []
    total = 0
    for index, event in enumerate(events):
        where = f"events[{index}]: " if len(events) > 1 else ""
        ga4_name = _ga4_name(event)
        try:
            opts = request_options.resolve(base, event, memo)
            payload = build_event(event, context(opts), memo)
            total += validate.event_size(payload)
            found.append(Built(index, payload, opts, ga4_name))
        except Skip as skip:
            found.append(Refused(index, Outcome.SKIPPED, skip.reason, ga4_event_name=ga4_name))
        except GatewayError as exc:
            found.append(Refused(index, Outcome.INVALID, where + str(exc), exc.status, ga4_name))
        if total > limits.MAX_REQUEST_EVENT_BYTES:  # refused as soon as it is known: the rest is not built
            raise BadRequest(f"the events of this request come to more bytes than the "
                             f"{limits.MAX_REQUEST_EVENT_BYTES} at most accepted per request "
                             "(send fewer events or smaller shared settings)")
    return found


def _ga4_name(event: dict[str, Any]) -> str | None:
    """The GA4 name kept with the event's outcome; one over the limit is refused, and not kept."""
    name = event.get("event_name")
    return name if isinstance(name, str) and len(name) <= limits.GA4_EVENT_NAME_CHARS else None
