"""Normalizers for Pinterest's non-hashed fields: JSON value in, Pinterest-typed value out.

Each takes any JSON value and returns the typed value, None to drop it, or raises
ValueError with the rule it broke (the caller adds the field path).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from function.pipeline import coerce

# Above this an event time is in milliseconds: 1e11 s is the year 5138.
_MILLISECONDS_FROM = 10**11


# Plain typed fields: the coercers already give None for an empty value.
text = coerce.to_text  # a plain string
integer = coerce.to_int  # Pinterest int64 fields (num_items, quantity)
boolean = coerce.to_bool  # Pinterest boolean fields (opt_out, wifi)
decimal = coerce.to_decimal_string  # money fields are decimal strings ("59.97"), never floats
string_list = coerce.to_string_list  # arrays of strings (content_ids): a list, a JSON array or a comma list


def text_then(normalizer: Callable[[str], str | None]) -> Callable[[Any], str | None]:
    """A string normalizer applied to any JSON scalar."""

    def typed(value: Any) -> str | None:
        raw = text(value)
        return None if raw is None else normalizer(raw)

    typed.__name__ = normalizer.__name__
    return typed


def unix_seconds(value: Any) -> int | None:
    """event_time in whole seconds; millisecond timestamps are detected and converted."""
    if coerce.is_empty(value):
        return None
    seconds = int(coerce.parse_number(value))
    if seconds < 0:
        raise ValueError("must be a Unix time in seconds")
    return seconds // 1000 if seconds >= _MILLISECONDS_FROM else seconds


# Pinterest `contents` item key → its normalizer (additionalProperties: false on items).
_CONTENT_KEYS: dict[str, Callable[[Any], Any]] = {
    "id": text,
    "item_price": decimal,
    "quantity": integer,
    "item_name": text,
    "item_brand": text,
    "item_category": text,
}


def contents(value: Any) -> list[dict[str, Any]] | None:
    """Pinterest `contents`: objects with only the allowed keys; quantity defaults to 1."""
    found = []
    for index, item in enumerate(coerce.to_json_list(value) or ()):
        if type(item) is not dict and not isinstance(item, Mapping):  # the ABC check is slow (hot path)
            raise ValueError(f"[{index}] must be an object")
        content = {}
        for key, normalize in _CONTENT_KEYS.items():
            raw = item.get(key)
            if raw is None:  # absent: every normalizer would give None
                continue
            try:
                typed = normalize(raw)
            except ValueError as exc:
                raise ValueError(f"[{index}].{key} {exc}") from None
            if typed is not None:
                content[key] = typed
        content.setdefault("quantity", 1)
        found.append(content)
    return found or None
