"""Type coercion for JSON values (operator overrides and GA4 parameters).

Every coercer returns None for an empty value and raises ValueError with the rule, never the
value, when the value cannot be coerced: the caller adds the field path.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

# Placeholder strings that tag managers emit for an unset variable → treated as absent.
_EMPTY_WORDS = frozenset({"", "undefined", "null"})
_LONGEST_EMPTY_WORD = max(map(len, _EMPTY_WORDS))
# Spellings of a switch, in any case → its value: the one rule for settings, request options,
# boolean event fields and the X-Debug header.
_BOOL_WORDS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False,
               "off": False}

# Plain decimal notation in ASCII digits: no thousands separators, NaN or Infinity, short exponents only.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
# Numbers written with a decimal comma or with thousands separators, read only when unambiguous:
# one comma not followed by exactly three digits (12,50), or digits grouped in threes by one mark
# with the other as the decimal mark (1.234,56, 1,234.56) or none (1.234.567, 1,234,567).
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,(?:[0-9]{1,2}|[0-9]{4,})")
_GROUPED_BY_DOTS = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?")
_GROUPED_BY_COMMAS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
# A short decimal already in the form format_decimal gives: no sign, leading or trailing zeros.
_PLAIN_DECIMAL = re.compile(r"(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{0,14}[1-9])?")
# Pinterest's integer fields are int64 and it reads decimal strings into doubles: larger values are refused.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Above this an event time is in milliseconds: 1e11 s is the year 5138.
_MILLISECONDS_FROM = 10**11


def is_empty(value: object) -> bool:
    """None, blank or placeholder strings ("undefined", "null"), and empty lists or objects carry nothing."""
    if value is None:
        return True
    if isinstance(value, str):
        return _blank(value.strip())
    if isinstance(value, (list, dict)):  # a tuple: isinstance is slower with a union (hot path)
        return not value
    return False


def _blank(text: str) -> bool:
    """A trimmed text that is empty or a placeholder; lower() never shortens it, so a long one is not."""
    return len(text) <= _LONGEST_EMPTY_WORD and text.lower() in _EMPTY_WORDS


def parse_number(value: object) -> Decimal:
    """A finite JSON number or plain decimal string as a Decimal; floats read as a person typed them."""
    if isinstance(value, str):  # first: prices usually come as strings (hot path)
        text = value.strip()
        if _NUMBER.fullmatch(text):
            return Decimal(text)
        return _separated_number(text)
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return Decimal(str(value))
    raise ValueError("must be a number such as 12 or 12.5")


def _separated_number(text: str) -> Decimal:
    """A number written with a decimal comma or thousands separators, when only one reading exists."""
    if _DECIMAL_COMMA.fullmatch(text):
        return Decimal(text.replace(",", "."))
    if _GROUPED_BY_DOTS.fullmatch(text) and text.count(".") + text.count(",") > 1:
        return Decimal(text.replace(".", "").replace(",", "."))  # 1.234 alone is one and a bit
    if _GROUPED_BY_COMMAS.fullmatch(text) and text.count(",") + text.count(".") > 1:
        return Decimal(text.replace(",", ""))
    if _GROUPED_BY_COMMAS.fullmatch(text):
        raise ValueError("is ambiguous: a comma before three digits may group thousands or mark "
                         "decimals (send 1234, or 1.234 for a decimal)")
    raise ValueError("must be a number such as 12 or 12.5")


def format_decimal(d: Decimal) -> str:
    """Plain notation, no exponent and no trailing zeros: 40, 59.97, 1000."""
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def to_text(value: object) -> str | None:
    """A string (trimmed) or a number in plain notation; true/false, lists and objects are not text."""
    if isinstance(value, str):
        text = value.strip()
        return None if _blank(text) else text
    if is_empty(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_decimal(parse_number(value))
    raise ValueError("must be text or a number")


def to_int(value: object) -> int | None:
    """A whole number, from an int, an integral float or a numeric string such as "3" or "3.0"."""
    if type(value) is int:  # the common case, without the Decimal round trip (hot path)
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError("must be a whole number that fits in 64 bits")
        return value
    if is_empty(value):
        return None
    number = parse_number(value)
    if number != number.to_integral_value():
        raise ValueError("must be a whole number")
    if not _INT64_MIN <= number <= _INT64_MAX:
        raise ValueError("must be a whole number that fits in 64 bits")
    return int(number)


def to_bool(value: object) -> bool | None:
    """true/false, 1/0, or a switch word (see `switch`)."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    found = switch(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError("must be true or false")
    return found


