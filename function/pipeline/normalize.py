"""User-data normalizers and hashing, following the rules in Pinterest's user_data descriptions.

Each normalizer takes the raw text and returns the value Pinterest expects before hashing, or
None when nothing usable is left: the value is then not sent, with a warning whose reason the
field table (fields.py) names once per normalizer.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from collections.abc import Callable

from function.pipeline import lookups

SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_DIGEST = re.compile(r"[0-9a-f]{64}")

_ISO_DATE = re.compile(r"([0-9]{4})([-/]?)([0-9]{2})\2([0-9]{2})")
_ISO_TIME = re.compile(
    r"[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?",
    re.IGNORECASE,
)
_DOTTED_DATE = re.compile(r"([0-9]{2})\.([0-9]{2})\.([0-9]{4})")
_US_ZIP = re.compile(r"([0-9]{5})(?:[\s-]*[0-9]{4})?")
_SPACES_AND_DASHES = re.compile(r"[\s-]+")


def email(value: str) -> str | None:
    """'Lowercase version of user's email addresses', with every stray space removed; no name@domain: None."""
    text = "".join(value.split()).lower()
    name, at, domain = text.rpartition("@")
    return text if at and name and domain else None


def phone(value: str, region: str | None = None) -> str | None:
    """'Only digits with country code, area code, and number': E.164 digits, or None when it cannot be placed.

    A number is placed by its + or 00 prefix, else by the user's country (`region`). Digits without
    their country code would hash to a value Pinterest never matches, so they are not sent.
    """
    return _e164_digits(value.strip(), region)


def _e164_digits(text: str, region: str | None) -> str | None:
    """E.164 without its "+", when the number has a + or 00 prefix or a national one has a known region."""
    # Imported here, not at the top: an instance whose first events carry no phone never loads it
    # (about 0.1 G instructions of a cold start, bench/RESULTS.md).
    import phonenumbers

    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).removeprefix("+")


def gender(value: str) -> str | None:
    """'Either "f" or "m" or "n" for non-binary gender', from the usual words in any case."""
    return lookups.gender_code(value)


def birth_date(value: str) -> str | None:
    """'Date of birthday, given as year, month, and day': YYYYMMDD, and only for a real calendar date."""
    text = value.strip()
    iso = _ISO_DATE.match(text)
    dotted = None if iso else _DOTTED_DATE.fullmatch(text)
    if iso and (iso.end() == len(text) or _ISO_TIME.fullmatch(text, iso.end())):
        year, month, day = iso.group(1, 3, 4)
    elif dotted:
        day, month, year = dotted.groups()
    else:
        return None
    try:
        datetime.date(int(year), int(month), int(day))  # a real calendar date, or ValueError
    except ValueError:
        return None
    return f"{year}{month}{day}"


def name(value: str) -> str | None:
    """First or last name 'in lowercase', composed (NFC) so one spelling gives one hash."""
    return unicodedata.normalize("NFC", value.strip().lower()) or None


def city(value: str) -> str | None:
    """City 'in lowercase, and without spaces or punctuation', keeping every letter and digit."""
    return _letters_and_digits(value) or None


def state(value: str) -> str | None:
    """State 'given as a two-letter code in lowercase'; other regions without spaces or punctuation."""
    return lookups.state_code(value) or _letters_and_digits(value) or None


def country(value: str) -> str | None:
    """'Two-character ISO-3166 country code indicating the user's country, in lowercase.'"""
    return lookups.country_code(value)


def postal_code(value: str) -> str | None:
    """Zip code: US ZIP+4 cut to its five digits, others lower-case without spaces or dashes."""
    text = value.strip()
    us_zip = _US_ZIP.fullmatch(text)
    if us_zip:
        return us_zip.group(1)
    return _SPACES_AND_DASHES.sub("", text).lower() or None


def lower_trim(value: str) -> str | None:
    """External ids and mobile ad ids: trimmed and lower-cased, nothing else touched."""
    return value.strip().lower() or None


def language(value: str) -> str | None:
    """The two-letter ISO-639-1 code heading a language tag (en-US, en_gb); an unknown one is dropped."""
    head, *subtags = value.strip().replace("_", "-").split("-")
    if not all(tag.isascii() and tag.isalnum() for tag in subtags):
        return None
    return lookups.language_code(head)


def currency(value: str) -> str | None:
    """An ISO-4217 code in upper case; an unknown one (XYZ) is dropped."""
    return lookups.currency_code(value)


def is_sha256(value: str) -> bool:
    """Already a SHA-256 hex digest (64 hex characters, any case), so it must not be hashed again."""
    return len(value) >= 64 and SHA256_HEX.fullmatch(value.strip()) is not None


def is_digest(value: str) -> bool:
    """A digest as hash_field gives it (64 lower-case hex): all a hashed field may hold once built."""
    return len(value) == 64 and _DIGEST.fullmatch(value) is not None


def sha256_hex(value: str) -> str:
    """SHA-256 of the UTF-8 bytes, as lower-case hex: 'The string should be in the UTF-8 format.'"""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def hash_field(value: str, normalizer: Callable[[str], str | None]) -> str | None:
    """Blank → None; an existing digest passes through lower-cased; otherwise normalize, then hash."""
    text = value.strip()
    if not text:
        return None
    if is_sha256(text):
        return text.lower()
    normalized = normalizer(text)
    return sha256_hex(normalized) if normalized else None


def _letters_and_digits(value: str) -> str:
    """NFC, lower-case, and only Unicode letters, digits and their combining marks kept."""
    composed = unicodedata.normalize("NFC", value.lower())
    if composed.isascii():  # ASCII letters and digits are exactly its alphanumerics (no marks)
        return "".join(filter(str.isalnum, composed))
    return "".join(ch for ch in composed if unicodedata.category(ch)[0] in "LNM")
