"""Values computed from a GA4 event: e-commerce items, contents, totals and the epik click id."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from function.pipeline import coerce, derive

TWO_ITEMS = {
    "items": [
        {
            "item_id": "A1",
            "price": 10,
            "quantity": 2,
            "item_name": "Shoe",
            "item_brand": "Acme",
            "item_category": "Shoes",
        },
        {"item_id": "B2", "price": 5.5, "item_name": "Sock"},
    ]
}


def _derived(event: dict[str, Any], source: derive.Derived) -> Any:
    """One derived value, computed as the build computes it: all of them in one pass."""
    return derive.values(event).get(source.name)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param({"items": [{"item_id": "a"}]}, [{"item_id": "a"}], id="items are read from items"),
        pytest.param(
            {"ecommerce": {"items": [{"item_id": "e"}]}},
            [{"item_id": "e"}],
            id="items fall back to ecommerce.items",
        ),
        pytest.param(
            {"items": [{"item_id": "a"}], "ecommerce": {"items": [{"item_id": "e"}]}},
            [{"item_id": "a"}],
            id="items win over ecommerce.items",
        ),
        pytest.param(
            {"items": [], "ecommerce": {"items": [{"item_id": "e"}]}},
            [{"item_id": "e"}],
            id="an empty items list falls back to ecommerce.items",
        ),
        pytest.param(
            {"items": "A1", "ecommerce": {"items": [{"item_id": "e"}]}},
            [{"item_id": "e"}],
            id="an items value that is not a list falls back to ecommerce.items",
        ),
        pytest.param(
            {"ecommerce_items": [{"item_id": "f"}]},
            [{"item_id": "f"}],
            id="the flattened ecommerce_items key is read",
        ),
        pytest.param(
            {"items": [{"item_id": "a"}, "b", 3, None, [1]]},
            [{"item_id": "a"}],
            id="items that are not objects are ignored",
        ),
        pytest.param({}, [], id="an event without items has none"),
    ],
)
def test_items(event: dict[str, Any], expected: list[dict[str, Any]]) -> None:
    assert derive.items(event) == expected


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(
            TWO_ITEMS,
            [
                {
                    "id": "A1",
                    "item_price": "10",
                    "quantity": 2,
                    "item_name": "Shoe",
                    "item_brand": "Acme",
                    "item_category": "Shoes",
                },
                {"id": "B2", "item_price": "5.5", "quantity": 1, "item_name": "Sock"},
            ],
            id="each item becomes a content with Pinterest's keys",
        ),
        pytest.param(
            {"items": [{"item_id": "A1", "id": "X"}]},
            [{"id": "A1", "quantity": 1}],
            id="item_id wins over id",
        ),
        pytest.param({"items": [{"id": "X"}]}, [{"id": "X", "quantity": 1}], id="id is used without item_id"),
        pytest.param(
            {"items": [{"item_id": "", "id": "X"}]},
            [{"id": "X", "quantity": 1}],
            id="an empty item_id falls back to id",
        ),
        pytest.param(
            {"items": [{"item_id": "undefined", "id": "X"}]},
            [{"id": "X", "quantity": 1}],
            id="an undefined placeholder item_id falls back to id",
        ),
        pytest.param(
            {"items": [{"item_id": "A1", "quantity": "3"}]},
            [{"id": "A1", "quantity": 3}],
            id="a numeric string quantity is a number",
        ),
        pytest.param(
            {"items": [{"item_id": "A1", "quantity": 2.5}]},
            [{"id": "A1", "quantity": 1}],
            id="a fractional quantity counts as 1",
        ),
        pytest.param(
            {"items": [{"item_id": "A1", "quantity": "lots"}]},
            [{"id": "A1", "quantity": 1}],
            id="an unusable quantity counts as 1",
        ),
        pytest.param(
            {"items": [{"item_id": "A1", "price": 0}]},
            [{"id": "A1", "item_price": "0", "quantity": 1}],
            id="a zero price is kept",
        ),
        pytest.param(
            {"items": [{"item_id": "A1", "price": None, "item_variant": "red", "coupon": "X"}]},
            [{"id": "A1", "quantity": 1}],
            id="other GA4 item keys are not carried over",
        ),
        pytest.param({"items": [{}]}, [{"quantity": 1}], id="an empty item still counts once"),
        pytest.param({}, None, id="no items means no contents"),
    ],
)
def test_contents(event: dict[str, Any], expected: list[dict[str, Any]] | None) -> None:
    assert _derived(event, derive.CONTENTS) == expected


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(TWO_ITEMS, ["A1", "B2"], id="content ids are the item ids in order"),
        pytest.param(
            {"items": [{"item_id": "A1"}, {"item_name": "no id"}, {"id": 7}]},
            ["A1", "7"],
            id="items without an id are left out",
        ),
        pytest.param({"items": [{"item_name": "no id"}]}, None, id="no ids means none"),
        pytest.param({}, None, id="no items means no content ids"),
    ],
)
def test_content_ids(event: dict[str, Any], expected: list[Any] | None) -> None:
    assert _derived(event, derive.CONTENT_IDS) == expected


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(TWO_ITEMS, 3, id="num_items sums the quantities"),
        pytest.param({"items": [{}, {}, {}]}, 3, id="each item without a quantity counts once"),
        pytest.param(
            {"items": [{"quantity": "4"}, {"quantity": 1}]}, 5, id="numeric string quantities are added"
        ),
        pytest.param({"items": [{"quantity": 0}]}, 0, id="a zero quantity counts zero"),
        pytest.param({}, None, id="no items means no num_items"),
    ],
)
def test_num_items(event: dict[str, Any], expected: int | None) -> None:
    assert _derived(event, derive.NUM_ITEMS) == expected


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(
            {"items": [{"price": "10"}, {"price": "20"}]},
            Decimal(30),
            id="numeric string prices are added not concatenated",
        ),
        pytest.param(TWO_ITEMS, Decimal("25.5"), id="items value is the sum of price times quantity"),
        pytest.param(
            {"items": [{"price": "2.50", "quantity": "4"}]},
            Decimal(10),
            id="string price and string quantity are multiplied",
        ),
        pytest.param(
            {"items": [{"price": 0.1, "quantity": 3}]},
            Decimal("0.3"),
            id="float prices are read as typed without binary noise",
        ),
        pytest.param(
            {"items": [{"price": 10}, {"item_id": "free"}]},
            Decimal(10),
            id="items without a price are skipped",
        ),
        pytest.param({"items": [{"price": 10}, {"price": ""}]}, Decimal(10), id="an empty price is skipped"),
        pytest.param(
            {"items": [{"price": 10}, {"price": "ten"}]}, None, id="an unusable price gives no value"
        ),
        pytest.param({"items": [{"price": 10}, {"price": True}]}, None, id="a boolean price gives no value"),
        pytest.param({"items": [{"item_id": "a"}]}, None, id="no priced item gives no value"),
        pytest.param({"items": [{"price": 0}]}, Decimal(0), id="a zero price is a zero value"),
        pytest.param({}, None, id="no items means no value"),
    ],
)
def test_items_value(event: dict[str, Any], expected: Decimal | None) -> None:
    found = _derived(event, derive.ITEMS_VALUE)
    # The amount matters, whether it comes back as a Decimal or a decimal string.
    assert (None if found is None else Decimal(str(found))) == expected


@pytest.mark.parametrize(
    ("key", "event", "expected"),
    [
        pytest.param(
            "item_name", {"items": [{"item_name": "Shoe"}]}, "Shoe", id="a single item's attribute is taken"
        ),
        pytest.param("item_name", TWO_ITEMS, None, id="two items give no single attribute"),
        pytest.param(
            "item_brand",
            {"items": [{"item_name": "Shoe"}]},
            None,
            id="a missing attribute of the single item is None",
        ),
        pytest.param(
            "item_category",
            {"ecommerce": {"items": [{"item_category": "Shoes"}]}},
            "Shoes",
            id="the single item may come from ecommerce.items",
        ),
        pytest.param(
            "item_name",
            {"items": [{"item_name": "Shoe"}, "junk"]},
            "Shoe",
            id="non-object entries do not count as items",
        ),
        pytest.param("item_name", {}, None, id="no items give no attribute"),
    ],
)
def test_single_item(key: str, event: dict[str, Any], expected: Any) -> None:
    assert _derived(event, derive.single_item(key)) == expected


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(
            {"page_location": "https://shop.example/p?epik=dj0yJnU9abc"},
            "dj0yJnU9abc",
            id="the epik query parameter is read",
        ),
        pytest.param(
            {"page_location": "https://shop.example/p?utm_source=x&epik=abc&x=1"},
            "abc",
            id="epik is found among other parameters",
        ),
        pytest.param(
            {"page_location": "https://shop.example/p?epik=a%3Db"},
            "a=b",
            id="the epik value is percent-decoded",
        ),
        pytest.param(
            {"page_location": "https://shop.example/p?epik=first&epik=second"},
            "first",
            id="the first epik parameter is taken",
        ),
        pytest.param({"page_location": "https://shop.example/p?epik="}, None, id="an empty epik gives none"),
        pytest.param(
            {"page_location": "https://shop.example/p?xepik=abc"},
            None,
            id="a parameter merely ending in epik is not epik",
        ),
        pytest.param(
            {"page_location": "https://shop.example/p#epik=abc"},
            None,
            id="epik in the fragment is not a query parameter",
        ),
        pytest.param({"page_location": "https://shop.example/p"}, None, id="a URL without epik gives none"),
        pytest.param({"page_location": 42}, None, id="a non-text URL gives none"),
        pytest.param({}, None, id="no URL gives none"),
    ],
)
def test_epik_param(event: dict[str, Any], expected: str | None) -> None:
    assert _derived(event, derive.epik_param("page_location")) == expected


def test_epik_param_reads_the_url_key_it_was_given() -> None:
    event = {"page_location": "https://a.example/?epik=loc", "page_referrer": "https://b.example/?epik=ref"}
    assert _derived(event, derive.epik_param("page_referrer")) == "ref"


def test_derivations_do_not_change_the_event() -> None:
    event = copy.deepcopy(TWO_ITEMS) | {"page_location": "https://a.example/?epik=x"}
    before = copy.deepcopy(event)
    derive.values(event)
    assert event == before


def test_an_event_without_items_or_urls_derives_nothing() -> None:
    assert derive.values({"event_name": "page_view", "value": 3}) == {}


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: derive.single_item("item_variant"), id="an item attribute not offered"),
        pytest.param(lambda: derive.epik_param("page_title"), id="a URL key not read for epik"),
    ],
)
def test_a_source_naming_nothing_derived_is_refused_when_the_table_is_built(make: Any) -> None:
    with pytest.raises(ValueError, match="is not one of"):
        make()


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
def test_pinterest_contents(value: Any, expected: list[dict[str, Any]] | None) -> None:
    assert derive.pinterest_contents(value) == expected


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
def test_pinterest_contents_refuses_naming_the_index_and_key(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        derive.pinterest_contents(value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("[]", id="an empty JSON array string is dropped"),
        pytest.param(" [ ] ", id="a padded empty JSON array string is dropped"),
    ],
)
def test_pinterest_contents_drops_an_empty_json_array_string(value: str) -> None:
    assert derive.pinterest_contents(value) is None


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
def test_pinterest_contents_gives_allowed_keys_only_or_a_value_error(value: list[Any]) -> None:
    try:
        found = derive.pinterest_contents(value)
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


def test_deeply_nested_pinterest_contents_are_a_value_error() -> None:
    with pytest.raises(ValueError, match="JSON array"):
        derive.pinterest_contents("[" * 100_000)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(TWO_ITEMS, id="two items"),
        pytest.param({"items": [{"item_id": 7, "price": "1,5", "quantity": "2", "item_brand_id": "B-1"}]},
                     id="values typed from numbers and text"),
        pytest.param({"items": [{"item_id": "A", "price": "ten", "quantity": "lots"}, "x"]},
                     id="values left out with warnings"),
    ],
)
def test_derived_contents_are_already_what_pinterest_contents_makes_of_them(event: dict[str, Any]) -> None:
    """The build takes them as they are (Derived.clean): typing them again would change nothing."""
    contents = _derived(event, derive.CONTENTS)
    again = derive.pinterest_contents(contents)
    assert again == contents
    assert [list(entry) for entry in again or ()] == [list(entry) for entry in contents]  # same key order
    assert derive.CONTENTS.clean


@hypothesis_settings(max_examples=300, deadline=None)
@given(value=_ITEMS)
def test_derived_content_ids_are_already_what_their_field_makes_of_them(value: list[Any]) -> None:
    """content_ids is Derived.clean: the field's normalizer (to_string_list) gives them back unchanged."""
    ids = _derived({"items": value}, derive.CONTENT_IDS)
    assert derive.CONTENT_IDS.clean
    if ids is not None:
        assert coerce.to_string_list(ids) == ids


@hypothesis_settings(max_examples=500, deadline=None)
@given(value=_SCALARS | st.sampled_from(["", " ", "undefined", " NULL ", "null", "\t", "0", " 1 "]))
def test_contents_coercers_give_none_exactly_for_an_empty_value(value: Any) -> None:
    """_content reads the next GA4 key when a coercer gives None: that must mean the value was empty."""
    for _, _, normalize in derive._CONTENTS:
        try:
            typed = normalize(value)
        except ValueError:
            continue
        assert (typed is None) == coerce.is_empty(value), (normalize, value)
