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
    # Each match may start only where its run of characters starts (the lookbehinds): starting
    # anywhere else finds nothing more and made long texts take quadratic time.
    (re.compile(r"(?i)(?<![\w-])([\w-]*(?:token|secret|password|api[_-]?key|key))([\"']?\s*[=:]\s*[\"']?)"
                r"[^\s&\"',;]+"),
     r"\1\2[redacted]"),
    # Seven or more digits, alone or split by phone punctuation: phone numbers, card and account numbers.
    (re.compile(r"(?<!\w)\+?\(?(?:\d[\s().-]{0,2}){6,}\d(?!\w)"), "[digits]"),
)
# The rules split once, not on every call: the credential rules, then the digit runs.
_CREDENTIAL_RULES = _RULES[:-1]
_DIGIT_RUNS, _DIGITS_REPLACEMENT = _RULES[-1]
# E-mail addresses, as [\w.+-]+@[\w-]+(?:\.[\w-]+)+ would find them (applied after the credentials,
# before the digits): the domain first, then the name read backwards, so time stays linear.
_EMAIL_DOMAIN = re.compile(r"@[\w-]+(?:\.[\w-]+)+")
_EMAIL_NAME_CHAR = re.compile(r"[\w.+-]")


# Every credential rule's match holds one of these words. Testing for them first is far cheaper than
# the patterns, and every logged text comes through here: in ASCII text by substring, elsewhere by the
# same (?i) engine as the rules (it folds the long s, the Kelvin sign and the dotted I too).
_CREDENTIAL_WORDS = ("bearer", "basic", "token", "secret", "password", "key")
_CREDENTIAL_WORD = re.compile("(?i)" + "|".join(_CREDENTIAL_WORDS))
# The same words as plain substrings of lowered ASCII text: one search, not one `in` per word.
_CREDENTIAL_SUBSTRING = re.compile("|".join(_CREDENTIAL_WORDS))


def scrub(text: str, *, digits: bool = True) -> str:
    """`text` with every match of the rules above replaced; digits=False keeps digit runs (order ids)."""
    if _may_hold_credential(text):
        for pattern, replacement in _CREDENTIAL_RULES:
            text = pattern.sub(replacement, text)
    if "@" in text:
        text = _scrub_emails(text)
    return _DIGIT_RUNS.sub(_DIGITS_REPLACEMENT, text) if digits else text


def _may_hold_credential(text: str) -> bool:
    if text.isascii():
        lowered = text.lower()
        return _CREDENTIAL_SUBSTRING.search(lowered) is not None
    return _CREDENTIAL_WORD.search(text) is not None


def _scrub_emails(text: str) -> str:
    """Each e-mail address replaced by [email]; the name part is never read past the last replacement."""
    kept: list[str] = []
    done = 0
    for match in _EMAIL_DOMAIN.finditer(text):
        start = match.start()
        while start > done and _EMAIL_NAME_CHAR.match(text, start - 1):
            start -= 1
        if start < match.start():
            kept += [text[done:start], "[email]"]
            done = match.end()
    kept.append(text[done:])
    return "".join(kept)


# Exact types of JSON values that hold no text (subclasses take the general way).
_SCALARS = frozenset({int, float, bool, type(None)})


def scrub_json(value: Any) -> Any:
    """A copy of a JSON value with every string (keys left alone) scrubbed."""
    if type(value) in _SCALARS:  # kept as they are, before the Mapping ABC check they would all pay
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, (dict, Mapping)):  # dict first: the ABC check costs far more
        return {str(key): scrub_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_json(item) for item in value]
    return value
