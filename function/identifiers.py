"""How the names and keys the function is configured with are spelt: each rule once.

Settings checks every value at start; the adapters that use one (Secret Manager, the caller check)
take it as checked, and apply the same rule to what they read at run time (keys from a secret).
Imports nothing of ours, so settings stands on no adapter (tests/unit/test_imports.py).
"""

from __future__ import annotations

import re

# The one placeholder a secret name may hold: replaced by the digits-only ad account id.
AD_ACCOUNT_PLACEHOLDER = "{ad_account_id}"
# projects/P/secrets/S[/versions/V]: ids of letters, digits, '-' and '_' (Secret Manager's alphabet).
_VERSION_NAME = re.compile(r"projects/[A-Za-z0-9-]+/secrets/[A-Za-z0-9_-]+(/versions/[A-Za-z0-9_-]+)?")
# A caller key is a shared secret pasted into GTM: long enough not to be guessed, and visible ASCII,
# since HTTP clients do not agree on how other characters travel in a header.
API_KEY_MIN_CHARS = 16
_API_KEY = re.compile(r"[!-~]+")
ASCII_WHITESPACE = " \t\r\n\v\f"  # str.strip() alone would also trim a no-break space


def parse_secret_name(value: str) -> str:
    """A version name; a bare secret name means its latest version. {ad_account_id} may stand for digits."""
    value = value.strip()
    if not value:
        return ""
    if not _VERSION_NAME.fullmatch(value.replace(AD_ACCOUNT_PLACEHOLDER, "0")):
        raise ValueError("must be projects/PROJECT/secrets/SECRET, optionally followed by /versions/VERSION "
                         "(letters, digits, - and _; {ad_account_id} may stand for the account)")
    return value if "/versions/" in value else value + "/versions/latest"


def parse_one_secret_name(value: str) -> str:
    """A version name as in parse_secret_name, for a secret shared by every ad account."""
    if AD_ACCOUNT_PLACEHOLDER in value:
        raise ValueError("must name one secret; {ad_account_id} is for PINTEREST_ACCESS_TOKEN_SECRET only")
    return parse_secret_name(value)


def for_account(name: str, ad_account_id: str) -> str:
    """The version name of one ad account's secret (the id is digits only, checked before)."""
    return name.replace(AD_ACCOUNT_PLACEHOLDER, ad_account_id)


def api_keys(candidates: list[str]) -> tuple[str, ...]:
    """Caller keys trimmed of ASCII whitespace only, blanks and repeats dropped, each one checked.

    A no-break space or any other character outside visible ASCII is refused rather than trimmed
    or kept: no client could be relied on to send it as configured. Messages count, never quote.
    """
    keys = tuple(dict.fromkeys(k.strip(ASCII_WHITESPACE) for k in candidates if k.strip(ASCII_WHITESPACE)))
    for position, key in enumerate(keys, 1):
        if not _API_KEY.fullmatch(key):
            raise ValueError(f"key {position} must be visible ASCII characters only, without spaces")
        if len(key) < API_KEY_MIN_CHARS:
            raise ValueError(f"key {position} is shorter than {API_KEY_MIN_CHARS} characters")
    return keys
