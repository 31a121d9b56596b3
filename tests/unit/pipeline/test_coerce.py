"""Coercion of JSON values: what each coercer accepts, what it calls empty, and what it refuses."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from function.pipeline import coerce

NAN = float("nan")
INF = float("inf")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, True, id="None is empty"),
        pytest.param("", True, id="an empty string is empty"),
        pytest.param(" \t\n", True, id="a whitespace-only string is empty"),
        pytest.param("undefined", True, id="the string undefined is empty"),
        pytest.param(" NULL ", True, id="the string null in any case is empty"),
        pytest.param([], True, id="an empty list is empty"),
        pytest.param({}, True, id="an empty object is empty"),
        pytest.param(0, False, id="zero is a value"),
        pytest.param(False, False, id="false is a value"),
        pytest.param("0", False, id="the string 0 is a value"),
        pytest.param("nullable", False, id="a word starting with null is a value"),
        pytest.param([None], False, id="a list holding None is a value"),
    ],
)
def test_is_empty(value: Any, expected: bool) -> None:
    assert coerce.is_empty(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(" abc ", "abc", id="a string is trimmed"),
        pytest.param("Ünïcödé", "Ünïcödé", id="unicode text is kept as is"),
        pytest.param(42, "42", id="an int becomes its digits"),
        pytest.param(42.0, "42", id="an integral float has no trailing .0"),
        pytest.param(59.97, "59.97", id="a float reads as typed"),
        pytest.param(1e-7, "0.0000001", id="a small float has no exponent"),
        pytest.param("undefined", None, id="a placeholder string is empty"),
        pytest.param(None, None, id="None is empty"),
    ],
)
def test_to_text(value: Any, expected: str | None) -> None:
    assert coerce.to_text(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(True, id="true is not text"),
        pytest.param(["a"], id="a list is not text"),
        pytest.param({"a": 1}, id="an object is not text"),
        pytest.param(NAN, id="NaN is not text"),
        pytest.param(INF, id="infinity is not text"),
    ],
)
def test_to_text_refuses(value: Any) -> None:
    with pytest.raises(ValueError, match="must be"):
        coerce.to_text(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(3, 3, id="an int is kept"),
        pytest.param(-3, -3, id="a negative int is kept"),
        pytest.param(3.0, 3, id="an integral float becomes an int"),
        pytest.param("3", 3, id="a numeric string becomes an int"),
        pytest.param(" 3 ", 3, id="a numeric string with spaces becomes an int"),
        pytest.param("3.0", 3, id="an integral decimal string becomes an int"),
        pytest.param("", None, id="an empty string is empty"),
        pytest.param(2**63 - 1, 2**63 - 1, id="the largest int64 is kept"),
        pytest.param(-(2**63), -(2**63), id="the smallest int64 is kept"),
    ],
)
def test_to_int(value: Any, expected: int | None) -> None:
    assert coerce.to_int(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(True, id="true is not an int"),
        pytest.param(3.5, id="a fractional float is not an int"),
        pytest.param("3.5", id="a fractional string is not an int"),
        pytest.param(NAN, id="NaN is not an int"),
        pytest.param(INF, id="infinity is not an int"),
        pytest.param("three", id="a word is not an int"),
        pytest.param([3], id="a list is not an int"),
        pytest.param(2**63, id="an int beyond int64 is refused"),
        pytest.param(-(2**63) - 1, id="an int below int64 is refused"),
    ],
)
def test_to_int_refuses(value: Any) -> None:
    with pytest.raises(ValueError, match="must be"):
        coerce.to_int(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(True, True, id="true is true"),
        pytest.param(False, False, id="false is false"),
        pytest.param(1, True, id="1 is true"),
        pytest.param(0, False, id="0 is false"),
        pytest.param("TRUE", True, id="the word TRUE is true"),
        pytest.param(" false ", False, id="the word false with spaces is false"),
        pytest.param("1", True, id="the string 1 is true"),
        pytest.param("0", False, id="the string 0 is false"),
        pytest.param("Yes", True, id="Yes is true"),
        pytest.param("no", False, id="no is false"),
        pytest.param("On", True, id="On is true"),
        pytest.param(" off ", False, id="off is false"),
        pytest.param("null", None, id="the string null is empty"),
    ],
)
def test_to_bool(value: Any, expected: bool | None) -> None:
    assert coerce.to_bool(value) is expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(2, id="2 is not a switch"),
        pytest.param(1.5, id="a float is not a switch"),
        pytest.param("maybe", id="maybe is not a switch"),
        pytest.param(["true"], id="a list is not a switch"),
    ],
)
def test_to_bool_refuses(value: Any) -> None:
    with pytest.raises(ValueError, match="must be true or false"):
        coerce.to_bool(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(40, "40", id="an int is written plainly"),
        pytest.param(40.0, "40", id="an integral float has no .0"),
        pytest.param(59.97, "59.97", id="a float has no binary noise"),
        pytest.param(0.1 + 0.2, "0.30000000000000004", id="a float sum keeps the digits Python shows"),
        pytest.param("59.970", "59.97", id="trailing zeros are dropped"),
        pytest.param(1e3, "1000", id="a float with an exponent is written out"),
        pytest.param("1E3", "1000", id="a string with an exponent is written out"),
        pytest.param(1e20, "100000000000000000000", id="a large float has no exponent"),
        pytest.param(-12.5, "-12.5", id="a negative number is allowed"),
        pytest.param("-0.0", "0", id="negative zero is zero"),
        pytest.param(".5", "0.5", id="a leading dot gains a zero"),
        pytest.param(" 7 ", "7", id="a numeric string is trimmed"),
        pytest.param("", None, id="an empty string is empty"),
        pytest.param("12,50", "12.5", id="a decimal comma before two digits is read"),
        pytest.param("0,5", "0.5", id="a decimal comma before one digit is read"),
        pytest.param("-3,1415", "-3.1415", id="a decimal comma before four digits is read"),
        pytest.param("1.234,56", "1234.56", id="dots grouping thousands before a decimal comma are read"),
        pytest.param("1,234.56", "1234.56", id="commas grouping thousands before a decimal point are read"),
        pytest.param("1,234,567", "1234567", id="several comma groups are thousands"),
        pytest.param("1.234.567", "1234567", id="several dot groups are thousands"),
        pytest.param("1.234", "1.234", id="one dot is a decimal point, as in JSON"),
    ],
)
def test_to_decimal_string(value: Any, expected: str | None) -> None:
    assert coerce.to_decimal_string(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("1,000", id="a comma before three digits is ambiguous"),
        pytest.param("1.2.3", id="dots that do not group thousands are refused"),
        pytest.param("1.23,4", id="a decimal comma after a group that is not three digits is refused"),
        pytest.param("12,50 €", id="a currency sign after the number is refused"),
        pytest.param("$10", id="a currency symbol is refused"),
        pytest.param(NAN, id="NaN is refused"),
        pytest.param(-INF, id="negative infinity is refused"),
        pytest.param("NaN", id="the string NaN is refused"),
        pytest.param("Infinity", id="the string Infinity is refused"),
        pytest.param("1_000", id="an underscore separator is refused"),
        pytest.param("\u0663", id="non-ASCII digits are refused"),
        pytest.param(True, id="true is not a number"),
        pytest.param({"value": 1}, id="an object is not a number"),
    ],
)
def test_to_decimal_string_refuses(value: Any) -> None:
    with pytest.raises(ValueError, match=r"must be|is ambiguous"):
        coerce.to_decimal_string(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(3, Decimal(3), id="an int is exact"),
        pytest.param(19.99, Decimal("19.99"), id="a float is read as printed"),
        pytest.param("19.99", Decimal("19.99"), id="a numeric string is exact"),
    ],
)
def test_parse_number(value: Any, expected: Decimal) -> None:
    assert coerce.parse_number(value) == expected


def test_parse_number_sums_prices_without_float_noise() -> None:
    assert sum(map(coerce.parse_number, [19.99, 0.01, "10.10"])) == Decimal("30.10")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="None is not a number"),
        pytest.param("", id="an empty string is not a number"),
        pytest.param(False, id="false is not a number"),
    ],
)
def test_parse_number_refuses(value: Any) -> None:
    with pytest.raises(ValueError, match="must be"):
        coerce.parse_number(value)


def test_errors_never_echo_the_value() -> None:
    with pytest.raises(ValueError, match="must be") as caught:
        coerce.to_int("secret@example.com")
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(Decimal("40.00"), "40", id="trailing zeros and the dot go"),
        pytest.param(Decimal("1E+3"), "1000", id="a positive exponent is written out"),
        pytest.param(Decimal("1.5E-3"), "0.0015", id="a negative exponent is written out"),
        pytest.param(Decimal("-0"), "0", id="negative zero is zero"),
        pytest.param(Decimal("100"), "100", id="zeros of an integer stay"),
    ],
)
def test_format_decimal(value: Decimal, expected: str) -> None:
    assert coerce.format_decimal(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(["a", " b "], ["a", "b"], id="a list keeps its trimmed texts"),
        pytest.param(["a", "", None, "undefined"], ["a"], id="empty elements are dropped"),
        pytest.param([1, 2.5], ["1", "2.5"], id="numbers in a list become text"),
        pytest.param('["a","b"]', ["a", "b"], id="a JSON array string is read"),
        pytest.param(' [ "a" , 2 ] ', ["a", "2"], id="a JSON array string with spaces is read"),
        pytest.param("a, b,c", ["a", "b", "c"], id="a comma list is split and trimmed"),
        pytest.param("a,,b,", ["a", "b"], id="empty comma items are dropped"),
        pytest.param("single", ["single"], id="a single string is a list of one"),
        pytest.param(7, ["7"], id="a single number is a list of one"),
        pytest.param(" , ", None, id="only commas is empty"),
        pytest.param("[]", None, id="an empty JSON array is empty"),
        pytest.param([None, ""], None, id="a list of empties is empty"),
        pytest.param("null", None, id="a placeholder string is empty"),
    ],
)
def test_to_string_list(value: Any, expected: list[str] | None) -> None:
    assert coerce.to_string_list(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param('["a",', id="a broken JSON array is refused"),
        pytest.param([["a"]], id="a nested list is refused"),
        pytest.param([True], id="a boolean element is refused"),
        pytest.param({"a": "b"}, id="an object is refused"),
    ],
)
def test_to_string_list_refuses(value: Any) -> None:
    with pytest.raises(ValueError, match="must be"):
        coerce.to_string_list(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param([{"id": "sku"}], [{"id": "sku"}], id="a list is returned as is"),
        pytest.param('[{"id": "sku", "item_price": "9.99"}]', [{"id": "sku", "item_price": "9.99"}],
                     id="a JSON string holding a list is parsed"),
        pytest.param("[]", None, id="an empty JSON array is empty"),
        pytest.param([], None, id="an empty list is empty"),
        pytest.param("undefined", None, id="a placeholder string is empty"),
    ],
)
def test_to_json_list(value: Any, expected: list[Any] | None) -> None:
    assert coerce.to_json_list(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param('{"id": "sku"}', id="a JSON object string is refused"),
        pytest.param("not json", id="a non-JSON string is refused"),
        pytest.param({"id": "sku"}, id="an object is refused"),
        pytest.param(3, id="a number is refused"),
    ],
)
def test_to_json_list_refuses(value: Any) -> None:
    with pytest.raises(ValueError, match="must be"):
        coerce.to_json_list(value)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3),
    max_leaves=6,
)
COERCERS = {
    "to_text": coerce.to_text,
    "to_int": coerce.to_int,
    "to_bool": coerce.to_bool,
    "to_decimal_string": coerce.to_decimal_string,
    "to_string_list": coerce.to_string_list,
    "to_json_list": coerce.to_json_list,
}


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_finite_float_round_trips_through_its_decimal_string(value: float) -> None:
    text = coerce.to_decimal_string(value)
    assert text is not None
    assert "e" not in text.lower()
    assert float(text) == value


@pytest.mark.parametrize(
    "coercer", COERCERS.values(), ids=[f"{name} gives None or a value, else ValueError" for name in COERCERS]
)
@given(value=JSON_VALUES)
def test_coercers_give_none_or_a_value_and_raise_only_value_error(
    coercer: Callable[[Any], Any], value: Any
) -> None:
    with contextlib.suppress(ValueError):
        result = coercer(value)
        assert result is None or not coerce.is_empty(result)


@given(st.one_of(st.from_regex(r"[0-9]{1,16}(\.[0-9]{1,16})?", fullmatch=True),
                 st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str)))
def test_a_decimal_string_kept_as_given_is_what_the_full_parse_gives(text: str) -> None:
    # to_decimal_string returns strings already in plain form untouched; anything it keeps must
    # equal the full parse-and-format, or the string was not plain after all.
    expected = coerce.format_decimal(coerce.parse_number(text)) if coerce._NUMBER.fullmatch(text) else None
    if coerce._PLAIN_DECIMAL.fullmatch(text):
        assert expected == text
    with contextlib.suppress(ValueError):
        assert coerce.to_decimal_string(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(1_700_000_000, 1_700_000_000, id="seconds stay seconds"),
        pytest.param("1700000000", 1_700_000_000, id="a numeric string is read as seconds"),
        pytest.param(" 1700000000 ", 1_700_000_000, id="a padded numeric string is read"),
        pytest.param(1_700_000_000.9, 1_700_000_000, id="fractional seconds are truncated"),
        pytest.param(1_700_000_000_123, 1_700_000_000, id="milliseconds are converted to seconds"),
        pytest.param("1700000000123", 1_700_000_000, id="milliseconds in a string are converted"),
        pytest.param(1.700000000123e12, 1_700_000_000, id="milliseconds as a float are converted"),
        pytest.param(99_999_999_999, 99_999_999_999, id="just under 1e11 is still seconds"),
        pytest.param(100_000_000_000, 100_000_000, id="1e11 and above is milliseconds"),
        pytest.param(0, 0, id="zero is the epoch"),
        pytest.param(None, None, id="null is dropped"),
        pytest.param("", None, id="an empty string is dropped"),
        pytest.param("undefined", None, id="a tag manager placeholder is dropped"),
        pytest.param("2023-11-14T22:13:20Z", 1_700_000_000, id="an ISO-8601 time in UTC"),
        pytest.param("2023-11-15T00:13:20.9+02:00", 1_700_000_000, id="an ISO-8601 time with an offset"),
        pytest.param(" 2023-11-14 22:13:20z ", 1_700_000_000, id="an RFC 3339 time with a space, padded"),
    ],
)
def test_unix_seconds(value: Any, expected: int | None) -> None:
    assert coerce.unix_seconds(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(-1, r"^must be a Unix time in seconds$", id="a negative time is refused"),
        pytest.param(
            "-1700000000000", r"^must be a Unix time in seconds$", id="a negative millisecond time is refused"
        ),
        pytest.param("yesterday", r"^must be a Unix time in seconds or an ISO-8601", id="words are refused"),
        pytest.param("2024-01-01T00:00:00", r"without a timezone", id="a time without a zone is refused"),
        pytest.param(True, r"^must be a number, not true or false", id="a boolean is refused"),
        pytest.param([1_700_000_000], r"^must be a number", id="a list is refused"),
        pytest.param(float("nan"), r"^must be a finite number$", id="NaN is refused"),
    ],
)
def test_unix_seconds_refuses(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        coerce.unix_seconds(value)


@pytest.mark.parametrize(
    ("normalizer", "value", "expected"),
    [
        pytest.param(coerce.to_text, " abc ", "abc", id="text is trimmed"),
        pytest.param(coerce.to_text, 12.50, "12.5", id="a number becomes text in plain notation"),
        pytest.param(coerce.to_text, "null", None, id="a null placeholder is dropped as text"),
        pytest.param(coerce.to_int, "7", 7, id="an integer field reads a numeric string"),
        pytest.param(coerce.to_int, 7.0, 7, id="an integer field reads an integral float"),
        pytest.param(coerce.to_int, "", None, id="an empty integer is dropped"),
        pytest.param(coerce.to_bool, "yes", True, id="a boolean field reads yes"),
        pytest.param(coerce.to_bool, 0, False, id="a boolean field reads 0"),
        pytest.param(coerce.to_bool, None, None, id="an empty boolean is dropped"),
        pytest.param(coerce.to_decimal_string, 59.97, "59.97", id="money is a decimal string"),
        pytest.param(coerce.to_decimal_string, "100.00", "100", id="money loses trailing zeros"),
        pytest.param(coerce.to_decimal_string, "-0", "0", id="negative zero money is zero"),
        pytest.param(coerce.to_decimal_string, "undefined", None, id="empty money is dropped"),
        pytest.param(coerce.to_string_list, ["a", 1, ""], ["a", "1"], id="a list of ids becomes texts"),
        pytest.param(
            coerce.to_string_list, '["a", "b"]', ["a", "b"], id="a JSON array string of ids is read"
        ),
        pytest.param(coerce.to_string_list, "a, b,,c", ["a", "b", "c"], id="a comma list of ids is split"),
        pytest.param(coerce.to_string_list, "A1", ["A1"], id="a single id becomes a list"),
        pytest.param(coerce.to_string_list, [], None, id="an empty id list is dropped"),
    ],
)
def test_scalar_normalizers(normalizer: Any, value: Any, expected: Any) -> None:
    assert normalizer(value) == expected


@pytest.mark.parametrize(
    ("normalizer", "value", "message"),
    [
        pytest.param(coerce.to_text, True, r"^must be text or a number$", id="a boolean is not text"),
        pytest.param(coerce.to_int, "1.5", r"^must be a whole number$", id="a fraction is not an integer"),
        pytest.param(coerce.to_bool, "maybe", r"^must be true or false$", id="maybe is not a boolean"),
        pytest.param(
            coerce.to_decimal_string,
            "1,000",
            r"^is ambiguous: a comma before three digits",
            id="a lone comma before three digits is ambiguous in money",
        ),
        pytest.param(
            coerce.to_decimal_string, "Infinity", r"^must be a number", id="Infinity is refused in money"
        ),
        pytest.param(
            coerce.to_string_list,
            '[{"a": 1}]',
            r"^must be text or a number$",
            id="objects inside an id list are refused",
        ),
        pytest.param(
            coerce.to_string_list,
            "[1, 2",
            r"^must be a valid JSON array$",
            id="a broken JSON array of ids is refused",
        ),
    ],
)
def test_scalar_normalizers_refuse(normalizer: Any, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalizer(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(" EN-us ", "en", id="text_then applies the normalizer to trimmed text"),
        pytest.param("", None, id="text_then drops empty values before the normalizer"),
        pytest.param("123", None, id="text_then returns what the normalizer returns"),
    ],
)
def test_text_then(value: Any, expected: str | None) -> None:
    seen: list[str] = []

    def language(raw: str) -> str | None:
        seen.append(raw)
        return raw[:2].lower() if raw[:2].isalpha() else None

    normalizer = coerce.text_then(language)
    assert normalizer(value) == expected
    assert normalizer.__name__ == "language"
    assert seen == ([] if expected is None and not value else [value.strip()])


def test_a_deeply_nested_id_list_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="JSON array"):
        coerce.to_string_list("[" * 100_000)
