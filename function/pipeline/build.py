"""Builds one Pinterest CAPI event from one GA4 event: name, extract, normalize/hash, check."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, NamedTuple, NoReturn
from urllib.parse import urlsplit

from function import limits
from function.errors import BadRequest
from function.pipeline import coerce, consent, derive, event_names, normalize, plans, validate
from function.pipeline.field_warnings import FieldWarning, not_sent
from function.pipeline.fields import FIELDS, Field, Source
from function.pipeline.memo import RequestMemo
from function.pipeline.options import Options
from function.pipeline.paths import EventPath

Event = Mapping[str, Any]

_GA4_NAME = EventPath("event_name")
_PAGE_LOCATION = EventPath("page_location")
# GTM's synthetic monitoring traffic: never a real conversion.
_SYNTHETIC_HOST = "gtm-msr.appspot.com"
_COUNTRY = next(f for f in FIELDS if f.key == "country")


class Skip(Exception):
    """The event is not sent, on purpose (consent, synthetic traffic)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Context(NamedTuple):
    """Everything a build needs besides the event, so the build stays pure.

    One per event: a NamedTuple is made at about a third of a frozen dataclass's cost.
    """

    options: Options
    now: int
    new_event_id: Callable[[], str]
    consent_required: bool = False
    partner_name: str = ""
    default_phone_country: str = ""


def build_event(event: Event, ctx: Context, memo: RequestMemo | None = None,
                warned: list[FieldWarning] | None = None,
                origins: dict[str, Source] | None = None) -> dict[str, Any]:
    """The Pinterest event for `event`; raises Skip, or a GatewayError naming the field.

    `memo` is the request's: the overrides every event shares are cleaned once in it. What the
    event had and is not sent as given is appended to `warned` (kept even when the build raises);
    where each field sent was read from (an override: its path) goes into `origins`, by its key.
    """
    memo = memo or RequestMemo()
    warned = [] if warned is None else warned
    _check_not_skipped(event, ctx)
    options = ctx.options
    name = event_names.resolve(options.event_name_setup, options.event_name, _ga4_name(event),
                               options.event_map)
    payload: dict[str, Any] = {"event_name": name, "action_source": options.action_source}
    if options.event_map:
        mapped = event_names.mapped_warning(options.event_name_setup, name)
        if mapped:
            warned.append(FieldWarning("event_name", mapped))
    sections: dict[str, dict[str, Any]] = {"event": payload, "user_data": {}, "custom_data": {}}
    web = options.action_source == "web"
    derived = derive.values(event)
    notes = derived.get(derive.WARNINGS)
    steps = plans.plan(event, derived)
    for step in steps:
        row = step.row
        region = None
        if row.region_aware:
            region = _phone_region(event, steps) or ctx.default_phone_country or None
        found = _extract(step, event, derived, web, region, memo, warned, notes)
        if found is not None:
            sections[row.section][row.key] = found[0]
            if origins is not None:
                origins[row.key] = found[1]
    payload["event_time"] = validate.event_time(payload.get("event_time"), ctx.now)
    payload.setdefault("event_id", ctx.new_event_id())
    if ctx.partner_name:
        payload["partner_name"] = ctx.partner_name
    payload["user_data"] = sections["user_data"]
    if sections["custom_data"]:
        payload["custom_data"] = sections["custom_data"]
    validate.identifiers(payload["user_data"])
    return payload


def _ga4_name(event: Event) -> str | None:
    """The GA4 event name, which must be a string of bounded length when present."""
    raw = _GA4_NAME.read(event)
    if coerce.is_empty(raw):
        return None
    try:
        name = coerce.to_text(raw)
    except ValueError as exc:
        raise BadRequest(f"event_name {exc}") from None
    if name is not None and len(name) > limits.GA4_EVENT_NAME_CHARS:
        raise _over_limit("event_name", len(name), limits.GA4_EVENT_NAME_CHARS, "characters")
    return name


def _check_not_skipped(event: Event, ctx: Context) -> None:
    """Synthetic GTM traffic and events without ad_storage consent (when required) are skipped."""
    location = _PAGE_LOCATION.read(event)
    synthetic = isinstance(location, str) and _SYNTHETIC_HOST in location.lower()  # cheap test first
    if synthetic and _hostname(location) == _SYNTHETIC_HOST:
        raise Skip("synthetic GTM monitoring traffic")
    required = ctx.consent_required or ctx.options.consent == "required"  # a request may only tighten
    if required and not consent.ad_storage_granted(event):
        raise Skip("consent")


def _hostname(url: str) -> str:
    """The URL's host; '' when it has none or is no URL at all (urlsplit raises on "http://[::1")."""
    try:
        return urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""


