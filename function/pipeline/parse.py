"""Turns a request body into GA4 event objects: one object, an array, or {"events": [...]}."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from function.errors import BadRequest, PayloadTooLarge
from function.limits import EVENTS_PER_CALL as MAX_EVENTS  # Pinterest's per call; we take no more per request
from function.limits import MAX_BODY_BYTES

# The reserved object holding per-request settings and overrides, its dot-notation prefix and
# the prefix of its keys as Stape's "flatten keys" writes them (pinterest_test).
RESERVED = "pinterest"
_DOTTED_PREFIX = RESERVED + "."
FLAT_PREFIX = RESERVED + "_"
# Characters of a caller's key quoted in an error: a key may be of any length.
_QUOTED_CHARS = 100


def _reject_constant(name: str) -> Any:
    """NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


# One decoder for every request: json.loads with an option builds a new decoder and scanner per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def load_json(body: bytes) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity, no unpaired surrogate escapes, bounded size and depth."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body is larger than {MAX_BODY_BYTES} bytes")
    try:
        document = _DECODER.decode(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("body is not valid UTF-8") from None
    except RecursionError:
        raise BadRequest("body is nested too deeply") from None
    except ValueError as exc:
        raise BadRequest(f"body is not valid JSON: {_position(exc)}") from None
    # Only a \uD8xx-\uDFxx escape can produce a lone surrogate; most bodies skip the walk.
    if (b"\\ud" in body or b"\\uD" in body) and not _is_text(document):
        raise BadRequest("body holds an unpaired UTF-16 surrogate escape, which is not text")
    return document


def _is_text(document: Any) -> bool:
    """Every string (keys too) encodes as UTF-8; walked without recursion, whatever the depth."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            strings: list[Any] = [node]
        elif isinstance(node, dict):
            strings = list(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            strings = []
            stack.extend(node)
        else:
            continue
        for text in strings:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


def _position(exc: ValueError) -> str:
    """Where the JSON broke, without quoting the body."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return str(exc)


def split_events(document: Any) -> list[dict[str, Any]]:
    """The events of a request, each carrying the shared `pinterest` settings under its own.

    JSON objects are dicts: checked as such, since the Mapping ABC check is slow on this hot path.
    """
    shared: Mapping[str, Any] = {}
    if isinstance(document, dict) and "events" in document:
        events, path = document["events"], "events"
        if not isinstance(events, list):
            raise BadRequest("events must be an array of event objects")
        shared = _reserved(document, "")
        _refuse_flat_shared(document)
    elif isinstance(document, list):
        events, path = document, "body"
    elif isinstance(document, dict):
        events, path = [document], ""
    else:
        raise BadRequest("body must be a JSON object, an array of objects or {\"events\": [...]}")
    if not events:
        raise BadRequest(f"{path} holds no events")
    if len(events) > MAX_EVENTS:
        raise BadRequest(f"{path} holds {len(events)} events; at most {MAX_EVENTS} are accepted")
    found = []
    for index, event in enumerate(events):
        where = f"{path}[{index}]" if path else "body"
        if not isinstance(event, dict):
            raise BadRequest(f"{where} must be a JSON object")
        own = _reserved(event, where + ".")
        merged = _merge(shared, own) if shared else own
        found.append({**event, RESERVED: merged} if merged else dict(event))
    return found


def _refuse_flat_shared(document: Mapping[str, Any]) -> None:
    """Flattened settings (`pinterest_test`) are read in each event; beside "events" they would be ignored."""
    for key in document:
        if key.startswith(FLAT_PREFIX):
            raise BadRequest(f"{quoted(key)} is not read beside \"events\": give shared settings as the "
                             f"{RESERVED} object or in dot notation ({RESERVED}.test)")


def quoted(key: str) -> str:
    """A caller's key as an error names it: cut short past _QUOTED_CHARS."""
    return key if len(key) <= _QUOTED_CHARS else key[:_QUOTED_CHARS] + "…"


def _reserved(obj: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The `pinterest` object, with dot-notation keys ("pinterest.custom_data.order_id") expanded."""
    nested = obj.get(RESERVED)
    if nested is not None and not isinstance(nested, dict):
        raise BadRequest(f"{where}{RESERVED} must be an object")
    result: dict[str, Any] = dict(nested or {})
    for key in [key for key in obj if key.startswith(_DOTTED_PREFIX)]:
        _set_path(result, key[len(_DOTTED_PREFIX):].split("."), obj[key])
    return result


def _set_path(target: dict[str, Any], parts: list[str], value: Any) -> None:
    """Place a dot-notation value, without replacing a value the nested form already holds."""
    for part in parts[:-1]:
        child = target.get(part)
        if child is None:
            child = {}
        elif isinstance(child, dict):
            child = dict(child)  # copied: the caller's objects are never changed
        else:
            return  # a value the nested form set already stands here
        target[part] = child
        target = child
    target.setdefault(parts[-1], value)


def _merge(base: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: the event's own settings win over the request's shared ones."""
    merged = dict(base)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
