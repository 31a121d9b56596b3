"""Reading GA4 event values by dotted path, in nested or Stape "flatten keys" form."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from function.pipeline import paths
from function.pipeline.paths import EventPath


@pytest.mark.parametrize(
    ("dotted", "expected"),
    [
        pytest.param(
            "user_data.email_address",
            "user_data_email_address",
            id="nested keys are joined with an underscore",
        ),
        pytest.param("x-ga-mp1-ev", "x_ga_mp1_ev", id="dashes become underscores"),
        pytest.param(
            "consent_state.ad_storage", "consent_state_ad_storage", id="a two-level path flattens to one key"
        ),
        pytest.param(
            "pinterest.custom-data.order_id",
            "pinterest_custom_data_order_id",
            id="dots and dashes are replaced together",
        ),
        pytest.param("page_location", "page_location", id="a plain key is its own flat key"),
    ],
)
def test_flat_key(dotted: str, expected: str) -> None:
    assert paths.flat_key(dotted) == expected


def test_path_splits_its_parts_and_computes_its_flat_alias_once() -> None:
    path = EventPath("user_data.address.city")
    assert path.parts == ("user_data", "address", "city")
    assert path.flat == "user_data_address_city"


@pytest.mark.parametrize(
    ("event", "dotted", "expected"),
    [
        pytest.param(
            {"user_data": {"email_address": "a@b.c"}},
            "user_data.email_address",
            "a@b.c",
            id="a nested value is found by its dotted path",
        ),
        pytest.param(
            {"user_data_email_address": "a@b.c"},
            "user_data.email_address",
            "a@b.c",
            id="a flattened value is found by the same dotted path",
        ),
        pytest.param(
            {"x_ga_mp1_ev": "12.5"}, "x-ga-mp1-ev", "12.5", id="a dashed key is found in its flattened form"
        ),
        pytest.param(
            {"x-ga-mp1-ev": "12.5"}, "x-ga-mp1-ev", "12.5", id="a dashed key is found as it is spelled"
        ),
        pytest.param(
            {"user_data": {"email_address": "nested"}, "user_data_email_address": "flat"},
            "user_data.email_address",
            "nested",
            id="the nested form wins over the flattened one",
        ),
        pytest.param(
            {"consent_state": {"ad_storage": False}, "consent_state_ad_storage": True},
            "consent_state.ad_storage",
            False,
            id="a false nested value still wins",
        ),
        pytest.param(
            {"user_data": {"city": ""}, "user_data_city": "Paris"},
            "user_data.city",
            "",
            id="an empty nested string still wins",
        ),
        pytest.param(
            {"user_data": {"city": None}, "user_data_city": "Paris"},
            "user_data.city",
            "Paris",
            id="a nested null falls back to the flattened value",
        ),
        pytest.param(
            {"user_data": "text", "user_data_city": "Paris"},
            "user_data.city",
            "Paris",
            id="a scalar in the middle of the path falls back to the flattened value",
        ),
        pytest.param({}, "user_data.city", None, id="a missing value is None"),
        pytest.param({"user_data": "text"}, "user_data.city", None, id="walking into a scalar gives None"),
        pytest.param(
            {"items": [{"item_id": "a"}, {"item_id": "b"}]},
            "items.1.item_id",
            "b",
            id="a numeric part indexes a list",
        ),
        pytest.param(
            {"items": [{"item_id": "a"}]}, "items.5.item_id", None, id="an index beyond the list gives None"
        ),
        pytest.param(
            {"items": [{"item_id": "a"}, {"item_id": "b"}]},
            "items.item_id",
            "a",
            id="a named part on a list reads the first element",
        ),
        pytest.param({"items": []}, "items.item_id", None, id="a named part on an empty list gives None"),
        pytest.param({"items": ["a", "b"]}, "items.0", "a", id="a list element may be a scalar"),
        pytest.param({"page_location": 0}, "page_location", 0, id="a falsy top-level value is returned"),
    ],
)
def test_read(event: dict[str, Any], dotted: str, expected: Any) -> None:
    assert EventPath(dotted).read(event) == expected
    assert paths.read(event, dotted) == expected


def test_read_does_not_change_the_event() -> None:
    event = {"user_data": {"email_address": None}, "user_data_email_address": "a@b.c", "items": [{"x": 1}]}
    before = copy.deepcopy(event)
    EventPath("user_data.email_address").read(event)
    EventPath("items.0.x").read(event)
    assert event == before


def test_paths_compare_by_their_dotted_text() -> None:
    assert EventPath("a.b") == EventPath("a.b")
    assert EventPath("a.b") != EventPath("a_b")
    assert "a.b" in repr(EventPath("a.b"))


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param({"a": {"b": [{"c": 1}, {"c": 2}]}}, [1, 2], id="every element of a nested list"),
        pytest.param({"a_b": [{"c": 1}, {"c": [2, 3]}]}, [1, 2, 3], id="a flattened head holding a list"),
        pytest.param({"a_b_c": 4, "a_b": [{"c": 1}]}, 4, id="the longest flattened head wins"),
        pytest.param({"a": {"b": [{"d": 1}]}}, None, id="nothing found in any element"),
    ],
)
def test_a_spread_path_reads_every_element_of_a_list(event: dict[str, Any], expected: Any) -> None:
    assert EventPath("a.b.c", spread=True).read(event) == expected


def test_without_spread_a_list_gives_its_first_element_as_before() -> None:
    assert EventPath("a.b.c").read({"a_b": [{"c": 1}, {"c": 2}]}) == 1


def test_a_spread_read_opens_lists_nested_deeper_than_the_recursion_limit() -> None:
    """A body may nest ~1000 lists (parse refuses deeper ones); reading them once raised RecursionError."""
    deep: object = [{"city": "Paris"}]
    for _ in range(1500):
        deep = [deep]
    city = EventPath("user_data.address.city", spread=True)
    assert city.read({"user_data": {"address": deep}}) == ["Paris"]
    assert EventPath("user_data.city", spread=True).read({"user_data": deep}) == ["Paris"]


_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=4),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                   max_size=3), max_leaves=8)


@hypothesis_settings(max_examples=300, deadline=None)
@given(event=st.dictionaries(st.sampled_from(["email", "phone", "e", "x_y", "0"]), _VALUES, max_size=4),
       dotted=st.sampled_from(["email", "phone", "e", "x_y", "0", "absent"]), spread=st.booleans())
def test_a_one_key_path_reads_what_the_general_walk_reads(event: dict[str, Any], dotted: str,
                                                          spread: bool) -> None:
    """EventPath.single's one lookup gives what _walk gives the same path."""
    path = EventPath(dotted, spread)
    assert path.single == dotted
    assert path.read(event) is paths._walk(event, path.parts, spread)


def test_only_paths_without_dots_or_flattened_aliases_are_read_with_one_lookup() -> None:
    assert EventPath("user_data.email").single is None
    assert EventPath("x-ga-mp1-ev").single is None  # also read as x_ga_mp1_ev
