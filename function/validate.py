"""Checks a built Pinterest event against the rules Pinterest enforces beyond types."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from function.errors import BadRequest, Unprocessable
from function.limits import MAX_EVENT_AGE_S, MAX_EVENT_BYTES


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


def event_size(payload: Mapping[str, Any]) -> int:
    """The event's bytes as Pinterest receives them (compact JSON, ASCII); over the limit is refused."""
    size = len(_COMPACT.encode(payload))
    if size > MAX_EVENT_BYTES:
        raise BadRequest(f"the event comes to {size} bytes; at most {MAX_EVENT_BYTES} are accepted per event")
    return size
