"""Pinterest API 5.28: first-class event names inherited from GA4, and contents[].item_brand_id."""

from __future__ import annotations

from typing import Any

import pytest

from function.errors import BadRequest
from function.pipeline import derive
from function.pipeline.build import Context, build_event
from function.pipeline.options import Options
from function.sandbox import rules
from tests.pinterest_spec import assert_valid_events_body, schema_errors

NOW = 1764000000
# The 7 names 5.28 makes first-class besides the 15 of 5.23.
FIRST_CLASS_5_28 = ("app_open", "contact", "customize_product", "find_location", "schedule", "start_trial",
                    "submit_application")
BRAND_ID = "brand-0042"


def _build(event: dict[str, Any], event_map: dict[str, str] | None = None) -> dict[str, Any]:
    ctx = Context(Options("inherit", "", "web", False, event_map=event_map or {}), NOW, lambda: "id-1")
    return build_event({"user_data": {"email_address": "a@b.co"}, **event}, ctx)


@pytest.mark.parametrize("name", FIRST_CLASS_5_28)
def test_a_ga4_event_with_a_first_class_pinterest_name_keeps_it(name: str) -> None:
    payload = _build({"event_name": name})
    assert payload["event_name"] == name
    assert_valid_events_body({"data": [payload]})


def test_the_event_map_still_folds_a_first_class_name_into_another() -> None:
    assert _build({"event_name": "contact"}, {"contact": "lead"})["event_name"] == "lead"


def test_a_contents_override_keeps_item_brand_id() -> None:
    payload = _build({"event_name": "purchase", "pinterest": {"custom_data": {
        "contents": [{"id": "A1", "item_brand_id": BRAND_ID}]}}})
    assert payload["custom_data"]["contents"] == [{"id": "A1", "item_brand_id": BRAND_ID, "quantity": 1}]
    assert_valid_events_body({"data": [payload]})


def test_a_ga4_item_brand_id_goes_into_contents() -> None:
    payload = _build({"event_name": "purchase", "items": [{"item_id": "A1", "item_brand_id": BRAND_ID}]})
    assert payload["custom_data"]["contents"] == [{"id": "A1", "item_brand_id": BRAND_ID, "quantity": 1}]
    assert_valid_events_body({"data": [payload]})


def test_item_brand_id_is_derived_from_ga4_items() -> None:
    contents = derive.values({"items": [{"item_id": "A1", "item_brand_id": BRAND_ID}]})["contents"]
    assert contents == [{"id": "A1", "item_brand_id": BRAND_ID, "quantity": 1}]


@pytest.mark.parametrize(
    ("event", "where"),
    [
        pytest.param({"pinterest": {"custom_data": {"contents": [{"id": "A1"},
                                                                 {"item_brand_id": "b" * 65}]}}},
                     r"pinterest\.custom_data\.contents\[1\]\.item_brand_id", id="in an override"),
        pytest.param({"items": [{"item_id": "A1"}, {"item_brand_id": "b" * 65}]},
                     r"contents\[1\]\.item_brand_id", id="in a GA4 item"),
    ],
)
def test_item_brand_id_over_64_characters_is_a_400_naming_it_and_the_limit(event: dict[str, Any],
                                                                            where: str) -> None:
    with pytest.raises(BadRequest, match=rf"^{where} holds 65 characters; at most 64 are accepted$"):
        _build({"event_name": "purchase", **event})


def test_item_brand_id_of_64_characters_is_sent() -> None:
    payload = _build({"event_name": "purchase", "items": [{"item_id": "A1", "item_brand_id": "b" * 64}]})
    assert payload["custom_data"]["contents"][0]["item_brand_id"] == "b" * 64


def test_the_spec_used_by_the_tests_follows_5_28_for_item_brand_id() -> None:
    def errors(brand_id: str) -> list[str]:
        event = {"event_name": "checkout", "action_source": "web", "event_time": NOW, "event_id": "e",
                 "user_data": {"em": ["a" * 64]}, "custom_data": {"contents": [{"item_brand_id": brand_id}]}}
        return schema_errors({"data": [event]})

    assert errors("b" * 64) == []
    assert errors("b" * 65) != []


@pytest.mark.parametrize("name", FIRST_CLASS_5_28)
def test_the_sandbox_takes_the_first_class_names(name: str) -> None:
    assert name in rules.STANDARD_EVENT_NAMES
    assert len(rules.STANDARD_EVENT_NAMES) == 22


def test_the_sandbox_takes_item_brand_id_of_at_most_64_characters() -> None:
    def problems(brand_id: object) -> list[str]:
        return rules.CUSTOM_DATA_FIELDS["contents"]([{"item_brand_id": brand_id}], "contents")

    assert problems("b" * 64) == []
    assert problems("b" * 65) == ["contents[0].item_brand_id must be at most 64 characters"]
    assert problems(42) == ["contents[0].item_brand_id must be a string"]