def _extract(step: plans.Step, event: Event, derived: Mapping[str, Any], web: bool, region: str | None,
             memo: RequestMemo, warned: list[FieldWarning],
             notes: Mapping[str, list[FieldWarning]] | None) -> tuple[Any, Source] | None:
    """The override if given (a bad one is a 400), else the first usable source; over a limit is a 400.

    A source whose value is refused (it cannot be typed, or its normalizer gives nothing for it)
    is warned of and the next one tried; so is what an override holds that cannot be sent. A value
    comes with where it was read from; None: nothing to send.
    """
    row = step.row
    override = row.override.read(event) if step.may_override else None
    if override is not None and not coerce.is_empty(override):
        where = row.override.dotted
        try:
            value, found = memo.get(where, override, partial(_overridden, row, override, region), region)
        except ValueError as exc:
            raise BadRequest(f"{where} {exc}") from None
        if found:
            warned.extend(found)
        return None if value is None else (value, row.override)
    if row.web_only and not web:
        return None
    for source in step.sources:
        clean = False
        if type(source) is EventPath:
            raw = source.read(event)
        else:
            raw, clean = derived.get(source.name), source.clean
            if notes is not None and source.name in notes:  # what the items held that is not sent
                warned.extend(notes[source.name])
        if raw is None:
            continue
        if type(raw) is list and _too_many(row, raw):  # refused before the work of cleaning it
            _refuse_over_limit(row, raw, _where(source, row))
        try:  # an empty value cleans to None
            value = raw if clean else _clean(row, raw, region, source, warned)
        except ValueError as exc:
            warned.append(not_sent(row.path, _where(source, row), str(exc)))
            continue
        if value is not None:
            if len(value) > row.max_chars if type(value) is str else _too_many(row, value):
                _refuse_over_limit(row, value, _where(source, row))
            if row.max_item_chars:
                _refuse_long_item_texts(row, value, _where(source, row))
            return value, source
        if not row.hashed and not coerce.is_empty(raw):  # hashed rows warn of each value they refuse
            warned.append(not_sent(row.path, _where(source, row), row.refusal))
    return None


def _where(source: Source, row: Field) -> str:
    """How an answer names where a value came from: its GA4 path, or the field a derived value fills."""
    return source.dotted if type(source) is EventPath else row.key


def _overridden(row: Field, raw: Any, region: str | None) -> tuple[Any, tuple[FieldWarning, ...]]:
    """An override cleaned within the row's limits, with its warnings: worked out once per memo."""
    where = row.override.dotted
    found: list[FieldWarning] = []
    if type(raw) is list and _too_many(row, raw):  # refused before the work of cleaning it
        _refuse_over_limit(row, raw, where)
    value = _clean(row, raw, region, row.override, found)
    if value is None:
        if not row.hashed:  # not empty (the caller checked): refused by its normalizer
            found.append(not_sent(row.path, where, row.refusal))
        return None, tuple(found)
    if len(value) > row.max_chars if type(value) is str else _too_many(row, value):
        _refuse_over_limit(row, value, where)
    if row.max_item_chars:
        _refuse_long_item_texts(row, value, where)
    if row.unsent_parts is not None:
        found += row.unsent_parts(raw, where)
    return value, tuple(found)


def _too_many(row: Field, value: Any) -> bool:
    """A list longer than the row takes (raw values are counted before duplicates are dropped)."""
    return row.max_items is not None and type(value) is list and len(value) > row.max_items


def _refuse_over_limit(row: Field, value: str | list[Any], where: str) -> NoReturn:
    """A 400 naming where the value came from, the Pinterest key and its limit, never the value."""
    if type(value) is str:
        raise _over_limit(where, len(value), row.max_chars, "characters", row.key)
    raise _over_limit(where, len(value), row.max_items or 0, "items", row.key)


def _refuse_long_item_texts(row: Field, value: list[dict[str, Any]], where: str) -> None:
    """A 400 for a text over its limit inside one of the list's objects (contents[].item_brand_id)."""
    for index, item in enumerate(value):
        for key, limit in row.max_item_chars.items():
            text = item.get(key)
            if type(text) is str and len(text) > limit:
                raise _over_limit(f"{where}[{index}].{key}", len(text), limit, "characters")


def _over_limit(where: str, size: int, limit: int, unit: str, key: str = "") -> BadRequest:
    """The limit broken, by path and number, never the value."""
    field_name = f" for {key}" if key and not where.endswith(key) else ""
    return BadRequest(f"{where} holds {size} {unit}; at most {limit} are accepted{field_name}")


def _clean(row: Field, raw: Any, region: str | None, source: Source | None = None,
           warned: list[FieldWarning] | None = None) -> Any:
    """Type and normalize a raw value; hashed fields become de-duplicated lists of digests.

    A hashed value its normalizer refuses is left out of the list and, given `warned`, warned of.
    """
    if not row.hashed:
        return row.normalize(raw)
    normalizer = partial(row.normalize, region=region) if row.region_aware else row.normalize
    digests: dict[str, None] = {}
    several = isinstance(raw, list)
    for item in raw if several else (raw,):
        text = coerce.to_text(item)
        if text is None:  # empty
            continue
        digest = normalize.hash_field(text, normalizer)
        if digest:
            digests[digest] = None
        elif warned is not None and source is not None:
            where = _where(source, row)
            warned.append(not_sent(row.path, f"{where} holds a value that" if several else where,
                                   row.refusal))
    return list(digests) or None


def _phone_region(event: Event, steps: tuple[plans.Step, ...]) -> str | None:
    """The user's own country, when given in the clear, places national phone numbers.

    Read from the sources the event's plan has for the country row (none: no country given).
    """
    country = next((step for step in steps if step.row is _COUNTRY), None)
    if country is None:
        return None
    for source in (_COUNTRY.override, *country.sources) if country.may_override else country.sources:
        raw = source.read(event) if isinstance(source, EventPath) else None
        if isinstance(raw, list):
            raw = raw[0] if raw else None
        if isinstance(raw, str) and raw.strip() and not normalize.is_sha256(raw):
            code = normalize.country(raw)
            if code:
                return code.upper()
    return None
