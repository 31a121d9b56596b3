"""Normalizers for Pinterest's non-hashed fields: any JSON value in, Pinterest's type out."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from function.pipeline import typed


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
    ],
)
def test_unix_seconds(value: Any, expected: int | None) -> None:
    assert typed.unix_seconds(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(-1, r"^must be a Unix time in seconds$", id="a negative time is refused"),
        pytest.param(
            "-1700000000000", r"^must be a Unix time in seconds$", id="a negative millisecond time is refused"
        ),
        pytest.param("yesterday", r"^must be a number", id="words are refused"),
        pytest.param("2024-01-01T00:00:00Z", r"^must be a number", id="an ISO date is refused"),
        pytest.param(True, r"^must be a number, not true or false", id="a boolean is refused"),
        pytest.param([1_700_000_000], r"^must be a number", id="a list is refused"),
        pytest.param(float("nan"), r"^must be a finite number$", id="NaN is refused"),
    ],
)
def test_unix_seconds_refuses(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        typed.unix_seconds(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            [
                {
                    "id": "A1",
                    "item_price": 10,
                    "quantity": 2,
                    "item_name": "Shoe",
                    "item_brand": "Acme",
                    "item_category": "Shoes",
                }
            ],
            [
                {
                    "id": "A1",
                    "item_price": "10",
                    "quantity": 2,
                    "item_name": "Shoe",
                    "item_brand": "Acme",
                    "item_category": "Shoes",
                }
            ],
            id="all allowed keys are kept and typed",
        ),
        pytest.param(
            [{"id": "A1", "price": 10, "item_variant": "red", "extra": {"x": 1}}],
            [{"id": "A1", "quantity": 1}],
            id="keys Pinterest does not allow are dropped",
        ),
        pytest.param([{"id": "A1"}], [{"id": "A1", "quantity": 1}], id="quantity defaults to 1"),
        pytest.param([{"id": 123}], [{"id": "123", "quantity": 1}], id="a numeric id becomes text"),
        pytest.param([{"id": " A1 "}], [{"id": "A1", "quantity": 1}], id="text values are trimmed"),
        pytest.param(
            [{"item_price": 59.970}],
            [{"item_price": "59.97", "quantity": 1}],
            id="the price is a decimal string without trailing zeros",
        ),
        pytest.param(
            [{"item_price": 0.1}], [{"item_price": "0.1", "quantity": 1}], id="the price has no float noise"
        ),
        pytest.param(
            [{"item_price": "1e3"}], [{"item_price": "1000", "quantity": 1}], id="the price has no exponent"
        ),
        pytest.param([{"quantity": "3"}], [{"quantity": 3}], id="a numeric string quantity is an int"),
        pytest.param([{"quantity": 2.0}], [{"quantity": 2}], id="an integral float quantity is an int"),
        pytest.param(
            [{"id": "", "item_name": None, "quantity": "undefined"}],
            [{"quantity": 1}],
            id="empty values are dropped",
        ),
        pytest.param(
            '[{"id": "A1", "item_price": "5"}]',
            [{"id": "A1", "item_price": "5", "quantity": 1}],
            id="a JSON array string is read",
        ),
        pytest.param(
            [{"id": "A"}, {"id": "B", "quantity": 4}],
            [{"id": "A", "quantity": 1}, {"id": "B", "quantity": 4}],
            id="every item is typed in order",
        ),
        pytest.param([], None, id="an empty list is dropped"),
        pytest.param(None, None, id="null is dropped"),
    ],
)
def test_contents(value: Any, expected: list[dict[str, Any]] | None) -> None:
    assert typed.contents(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(
            ["A1"], r"^\[0\] must be an object$", id="an item that is not an object names its index"
        ),
        pytest.param([{"id": "A"}, 5], r"^\[1\] must be an object$", id="the index of the bad item is named"),
        pytest.param(
            [{"item_price": "ten"}],
            r"^\[0\]\.item_price must be a number",
            id="a bad price names the index and key",
        ),
        pytest.param(
            [{"id": "A"}, {"quantity": 1.5}],
            r"^\[1\]\.quantity must be a whole number$",
            id="a fractional quantity names the index and key",
        ),
        pytest.param(
            [{"id": True}], r"^\[0\]\.id must be text or a number$", id="a boolean id names the key"
        ),
        pytest.param(
            [{"item_name": ["x"]}],
            r"^\[0\]\.item_name must be text or a number$",
            id="a list name names the key",
        ),
        pytest.param(
            {"id": "A1"}, r"^must be a list or a JSON array$", id="an object instead of a list is refused"
        ),
        pytest.param("not json", r"^must be a valid JSON array$", id="a string that is not JSON is refused"),
        pytest.param('{"id": "A1"}', r"^must be a JSON array$", id="a JSON object string is refused"),
    ],
)
def test_contents_refuses_naming_the_index_and_key(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        typed.contents(value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("[]", id="an empty JSON array string is dropped"),
        pytest.param(" [ ] ", id="a padded empty JSON array string is dropped"),
    ],
)
def test_contents_drops_an_empty_json_array_string(value: str) -> None:
    assert typed.contents(value) is None


@pytest.mark.parametrize(
    "normalizer",
    [
        pytest.param(typed.contents, id="deeply nested contents are refused with a ValueError"),
        pytest.param(typed.string_list, id="deeply nested content ids are refused with a ValueError"),
    ],
)
def test_deeply_nested_json_strings_are_value_errors(normalizer: Any) -> None:
    with pytest.raises(ValueError, match="JSON array"):
        normalizer("[" * 100_000)


@pytest.mark.parametrize(
    ("normalizer", "value", "expected"),
    [
        pytest.param(typed.text, " abc ", "abc", id="text is trimmed"),
        pytest.param(typed.text, 12.50, "12.5", id="a number becomes text in plain notation"),
        pytest.param(typed.text, "null", None, id="a null placeholder is dropped as text"),
        pytest.param(typed.integer, "7", 7, id="an integer field reads a numeric string"),
        pytest.param(typed.integer, 7.0, 7, id="an integer field reads an integral float"),
        pytest.param(typed.integer, "", None, id="an empty integer is dropped"),
        pytest.param(typed.boolean, "yes", True, id="a boolean field reads yes"),
        pytest.param(typed.boolean, 0, False, id="a boolean field reads 0"),
        pytest.param(typed.boolean, None, None, id="an empty boolean is dropped"),
        pytest.param(typed.decimal, 59.97, "59.97", id="money is a decimal string"),
        pytest.param(typed.decimal, "100.00", "100", id="money loses trailing zeros"),
        pytest.param(typed.decimal, "-0", "0", id="negative zero money is zero"),
        pytest.param(typed.decimal, "undefined", None, id="empty money is dropped"),
        pytest.param(typed.string_list, ["a", 1, ""], ["a", "1"], id="a list of ids becomes texts"),
        pytest.param(typed.string_list, '["a", "b"]', ["a", "b"], id="a JSON array string of ids is read"),
        pytest.param(typed.string_list, "a, b,,c", ["a", "b", "c"], id="a comma list of ids is split"),
        pytest.param(typed.string_list, "A1", ["A1"], id="a single id becomes a list"),
        pytest.param(typed.string_list, [], None, id="an empty id list is dropped"),
    ],
)
def test_scalar_normalizers(normalizer: Any, value: Any, expected: Any) -> None:
    assert normalizer(value) == expected


@pytest.mark.parametrize(
    ("normalizer", "value", "message"),
    [
        pytest.param(typed.text, True, r"^must be text or a number$", id="a boolean is not text"),
        pytest.param(typed.integer, "1.5", r"^must be a whole number$", id="a fraction is not an integer"),
        pytest.param(typed.boolean, "maybe", r"^must be true or false$", id="maybe is not a boolean"),
        pytest.param(
            typed.decimal, "1,000", r"^must be a number", id="thousands separators are refused in money"
        ),
        pytest.param(typed.decimal, "Infinity", r"^must be a number", id="Infinity is refused in money"),
        pytest.param(
            typed.string_list,
            '[{"a": 1}]',
            r"^must be text or a number$",
            id="objects inside an id list are refused",
        ),
        pytest.param(
            typed.string_list,
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

    normalizer = typed.text_then(language)
    assert normalizer(value) == expected
    assert normalizer.__name__ == "language"
    assert seen == ([] if expected is None and not value else [value.strip()])


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.lists(st.integers(), max_size=2)
)
_ITEMS = st.lists(
    st.dictionaries(
        st.sampled_from(["id", "item_price", "quantity", "item_name", "price", "extra"]), _SCALARS
    )
    | _SCALARS,
    max_size=5,
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(value=_ITEMS)
def test_contents_gives_allowed_keys_only_or_a_value_error(value: list[Any]) -> None:
    try:
        found = typed.contents(value)
    except ValueError as exc:
        problem = str(exc)
    else:
        problem = None
    if problem is not None:
        assert problem.startswith("["), "a bad item names its index"
        return
    for content in found or ():
        assert set(content) <= {"id", "item_price", "quantity", "item_name", "item_brand", "item_category"}
        assert type(content["quantity"]) is int
        assert all(isinstance(content[key], str) for key in set(content) - {"quantity"})
