"""Request bodies that once cost hundreds of MB or tens of seconds: shared by the unit and end-to-end tests.

Each fits the 1 MiB body limit. Most amplify through the request-wide `pinterest` object, which
reaches every one of 1000 events; the last two are 1 MiB of the events' own data.
"""

from __future__ import annotations

import json
from typing import Any

from function import limits


def event(**extra: Any) -> dict[str, Any]:
    return {"event_name": "purchase", "ip_override": "203.0.113.7", "user_agent": "Mozilla/5.0", **extra}


def shared_body(pinterest: dict[str, Any], events: int = 1000) -> bytes:
    return json.dumps({"events": [event() for _ in range(events)], "pinterest": pinterest},
                      separators=(",", ":")).encode()


def _fill(make: Any) -> bytes:
    """The body with the most items `make(n)` gives that still fits the 1 MiB limit."""
    n = 1000
    for _ in range(3):  # sizes grow about linearly with n
        n = n * limits.MAX_BODY_BYTES // len(json.dumps(make(n), separators=(",", ":")))
    while len(body := json.dumps(make(n), separators=(",", ":")).encode()) > limits.MAX_BODY_BYTES:
        n -= max(n // 200, 1)
    return body


def _content_ids_body(n: int) -> dict[str, Any]:
    return {"events": [event() for _ in range(1000)],
            "pinterest": {"custom_data": {"content_ids": [str(i) for i in range(n)]}}}


def _event_map_body(n: int) -> dict[str, Any]:
    return {"events": [event() for _ in range(1000)],
            "pinterest": {"event_map": {f"ga4_event_{i}": "lead" for i in range(n)}}}


def _own_content_ids_body(n: int) -> list[dict[str, Any]]:
    per_event = max(n // 1000, 1)
    return [event(items=[{"item_id": f"SKU-{i}"} for i in range(per_event)]) for _ in range(1000)]


def _huge_strings_body(n: int) -> list[dict[str, Any]]:
    return [event(event_id="e" * max(n // 1000, 1)) for _ in range(1000)]


def _phones_body(n: int) -> dict[str, Any]:
    return event(phone=[f"+1650555{i % 10_000:04d}" for i in range(n)])


AMPLIFIERS = {
    # 124 KB: 2,000 shared e-mails, hashed in each of 1000 events (555 MB before).
    "2000 shared e-mails": shared_body({"user_data": {"em": [f"user{i}@example.com" for i in range(2000)]}}),
    # 1 MiB: ~100,000 shared content_ids copied into each of 1000 events (3.2 GB, 57 s before).
    "100k shared content_ids": _fill(_content_ids_body),
    # 1 MiB: a shared event_map parsed and folded for each of 1000 events (48 s before).
    "1 MB shared event_map": _fill(_event_map_body),
    # Within every list limit, but 1000 copies of it would be 60 MB of events.
    "shared settings within the field limits": shared_body(
        {"custom_data": {"content_ids": [f"{i:0>100}" for i in range(500)]}}),
    # 1 MiB of the events' own data: 1000 events each with many items, and over-long strings.
    "1000 events with many content_ids": _fill(_own_content_ids_body),
    "1000 events with huge strings": _fill(_huge_strings_body),
    # 1 MiB of one event's phone numbers, each parsed by phonenumbers before the count was checked.
    "one event with 1 MiB of phone numbers": _fill(_phones_body),
}