def switch(word: str) -> bool | None:
    """true/false, 1/0, yes/no or on/off, trimmed, in any case; None for any other word."""
    return _BOOL_WORDS.get(word.strip().lower())


def to_decimal_string(value: object) -> str | None:
    """A number as Pinterest's decimal strings want it: plain notation, no float noise."""
    if type(value) is str and _PLAIN_DECIMAL.fullmatch(value):  # already in that form (hot path)
        return value
    if is_empty(value):
        return None
    number = parse_number(value)
    if not math.isfinite(float(number)):
        raise ValueError("must be a number below 1.8e308 (Pinterest reads it as a double)")
    return format_decimal(number)


def to_string_list(value: object) -> list[str] | None:
    """A list, a JSON array string or a comma-separated string as a list of texts, empties dropped."""
    if is_empty(value):
        return None
    if isinstance(value, str) and value.strip().startswith("["):
        value = _json_array(value)
    elif isinstance(value, str):
        value = value.split(",")
    items = value if isinstance(value, list) else [value]
    texts = [text for text in map(to_text, items) if text is not None]
    return texts or None


def to_json_list(value: object) -> list[Any] | None:
    """A list, or a string holding a JSON array (how GTM passes `contents`)."""
    if is_empty(value):
        return None
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return _json_array(value) or None
    raise ValueError("must be a list or a JSON array")


def _json_array(text: str) -> list[Any]:
    """The list a JSON array string holds; anything else is rejected without quoting it."""
    try:
        parsed = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError("must be a valid JSON array") from None
    if not isinstance(parsed, list):
        raise ValueError("must be a JSON array")
    return parsed


def text_then(normalizer: Callable[[str], str | None]) -> Callable[[Any], str | None]:
    """A string normalizer applied to any JSON scalar."""

    def typed(value: Any) -> str | None:
        raw = to_text(value)
        return None if raw is None else normalizer(raw)

    typed.__name__ = normalizer.__name__
    return typed


def unix_seconds(value: Any) -> int | None:
    """event_time in whole seconds: a Unix time (milliseconds are detected) or an ISO-8601 time.

    An ISO-8601 / RFC 3339 text must carry its timezone (`Z` or `+02:00`): without one the
    instant is ambiguous, so it is refused rather than guessed.
    """
    if is_empty(value):
        return None
    if isinstance(value, str) and not _NUMBER.fullmatch(value.strip()):
        return _iso_seconds(value.strip())
    seconds = int(parse_number(value))
    if seconds < 0:
        raise ValueError("must be a Unix time in seconds")
    return seconds // 1000 if seconds >= _MILLISECONDS_FROM else seconds


def _iso_seconds(text: str) -> int:
    """An ISO-8601 time with a timezone in whole Unix seconds; RFC 3339 also allows a lower-case t and z."""
    try:
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        raise ValueError("must be a Unix time in seconds or an ISO-8601 time such as "
                         "2024-05-01T12:00:00Z") from None
    if moment.tzinfo is None:
        raise ValueError("is an ISO-8601 time without a timezone; add Z or an offset such as +02:00")
    seconds = int(moment.timestamp())
    if seconds < 0:
        raise ValueError("must be a Unix time in seconds")
    return seconds


def choice(*allowed: str) -> Callable[[str], str]:
    """A parser accepting exactly one of `allowed` (case-insensitive)."""

    def parse(value: str) -> str:
        word = value.strip().lower()
        if word not in allowed:
            raise ValueError("must be one of " + ", ".join(allowed))
        return word

    return parse
