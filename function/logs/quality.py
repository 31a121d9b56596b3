"""What an event carried for Pinterest to match it: the match keys a log row names; pure.

Only key names are kept, never a value: the row says that an event had an e-mail, not which.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from function.pipeline.fields import FIELDS

# Pinterest's match keys (Conversions API user_data), in the field table's order, which the report
# lists: every user_data key the function sends but `partner_id`, which identifies the partner.
MATCH_KEYS = tuple(row.key for row in FIELDS if row.section == "user_data" and row.key != "partner_id")


def match_keys(payload: Mapping[str, Any]) -> list[str]:
    """The match keys a Pinterest event carries a value for, in MATCH_KEYS order."""
    user_data = payload.get("user_data")
    if not isinstance(user_data, Mapping):
        return []
    return [key for key in MATCH_KEYS if user_data.get(key) not in (None, "", [])]
