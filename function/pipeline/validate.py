"""Checks a built Pinterest event against the rules Pinterest enforces beyond types."""

from __future__ import annotations

import json
from collections.abc import Mapping, Set
from typing import Any

import orjson

from function.errors import BadRequest, GatewayError, Unprocessable
from function.limits import MAX_EVENT_AGE_S, MAX_EVENT_BYTES
from function.pipeline import event_names
from function.pipeline.fields import FIELDS, Field
from function.pipeline.normalize import is_digest
from function.pipeline.options import ACTION_SOURCES

# Section → its rows of the field table; the event level also holds what build_event sets itself.
_ROWS: dict[str, dict[str, Field]] = {
    section: {row.key: row for row in FIELDS if row.section == section}
    for section in ("event", "user_data", "custom_data")
}
_BUILT_KEYS = frozenset({"event_name", "action_source", "partner_name", "user_data", "custom_data"})
_REQUIRED = ("event_name", "action_source", "event_time", "event_id", "user_data")


def event_time(value: int | None, now: int) -> int:
    """Missing → now; in the future → clamped to now; older than 7 days → refused."""
    if value is None or value > now:
        return now
    if now - value > MAX_EVENT_AGE_S:
        raise Unprocessable("event_time is older than 7 days; Pinterest refuses such events")
    return value


def identifiers(user_data: Mapping[str, Any]) -> None:
    """Pinterest needs em, hashed_maids, or client_ip_address with client_user_agent."""
    if user_data.get("em") or user_data.get("hashed_maids"):
        return
    if user_data.get("client_ip_address") and user_data.get("client_user_agent"):
        return
    raise Unprocessable(
        "user_data needs at least one of em, hashed_maids, or client_ip_address with client_user_agent"
    )


# Built once: json.dumps with any option builds a new encoder per call, half the cost of a small event.
_COMPACT = json.JSONEncoder(separators=(",", ":"))
# What json's ASCII escaping adds to a character that orjson writes as UTF-8, told by its first
# byte: two- and three-byte characters become \uXXXX (6 bytes), four-byte ones a surrogate pair of
# them (12), and DEL, which orjson leaves as it is, \u007f. The other bytes add nothing.
_ESCAPE_GROWTH = {**dict.fromkeys(range(0xC0, 0xE0), 4), **dict.fromkeys(range(0xE0, 0xF0), 3),
                  **dict.fromkeys(range(0xF0, 0xF8), 8), 0x7F: 5}
_GROWTH_MARKS = bytes(_ESCAPE_GROWTH.get(byte, 0) for byte in range(256))
_GROWTHS = frozenset(_ESCAPE_GROWTH.values())


def event_size(payload: Mapping[str, Any]) -> int:
    """The event's bytes as Pinterest receives them (compact JSON, ASCII); over the limit is refused."""
    size = compact_size(payload)
    if size > MAX_EVENT_BYTES:
        raise BadRequest(f"the event comes to {size} bytes; at most {MAX_EVENT_BYTES} are accepted per event")
    return size


def compact_size(payload: Mapping[str, Any]) -> int:
    """len(json.dumps(payload, separators=(",", ":"))), the body Pinterest is sent, at a seventh of its cost.

    orjson writes the same compact JSON but in UTF-8: the escapes json adds are counted from its
    bytes. Exact for what a built event holds (texts, whole numbers, booleans, lists and objects:
    the normalizers give no floats, which the two libraries write differently). What orjson
    refuses (an integer beyond 64 bits, a lone surrogate) is measured by json itself.
    """
    try:
        encoded = orjson.dumps(payload)
    except TypeError:
        return len(_COMPACT.encode(payload))
    if encoded.isascii() and b"\x7f" not in encoded:  # the usual case: nothing to escape
        return len(encoded)
    marks = encoded.translate(_GROWTH_MARKS)
    return len(encoded) + sum(growth * marks.count(growth) for growth in _GROWTHS)


def compact_json(value: Any) -> bytes:
    """json.dumps(value, separators=(",", ":")).encode(), as the batches Pinterest is sent are written.

    orjson's bytes when they are the same, that is when they are ASCII without DEL (compact_size
    names what else they share); else json's own.
    """
    try:
        encoded = orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits, a lone surrogate
        return _COMPACT.encode(value).encode()
    if encoded.isascii() and b"\x7f" not in encoded:
        return encoded
    return _COMPACT.encode(value).encode()


def built_event(event: Mapping[str, Any], now: int) -> None:
    """An event read back rather than built (replay) must be one build_event could have made.

    The keys build_event writes and no other, each value one its field's normalizer gives back
    unchanged, hashed fields holding SHA-256 digests only, an event name and action source Pinterest
    takes, an event time within 7 days and an identifier. Refusals name the key, never the value.
    """
    missing = [key for key in _REQUIRED if key not in event]
    if missing:
        raise Unprocessable(f"the event lacks {', '.join(missing)}")
    _only_known(event, _ROWS["event"].keys() | _BUILT_KEYS, "the event")
    name = event["event_name"]
    if not isinstance(name, str) or not event_names.takes(name):
        raise Unprocessable("event_name must be a standard name or 1-100 letters, digits, '_' or '-'")
    if event["action_source"] not in ACTION_SOURCES:
        raise Unprocessable(f"action_source must be one of {', '.join(ACTION_SOURCES)}")
    if not isinstance(event.get("partner_name", ""), str):
        raise Unprocessable("partner_name must be a string")
    for section in ("user_data", "custom_data"):
        if not isinstance(event.get(section, {}), Mapping):
            raise Unprocessable(f"{section} must be an object")
        _only_known(event.get(section, {}), _ROWS[section].keys(), section)
    _as_built(event, "event", "")
    _as_built(event["user_data"], "user_data", "user_data.")
    _as_built(event.get("custom_data", {}), "custom_data", "custom_data.")
    event_time(event["event_time"], now)
    identifiers(event["user_data"])


def built_event_problem(event: Mapping[str, Any], now: int) -> str | None:
    """Why an event read back (replay's log row, the drain's Pub/Sub message) may not be sent, or
    None: `built_event`'s refusal as text, which names the key, never the value."""
    try:
        built_event(event, now)
    except GatewayError as exc:
        return str(exc)
    return None


def _only_known(values: Mapping[str, Any], known: Set[str], where: str) -> None:
    if not values.keys() <= known:
        raise Unprocessable(f"{where} holds a key build_event never writes")


def _as_built(values: Mapping[str, Any], section: str, prefix: str) -> None:
    """Each field of the section as its row of the field table cleans it."""
    for key, value in values.items():
        row = _ROWS[section].get(key)
        if row is None:  # the event level's own keys, checked by built_event
            continue
        if row.hashed:
            if not _digests(value):
                raise Unprocessable(f"{prefix}{key} must hold SHA-256 digests (64 lower-case hex) only")
            continue
        try:
            clean = row.normalize(value)
        except ValueError:
            clean = None
        if clean != value or type(clean) is not type(value):
            raise Unprocessable(f"{prefix}{key} is not a value the gateway builds")


def _digests(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and is_digest(v) for v in value)
