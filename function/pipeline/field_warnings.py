"""Warnings: a value the event had that the gateway did not send as given, by field and reason.

The data path stays pure: each step appends what it dropped to the event's list, and the list
travels with the built (or refused) event to the caller's answer, the log row and the console.
A warning names the field and the rule, never the value: it goes where raw data may not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from function import limits

# The field of the warning that counts those not listed: no field of Pinterest's, so never confused.
MORE = "warnings"


class FieldWarning(NamedTuple):
    """`field` is Pinterest's path of the field (custom_data.value); `reason` names the input and the rule."""

    field: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "reason": self.reason}


def not_sent(field: str, where: str, rule: str) -> FieldWarning:
    """The usual warning: the input at `where` breaks `rule`, so nothing of it is sent."""
    return FieldWarning(field, f"{where} {rule}; not sent")


def listed(warned: Sequence[FieldWarning]) -> tuple[FieldWarning, ...]:
    """An event's warnings as it keeps them: each once, in order, at most WARNINGS_PER_EVENT of them,
    then one saying how many more there were (several refused values of one list say the same)."""
    distinct = tuple(dict.fromkeys(warned)) if warned else ()
    limit = limits.WARNINGS_PER_EVENT
    if len(distinct) <= limit:
        return distinct
    more = len(distinct) - limit
    return (*distinct[:limit], FieldWarning(MORE, f"{more} more warnings not listed "
                                                  f"(at most {limit} are listed per event)"))
