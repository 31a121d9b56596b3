"""User-data normalizers and hashing against Pinterest's user_data rules."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from function.pipeline import normalize

EXAMPLE_EMAIL_SHA256 = "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"

# Every single-argument normalizer, for the properties they all share.
NORMALIZERS: dict[str, Callable[[str], str | None]] = {
    "email": normalize.email,
    "phone": normalize.phone,
    "gender": normalize.gender,
    "birth_date": normalize.birth_date,
    "name": normalize.name,
    "city": normalize.city,
    "state": normalize.state,
    "country": normalize.country,
    "postal_code": normalize.postal_code,
    "lower_trim": normalize.lower_trim,
    "language": normalize.language,
    "currency": normalize.currency,
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("User@Example.com", "user@example.com", id="an email is lower-cased"),
        pytest.param("  user@example.com\n", "user@example.com", id="surrounding whitespace is trimmed"),
        pytest.param("user @ example .com", "user@example.com", id="inner spaces are removed"),
        pytest.param("user\u00a0@example.com", "user@example.com", id="a no-break space is removed too"),
        pytest.param("ÜSER@example.com", "üser@example.com", id="non-ASCII letters are lower-cased"),
        pytest.param("not-an-email", None, id="a value without an at sign is refused"),
        pytest.param("@example.com", None, id="a value without a name is refused"),
        pytest.param("jane@", None, id="a value without a domain is refused"),
        pytest.param(" \t ", None, id="a blank email is dropped"),
    ],
)
def test_email(raw: str, expected: str | None) -> None:
    assert normalize.email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        pytest.param("0044 20 7946 0958", None, "442079460958", id="a 00 prefix is read as international"),
        pytest.param("+1 (650) 555-1212", None, "16505551212", id="a plus prefix keeps the country code"),
        pytest.param("+44 (0)20 7946 0958", None, "442079460958", id="a bracketed trunk zero is dropped"),
        pytest.param("(650) 555-1212", "US", "16505551212", id="a US national number gains its country code"),
        pytest.param("020 7946 0958", "gb", "442079460958", id="a UK national number loses its trunk zero"),
        pytest.param("+44 20 7946 0958", "US", "442079460958", id="a plus number ignores the region"),
        pytest.param("0044 20 7946 0958", "US", "442079460958", id="00 is international whatever the region"),
        pytest.param("+39 06 6982 1234", None, "390669821234", id="an Italian leading zero is kept"),
        pytest.param("(650) 555-1212", None, None, id="a national number without a region cannot be placed"),
        pytest.param("(650) 555-1212", "XX", None, id="an unknown region places nothing"),
        pytest.param("0650 555 1212", None, None, id="a trunk zero without a region cannot be placed"),
        pytest.param("12345", "US", None, id="an impossible number cannot be placed"),
        pytest.param("tel: n/a", "US", None, id="a value without digits is dropped"),
        pytest.param("000", None, None, id="only zeros is dropped"),
    ],
)
def test_phone(raw: str, region: str | None, expected: str | None) -> None:
    assert normalize.phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("F", "f", id="F is f"),
        pytest.param(" Female ", "f", id="Female with spaces is f"),
        pytest.param("male", "m", id="male is m"),
        pytest.param("Non-Binary", "n", id="Non-Binary is n"),
        pytest.param("x", None, id="an unknown code is dropped"),
        pytest.param("", None, id="an empty gender is dropped"),
    ],
)
def test_gender(raw: str, expected: str | None) -> None:
    assert normalize.gender(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("1990-05-17", "19900517", id="an ISO date loses its dashes"),
        pytest.param("1990/05/17", "19900517", id="a slashed year-first date loses its slashes"),
        pytest.param("19900517", "19900517", id="a compact date is kept"),
        pytest.param("17.05.1990", "19900517", id="a dotted day-first date is reordered"),
        pytest.param("1990-05-17T00:00:00Z", "19900517", id="an ISO datetime in UTC keeps its date"),
        pytest.param("1990-05-17 10:00:00+02:00", "19900517", id="a datetime with an offset keeps its date"),
        pytest.param("1990-05-17T23:30:00.000-05:00", "19900517", id="the date is never shifted to UTC"),
        pytest.param(" 1990-05-17 ", "19900517", id="surrounding spaces are trimmed"),
        pytest.param("2000-02-29", "20000229", id="a leap day in a leap year is real"),
        pytest.param("0999-01-02", "09990102", id="a year before 1000 keeps its four digits"),
        pytest.param("02.01.0999", "09990102", id="a dotted date before 1000 keeps its four digits"),
        pytest.param("1900-02-29", None, id="a leap day in a century year is not real"),
        pytest.param("1990-02-30", None, id="February 30 is not real"),
        pytest.param("1990-13-01", None, id="month 13 is not real"),
        pytest.param("1990-05/17", None, id="mixed separators are rejected"),
        pytest.param("05/17/1990", None, id="an ambiguous slashed day or month first date is rejected"),
        pytest.param("1990-05-17 lunch", None, id="trailing text is rejected"),
        pytest.param("1990-05-17T25:00:00Z", None, id="an impossible time is rejected"),
        pytest.param("yesterday", None, id="words are rejected"),
        pytest.param("", None, id="an empty date is dropped"),
    ],
)
def test_birth_date(raw: str, expected: str | None) -> None:
    assert normalize.birth_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(" John ", "john", id="a name is trimmed and lower-cased"),
        pytest.param("Mary Ann", "mary ann", id="an inner space is kept"),
        pytest.param("Jose\u0301", "jos\u00e9", id="a decomposed accent is composed"),
        pytest.param("ÉLODIE", "élodie", id="an accented capital is lower-cased"),
        pytest.param("   ", None, id="a blank name is dropped"),
    ],
)
def test_name(raw: str, expected: str | None) -> None:
    assert normalize.name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Menlo Park", "menlopark", id="Menlo Park loses its space"),
        pytest.param("St. Louis", "stlouis", id="St. Louis loses its dot and space"),
        pytest.param("São Paulo", "sãopaulo", id="São Paulo keeps its accent"),
        pytest.param("Sa\u0303o Paulo", "sãopaulo", id="a decomposed accent is composed"),
        pytest.param("Winston-Salem", "winstonsalem", id="a hyphen is punctuation"),
        pytest.param("München", "münchen", id="an umlaut is a letter"),
        pytest.param("東京", "東京", id="letters of other scripts are kept"),
        pytest.param("मुंबई", "मुंबई", id="combining vowel signs are kept"),
        pytest.param("29 Palms", "29palms", id="digits are kept"),
        pytest.param("--", None, id="only punctuation is dropped"),
    ],
)
def test_city(raw: str, expected: str | None) -> None:
    assert normalize.city(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("California", "ca", id="a US state name becomes its code"),
        pytest.param("new york", "ny", id="a lower-case state name becomes its code"),
        pytest.param("NY", "ny", id="a two-letter code is lower-cased"),
        pytest.param(" tx ", "tx", id="a code with spaces is trimmed"),
        pytest.param("Ontario", "on", id="a Canadian province becomes its code"),
        pytest.param("Île-de-France", "îledefrance", id="other regions lose spaces and punctuation"),
        pytest.param(".", None, id="only punctuation is dropped"),
    ],
)
def test_state(raw: str, expected: str | None) -> None:
    assert normalize.state(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("USA", "us", id="USA is us"),
        pytest.param("United States", "us", id="United States is us"),
        pytest.param("DE", "de", id="an upper-case code is lower-cased"),
        pytest.param(" gb ", "gb", id="a code with spaces is trimmed"),
        pytest.param("Narnia", None, id="an unknown country is dropped"),
        pytest.param("Frankreich", "fr", id="a German name of France is fr"),
        pytest.param("Allemagne", "de", id="a French name of Germany is de"),
        pytest.param("Estados Unidos", "us", id="a Spanish name of the United States is us"),
        pytest.param("Royaume-Uni", "gb", id="a French name of the United Kingdom is gb"),
        pytest.param("ZZ", None, id="an unassigned code is dropped"),
    ],
)
def test_country(raw: str, expected: str | None) -> None:
    assert normalize.country(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("94025", "94025", id="a five-digit ZIP is kept"),
        pytest.param("94025-1234", "94025", id="ZIP+4 keeps its first five digits"),
        pytest.param("94025 1234", "94025", id="ZIP+4 with a space keeps its first five digits"),
        pytest.param("SW1A 1AA", "sw1a1aa", id="a UK postcode is lower-cased without its space"),
        pytest.param("K1A 0B1", "k1a0b1", id="a Canadian postcode is lower-cased without its space"),
        pytest.param("1234-567", "1234567", id="a Portuguese code loses its dash"),
        pytest.param("01067", "01067", id="a leading zero is kept"),
        pytest.param(" - ", None, id="only a dash is dropped"),
    ],
)
def test_postal_code(raw: str, expected: str | None) -> None:
    assert normalize.postal_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(" User-42 ", "user-42", id="an external id is trimmed and lower-cased"),
        pytest.param("6D92078A-8246-4BA4-AE5B-76104861E7DC", "6d92078a-8246-4ba4-ae5b-76104861e7dc",
                     id="an IDFA is lower-cased"),
        pytest.param("", None, id="an empty id is dropped"),
    ],
)
def test_lower_trim(raw: str, expected: str | None) -> None:
    assert normalize.lower_trim(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("en", "en", id="en is en"),
        pytest.param("en-US", "en", id="a region subtag is dropped"),
        pytest.param("en_gb", "en", id="an underscore separator is accepted"),
        pytest.param("EN", "en", id="an upper-case code is lower-cased"),
        pytest.param("zh-Hant-TW", "zh", id="several subtags are dropped"),
        pytest.param("eng", None, id="a three-letter code is not ISO-639-1"),
        pytest.param("english", None, id="a language name is rejected"),
        pytest.param("en-", None, id="a dangling separator is rejected"),
        pytest.param("xx", None, id="two letters that are no ISO-639-1 code are rejected"),
        pytest.param("zz-US", None, id="a tag headed by no ISO-639-1 code is rejected"),
        pytest.param("pt_BR", "pt", id="an underscore tag keeps its ISO-639-1 head"),
    ],
)
def test_language(raw: str, expected: str | None) -> None:
    assert normalize.language(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("usd", "USD", id="usd is upper-cased"),
        pytest.param(" EUR ", "EUR", id="a code with spaces is trimmed"),
        pytest.param("US", None, id="two letters are rejected"),
        pytest.param("US$", None, id="a symbol is rejected"),
        pytest.param("ÉUR", None, id="non-ASCII letters are rejected"),
        pytest.param("XYZ", None, id="three letters that are no ISO-4217 code are rejected"),
        pytest.param("abc", None, id="a lower-case non-code is rejected"),
        pytest.param("chf", "CHF", id="any ISO-4217 code passes upper-cased"),
    ],
)
def test_currency(raw: str, expected: str | None) -> None:
    assert normalize.currency(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(EXAMPLE_EMAIL_SHA256, True, id="a lower-case digest is a digest"),
        pytest.param(EXAMPLE_EMAIL_SHA256.upper(), True, id="an upper-case digest is a digest"),
        pytest.param(f"  {EXAMPLE_EMAIL_SHA256}\n", True, id="surrounding whitespace is ignored"),
        pytest.param(EXAMPLE_EMAIL_SHA256[:-1], False, id="63 hex characters are not a digest"),
        pytest.param(EXAMPLE_EMAIL_SHA256 + "0", False, id="65 hex characters are not a digest"),
        pytest.param(EXAMPLE_EMAIL_SHA256[:-1] + "g", False, id="a non-hex character is not a digest"),
    ],
)
def test_is_sha256(raw: str, expected: bool) -> None:
    assert normalize.is_sha256(raw) is expected


def test_sha256_hex_of_the_example_email() -> None:
    assert normalize.sha256_hex("user@example.com") == EXAMPLE_EMAIL_SHA256


def test_sha256_hex_hashes_utf8_bytes() -> None:
    assert normalize.sha256_hex("sãopaulo") == hashlib.sha256("sãopaulo".encode()).hexdigest()


@pytest.mark.parametrize(
    ("raw", "normalizer", "expected"),
    [
        pytest.param(" User@Example.com ", normalize.email, EXAMPLE_EMAIL_SHA256,
                     id="an email is normalized then hashed"),
        pytest.param(EXAMPLE_EMAIL_SHA256.upper(), normalize.email, EXAMPLE_EMAIL_SHA256,
                     id="an upper-case digest passes through lower-cased"),
        pytest.param(f" {EXAMPLE_EMAIL_SHA256} ", normalize.country, EXAMPLE_EMAIL_SHA256,
                     id="a digest is never re-normalized, even where the normalizer would drop it"),
        pytest.param("   ", normalize.email, None, id="a blank value is dropped"),
        pytest.param("Narnia", normalize.country, None, id="a value the normalizer drops is not hashed"),
        pytest.param("USA", normalize.country, hashlib.sha256(b"us").hexdigest(),
                     id="the normalized value is what is hashed"),
    ],
)
def test_hash_field(raw: str, normalizer: Callable[[str], str | None], expected: str | None) -> None:
    assert normalize.hash_field(raw, normalizer) == expected


@pytest.mark.parametrize(
    "normalizer", NORMALIZERS.values(), ids=[f"{n} is trimmed or None" for n in NORMALIZERS]
)
@given(raw=st.text())
def test_every_normalizer_returns_none_or_trimmed_text(
    normalizer: Callable[[str], str | None], raw: str
) -> None:
    result = normalizer(raw)
    assert result is None or (isinstance(result, str) and result and result == result.strip())


@given(raw=st.text(), region=st.sampled_from([None, "US", "gb", "de", "XX", ""]))
def test_phone_is_none_or_digits_without_a_leading_zero(raw: str, region: str | None) -> None:
    result = normalize.phone(raw, region)
    assert result is None or (result.isascii() and result.isdigit() and not result.startswith("0"))


@pytest.mark.parametrize(
    "normalizer", NORMALIZERS.values(), ids=[f"hashing with {n} is a digest or None" for n in NORMALIZERS]
)
@given(raw=st.text() | st.from_regex(r"[0-9a-fA-F]{64}", fullmatch=True))
def test_hash_field_is_none_or_a_lower_hex_digest(normalizer: Callable[[str], str | None], raw: str) -> None:
    result = normalize.hash_field(raw, normalizer)
    assert result is None or (normalize.SHA256_HEX.fullmatch(result) is not None and result == result.lower())
