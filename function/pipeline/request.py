"""The pure data path for one request: parse, then name, extract, normalize/hash and build each event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Literal, NamedTuple

from function import limits
from function.errors import BadRequest, GatewayError
from function.outcomes import Outcome
from function.pipeline import coerce, event_names, parse, validate
from function.pipeline import options as request_options
from function.pipeline.build import Context, Skip, build_event
from function.pipeline.field_warnings import FieldWarning, listed
from function.pipeline.fields import FIELDS, Source
from function.pipeline.memo import RequestMemo
from function.pipeline.paths import EventPath
from function.pipeline.pixel import pixel_url

# The event_id row of the field table: a refused event is named from the same sources, in its order.
_EVENT_ID = next(f for f in FIELDS if f.key == "event_id")
_REFERRER = EventPath("page_referrer")


class EventIdSource(StrEnum):
    """Where a sent event's id came from, as the log rows keep it: the site's own id (the override or
    `event_id`), its `transaction_id`, or one made up here, which can never deduplicate with the tag."""

    EVENT_ID = "event_id"
    TRANSACTION_ID = "transaction_id"
    GENERATED = "generated"


EVENT_ID_SOURCES = tuple(source.value for source in EventIdSource)
# The sources a site gave: the browser tag can send the same id, so Pinterest deduplicates the two.
SITE_GIVEN = frozenset(EVENT_ID_SOURCES) - {EventIdSource.GENERATED}


class Built(NamedTuple):
    """An event ready to send, with the options it was built under (a record per event: see Context)."""

    position: int  # its place among the request's events
    payload: dict[str, Any]
    options: request_options.Options
    ga4_event_name: str | None = None
    pixel_url: str | None = None  # the tag pixel for this event, when the request asks for one
    warnings: tuple[FieldWarning, ...] = ()  # what the event had and is not sent as given
    event_id_source: str = EventIdSource.GENERATED
    size: int | None = None  # its bytes as Pinterest receives them (validate.event_size), measured once


class Refused(NamedTuple):
    """An event that is not sent: skipped on purpose, or invalid (with the HTTP status why)."""

    position: int  # its place among the request's events
    status: Literal[Outcome.SKIPPED, Outcome.INVALID]
    reason: str
    http_status: int = 200
    ga4_event_name: str | None = None
    event_id: str | None = None
    event_name: str | None = None  # Pinterest's, when the event's name rules resolve one
    warnings: tuple[FieldWarning, ...] = ()  # found before the event was refused


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
        opts = base
        warned: list[FieldWarning] = []
        origins: dict[str, Source] = {}
        try:
            opts = request_options.resolve(base, event, memo)
            payload = build_event(event, context(opts), memo, warned, origins)
            size = validate.event_size(payload)
            total += size
            found.append(Built(index, payload, opts, ga4_name, pixel_url=_pixel(payload, opts, event),
                               warnings=listed(warned), size=size,
                               event_id_source=_event_id_source(origins.get(_EVENT_ID.key))))
        except Skip as skip:
            found.append(Refused(index, Outcome.SKIPPED, skip.reason, 200, ga4_name,
                                 _event_id(event), _pinterest_name(opts, ga4_name)))
        except GatewayError as exc:
            found.append(Refused(index, Outcome.INVALID, where + str(exc), exc.status, ga4_name,
                                 _event_id(event), _pinterest_name(opts, ga4_name), listed(warned)))
        if total > limits.MAX_REQUEST_EVENT_BYTES:  # refused as soon as it is known: the rest is not built
            raise BadRequest(f"the events of this request come to more bytes than the "
                             f"{limits.MAX_REQUEST_EVENT_BYTES} at most accepted per request "
                             "(send fewer events or smaller shared settings)")
    return found


def _pixel(payload: dict[str, Any], opts: request_options.Options, event: dict[str, Any]) -> str | None:
    """The tag pixel when asked for, never in test mode: the pixel has none, so it would count for real."""
    if not opts.pixel_tag_id or opts.test:
        return None
    referrer = _REFERRER.read(event)
    return pixel_url(payload, opts.pixel_tag_id, referrer if isinstance(referrer, str) else None)


def _ga4_name(event: dict[str, Any]) -> str | None:
    """The GA4 name kept with the event's outcome; one over the limit is refused, and not kept."""
    name = event.get("event_name")
    return name if isinstance(name, str) and len(name) <= limits.GA4_EVENT_NAME_CHARS else None


def _event_id(event: dict[str, Any]) -> str | None:
    """The id a refused event would have been sent with (see `_first_id`).

    One over the length limit is left out (it may be why the event was refused); a generated id
    is never made up for an event that is not sent.
    """
    found = _first_id(event)
    if found is None:
        return None
    return found[1] if len(found[1]) <= _EVENT_ID.max_chars else None


def _event_id_source(origin: Source | None) -> str:
    """What gave a built event its id (the build's origin of event_id); none means the build generated one."""
    if type(origin) is not EventPath:  # the row reads event paths only
        return EventIdSource.GENERATED
    return EventIdSource.EVENT_ID if origin is _EVENT_ID.override else EventIdSource(origin.parts[0])


def _first_id(event: dict[str, Any]) -> tuple[EventPath, str] | None:
    """The override, then each source of the event_id row, in the build's order and with its test
    (build._extract): the first whose value types as text, and that text."""
    for path in (_EVENT_ID.override, *_EVENT_ID.sources):
        if type(path) is not EventPath:
            continue
        try:
            text = coerce.to_text(path.read(event))
        except ValueError:
            continue
        if text is not None:
            return path, text
    return None


def _pinterest_name(opts: request_options.Options, ga4_name: str | None) -> str | None:
    """Pinterest's name for the event under its options, when the name rules give one."""
    try:
        return event_names.resolve(opts.event_name_setup, opts.event_name, ga4_name, opts.event_map)
    except GatewayError:
        return None
