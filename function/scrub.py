"""Removes what looks like personal data or a credential from free text bound for the logs.

Defence in depth: records are built without raw input, but error texts come from other
systems (Pinterest, BigQuery, the network) and may echo what they were given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Pattern → its replacement, applied in order (credentials first, so a token is not half-eaten).
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization header values: "Bearer <token>", "Basic <credentials>".
    (re.compile(r"(?i)\b(bearer|basic)\s+[\w.~+/=-]+"), r"\1 [redacted]"),
    # Credentials in URLs and key=value texts: token=…, access_token: …, api_key=…, password=….
    (re.compile(r"(?i)\b([\w-]*(?:token|secret|password|api[_-]?key|key))([\"']?\s*[=:]\s*[\"']?)[^\s&\"',;]+"),
     r"\1\2[redacted]"),
    # E-mail addresses.
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # Seven or more digits, alone or split by phone punctuation: phone numbers, card and account numbers.
    (re.compile(r"(?<!\w)\+?\(?(?:\d[\s().-]{0,2}){6,}\d(?!\w)"), "[digits]"),
)


def scrub(text: str) -> str:
    """`text` with every match of the rules above replaced."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def scrub_json(value: Any) -> Any:
    """A copy of a JSON value with every string (keys left alone) scrubbed."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {str(key): scrub_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_json(item) for item in value]
    return value
