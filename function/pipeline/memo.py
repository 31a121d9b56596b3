"""Values worked out once per request, by the identity of the raw value they come from.

The request-wide `pinterest` object of {"events": [...], "pinterest": {...}} reaches every event
as the very same objects, so each shared setting is parsed, checked and hashed once per request
rather than once per event (2,000 shared e-mails were hashed 2,000,000 times). An event's own
values are other objects and are worked out as before; the answer is the same either way. A
result may be shared by several events' payloads, which are never changed once built.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from function.errors import GatewayError


class RequestMemo:
    """One request's results, errors included; kept only while the request is built."""

    def __init__(self) -> None:
        # (what, id of the raw value, variant) → (the raw value, its result, or the error it raised)
        self._found: dict[tuple[str, int, Hashable], tuple[object, Any, type[Exception] | None, str]] = {}

    def get(self, what: str, raw: object, work: Callable[[], Any], variant: Hashable = None) -> Any:
        """`work()` for `raw`, computed on first use; its ValueError or GatewayError raised each time."""
        key = (what, id(raw), variant)
        entry = self._found.get(key)
        if entry is None or entry[0] is not raw:  # held, so the id cannot be reused meanwhile
            try:
                entry = (raw, work(), None, "")
            except (ValueError, GatewayError) as exc:
                entry = (raw, None, type(exc), str(exc))
            self._found[key] = entry
        _, result, error, message = entry
        if error is not None:
            raise error(message)  # a new exception each time: one raised again would grow its traceback
        return result
