"""The sandbox's hand-written Conversions API rules, as pure functions: each rule fails and passes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from function.sandbox.rules import (
    ACTION_SOURCES,
    HASHED_USER_FIELDS,
    MAX_EVENT_AGE_S,
    REQUIRED_EVENT_FIELDS,
    STANDARD_EVENT_NAMES,
    InvalidRequest,
    event_problems,
    is_ad_account_id,
    request_events,
)
from tests.sandbox.helpers import make_event, schema, sha

NOW = 1_750_000_000
HASH = sha("value")


def problems(**overrides: Any) -> list[str]:
    """Problems of a valid event with some fields replaced."""
    return event_problems(make_event(NOW, **overrides), "data[0]", NOW)


def problems_in(field: str, key: str, value: object, base: dict[str, Any] | None = None) -> list[str]:
    """Problems of a valid event whose nested object `field` has `key` set to `value`."""
    nested = dict(base or {})
    nested[key] = value
    return problems(**{field: nested})


def _example_of(prop: dict[str, Any]) -> object:
    """A property's example, or one assembled from its sub-properties' examples."""
    if "example" in prop:
        return prop["example"]
    target = schema(prop["$ref"].rsplit("/", 1)[-1]) if "$ref" in prop else prop
    if "anyOf" in target:
        target = schema(target["anyOf"][0]["$ref"].rsplit("/", 1)[-1])
    return {
        key: _example_of(sub)
        for key, sub in target.get("properties", {}).items()
        if "example" in sub or "properties" in sub or "$ref" in sub
    }


def spec_example_event() -> dict[str, Any]:
    """An event made of every example value the spec gives (event_time moved to now)."""
    properties = schema("ConversionEvents")["properties"]["data"]["items"]["properties"]
    event = {key: _example_of(prop) for key, prop in properties.items()}
    event["event_time"] = NOW
    return event


class TestWholeEvents:
    def test_spec_examples_make_a_valid_event(self) -> None:
        event = spec_example_event()
        assert {"custom_data", "app_info", "device_info", "user_data"} <= set(event)
        assert event_problems(event, "data[0]", NOW) == []

    @pytest.mark.parametrize(
        "user_data",
        [
            {"em": [HASH]},
            {"hashed_maids": [HASH]},
            {"client_ip_address": "216.3.128.12", "client_user_agent": "Mozilla/5.0"},
        ],
    )
    def test_each_way_of_identifying_the_user_is_enough(self, user_data: dict[str, Any]) -> None:
        assert problems(user_data=user_data) == []

    def test_an_event_must_be_an_object(self) -> None:
        assert event_problems(["not", "an", "event"], "data[3]", NOW) == ["data[3] must be an object"]

    @pytest.mark.parametrize("field", REQUIRED_EVENT_FIELDS)
    def test_required_fields(self, field: str) -> None:
        event = make_event(NOW)
        del event[field]
        assert event_problems(event, "data[0]", NOW) == [f"data[0].{field} is required"]

    def test_every_problem_is_reported_with_its_path(self) -> None:
        found = problems(event_name="no spaces allowed", wifi="yes", extra=1)
        assert found == [
            "data[0].extra is not an allowed property",
            "data[0].event_name must be a standard event name or 1-100 letters, digits, '_' or '-'",
            "data[0].wifi must be a boolean",
        ]


class TestAllowedKeys:
    def test_unknown_event_key(self) -> None:
        assert problems(category_name="shirts") == ["data[0].category_name is not an allowed property"]

    @pytest.mark.parametrize("field", ["custom_data", "app_info", "device_info"])
    def test_unknown_key_in_closed_objects(self, field: str) -> None:
        assert problems_in(field, "surprise", "x") == [f"data[0].{field}.surprise is not an allowed property"]

    def test_unknown_key_in_contents_items(self) -> None:
        found = problems(custom_data={"contents": [{"id": "a"}, {"id": "b", "colour": "red"}]})
        assert found == ["data[0].custom_data.contents[1].colour is not an allowed property"]

    def test_user_data_is_open_as_in_the_spec(self) -> None:
        assert problems(user_data={"em": [HASH], "future_field": "x"}) == []

    @pytest.mark.parametrize("field", ["custom_data", "app_info", "device_info", "user_data"])
    def test_nested_objects_must_be_objects(self, field: str) -> None:
        assert problems(**{field: ["x"]}) == [f"data[0].{field} must be an object"]


class TestEventName:
    @pytest.mark.parametrize("name", sorted(STANDARD_EVENT_NAMES))
    def test_standard_names(self, name: str) -> None:
        assert problems(event_name=name) == []

    @pytest.mark.parametrize("name", ["MyEvent", "quote-requested", "step_2", "x" * 100])
    def test_custom_names(self, name: str) -> None:
        assert problems(event_name=name) == []

    @pytest.mark.parametrize("name", ["", "x" * 101, "two words", "café", "add.to.cart", 7, None])
    def test_bad_names(self, name: object) -> None:
        assert len(problems(event_name=name)) == 1


class TestActionSource:
    @pytest.mark.parametrize("source", ACTION_SOURCES)
    def test_known_sources(self, source: str) -> None:
        assert problems(action_source=source) == []

    @pytest.mark.parametrize("source", ["email", "WEB", "", None, 1])
    def test_other_sources(self, source: object) -> None:
        assert problems(action_source=source) == [
            "data[0].action_source must be one of: app_android, app_ios, offline, web"
        ]


class TestEventTime:
    @pytest.mark.parametrize("offset", [0, 60, -MAX_EVENT_AGE_S, -3600])
    def test_within_the_window(self, offset: int) -> None:
        assert problems(event_time=NOW + offset) == []

    def test_future_beyond_skew(self) -> None:
        assert problems(event_time=NOW + 61) == [
            "data[0].event_time must not be in the future (Unix seconds, not milliseconds)"
        ]

    def test_milliseconds_are_in_the_future(self) -> None:
        assert "future" in problems(event_time=NOW * 1000)[0]

    def test_older_than_seven_days(self) -> None:
        assert problems(event_time=NOW - MAX_EVENT_AGE_S - 1) == [
            "data[0].event_time must not be older than 7 days"
        ]

    @pytest.mark.parametrize("value", [True, float(NOW), str(NOW), None])
    def test_must_be_an_integer(self, value: object) -> None:
        assert problems(event_time=value) == ["data[0].event_time must be an integer"]

    def test_must_fit_int64(self) -> None:
        assert "between" in problems(event_time=2**63)[0]


class TestEventId:
    def test_string(self) -> None:
        assert problems(event_id="eventId0001") == []

    @pytest.mark.parametrize("value", [1, None, ["a"]])
    def test_not_string(self, value: object) -> None:
        assert problems(event_id=value) == ["data[0].event_id must be a string"]


class TestUserData:
    @pytest.mark.parametrize(
        "user_data",
        [
            {},
            {"client_ip_address": "216.3.128.12"},
            {"client_user_agent": "Mozilla/5.0"},
            {"em": []},
            {"ph": [HASH]},
        ],
    )
    def test_needs_an_identifier(self, user_data: dict[str, Any]) -> None:
        assert problems(user_data=user_data) == [
            "data[0].user_data must contain em, hashed_maids, or both client_ip_address and client_user_agent"
        ]

    @pytest.mark.parametrize("field", HASHED_USER_FIELDS)
    def test_hashed_fields_take_hashes(self, field: str) -> None:
        assert problems(user_data={"em": [HASH], field: [HASH, sha("other")]}) == []

    @pytest.mark.parametrize("field", HASHED_USER_FIELDS)
    @pytest.mark.parametrize(
        "value", ["someone@example.com", HASH.upper(), HASH[:-1], HASH + "0", "z" * 64, 5, None]
    )
    def test_hashed_fields_reject_anything_else(self, field: str, value: object) -> None:
        found = problems(user_data={"em": [HASH], field: [value]} if field != "em" else {"em": [value]})
        assert f"data[0].user_data.{field}[0] must be a SHA-256 hash: 64 lower-case hex characters" in found

    @pytest.mark.parametrize("field", HASHED_USER_FIELDS)
    def test_hashed_fields_are_arrays(self, field: str) -> None:
        assert f"data[0].user_data.{field} must be an array" in problems(
            user_data={"em": [HASH], field: HASH}
        )

    @pytest.mark.parametrize("field", ["client_ip_address", "client_user_agent", "click_id", "partner_id"])
    def test_plain_strings(self, field: str) -> None:
        assert problems(user_data={"em": [HASH], field: "abc"}) == []
        assert problems(user_data={"em": [HASH], field: 123}) == [
            f"data[0].user_data.{field} must be a string"
        ]

    @pytest.mark.parametrize("field", ["click_id", "partner_id"])
    def test_nullable_strings(self, field: str) -> None:
        assert problems(user_data={"em": [HASH], field: None}) == []


class TestCustomData:
    @pytest.mark.parametrize("field", ["value", "predicted_ltv"])
    @pytest.mark.parametrize("value", ["72.39", "0", "-1.5", "1e3", ".5", None])
    def test_decimal_strings(self, field: str, value: object) -> None:
        assert problems_in("custom_data", field, value) == []

    @pytest.mark.parametrize("field", ["value", "predicted_ltv"])
    @pytest.mark.parametrize(
        "value", [72.39, 72, "", "abc", "NaN", "Infinity", "1e999", "1_000", " 1", "1,50"]
    )
    def test_not_decimal_strings(self, field: str, value: object) -> None:
        assert problems_in("custom_data", field, value) == [
            f"data[0].custom_data.{field} must be a string holding a decimal number"
        ]

    def test_item_price(self) -> None:
        assert problems_in("custom_data", "contents", [{"item_price": "14.99"}]) == []
        assert problems_in("custom_data", "contents", [{"item_price": 14.99}]) == [
            "data[0].custom_data.contents[0].item_price must be a string holding a decimal number"
        ]

    @pytest.mark.parametrize("value", ["USD", "EUR", "gbp", None])
    def test_currency(self, value: object) -> None:
        assert problems_in("custom_data", "currency", value) == []

    @pytest.mark.parametrize("value", ["US", "USDD", "U$D", "", 840])
    def test_not_currency(self, value: object) -> None:
        assert problems_in("custom_data", "currency", value) == [
            "data[0].custom_data.currency must be a 3-letter ISO-4217 currency code"
        ]

    def test_num_items(self) -> None:
        assert problems_in("custom_data", "num_items", 5) == []
        for value in ("5", 5.0, True, None):
            assert problems_in("custom_data", "num_items", value) == [
                "data[0].custom_data.num_items must be an integer"
            ]

    def test_quantity(self) -> None:
        assert problems_in("custom_data", "contents", [{"quantity": 3}]) == []
        for value in ("3", 1.5, False):
            assert problems_in("custom_data", "contents", [{"quantity": value}]) == [
                "data[0].custom_data.contents[0].quantity must be an integer"
            ]

    def test_content_ids(self) -> None:
        assert problems_in("custom_data", "content_ids", ["product-id-001", "product-id-002"]) == []
        assert problems_in("custom_data", "content_ids", "product-id-001") == [
            "data[0].custom_data.content_ids must be an array"
        ]
        assert problems_in("custom_data", "content_ids", ["ok", 2]) == [
            "data[0].custom_data.content_ids[1] must be a string"
        ]

    def test_contents_is_an_array_of_objects(self) -> None:
        assert problems_in("custom_data", "contents", {"id": "a"}) == [
            "data[0].custom_data.contents must be an array"
        ]
        assert problems_in("custom_data", "contents", ["a"]) == [
            "data[0].custom_data.contents[0] must be an object"
        ]

    def test_nullable_strings(self) -> None:
        assert problems_in("custom_data", "order_id", None) == []
        assert problems_in("custom_data", "order_id", 42) == ["data[0].custom_data.order_id must be a string"]


class TestScalarEventFields:
    @pytest.mark.parametrize("field", ["opt_out", "wifi"])
    def test_booleans(self, field: str) -> None:
        assert problems(**{field: False}) == []
        for value in ("true", 0, None):
            assert problems(**{field: value}) == [f"data[0].{field} must be a boolean"]

    @pytest.mark.parametrize(
        "field", ["event_source_url", "language", "partner_name", "app_id", "device_type"]
    )
    def test_nullable_strings(self, field: str) -> None:
        assert problems(**{field: "x"}) == []
        assert problems(**{field: None}) == []
        assert problems(**{field: 1}) == [f"data[0].{field} must be a string"]


class TestAppAndDeviceInfo:
    def test_bounds_on_integers(self) -> None:
        assert problems_in("app_info", "window_width", 30720) == []
        assert problems_in("app_info", "window_width", 30721) == [
            "data[0].app_info.window_width must be between 0 and 30720"
        ]
        assert problems_in("device_info", "battery_level", -1) == [
            "data[0].device_info.battery_level must be between 0 and 100"
        ]

    def test_max_length(self) -> None:
        assert problems_in("device_info", "timezone_abbr", "PDT") == []
        assert problems_in("device_info", "timezone_abbr", "TOOLONG") == [
            "data[0].device_info.timezone_abbr must be at most 5 characters"
        ]

    def test_enums(self) -> None:
        assert problems_in("device_info", "form_factor", "tablet") == []
        assert len(problems_in("device_info", "form_factor", "phone")) == 1
        assert len(problems_in("device_info", "network_type", "wifi6")) == 1
        assert len(problems_in("device_info", "os_family", "IOS")) == 1

    def test_languages(self) -> None:
        assert problems_in("device_info", "languages", ["en", "de"]) == []
        assert problems_in("device_info", "languages", ["en"] * 101) == [
            "data[0].device_info.languages must hold at most 100 items"
        ]


class TestRequestEnvelope:
    @pytest.mark.parametrize("count", [1, 1000])
    def test_batch_sizes_allowed(self, count: int) -> None:
        events = [make_event(NOW)] * count
        assert request_events({"data": events}) == events

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ([], "the request body must be a JSON object"),
            ("data", "the request body must be a JSON object"),
            ({}, "data is required"),
            ({"data": [], "test": True}, "test is not an allowed property (only data)"),
            ({"data": {"event_name": "checkout"}}, "data must be an array of events"),
            ({"data": []}, "data must hold 1 to 1000 events, not 0"),
            ({"data": [{}] * 1001}, "data must hold 1 to 1000 events, not 1001"),
        ],
    )
    def test_bad_envelopes(self, body: object, message: str) -> None:
        with pytest.raises(InvalidRequest, match=rf"^{re.escape(message)}$"):
            request_events(body)


class TestAdAccountId:
    @pytest.mark.parametrize("value", ["549755885175", "1", "9" * 18])
    def test_digits(self, value: str) -> None:
        assert is_ad_account_id(value)

    @pytest.mark.parametrize("value", ["", "abc", "12a", "9" * 19, "-1", "١٢٣", "12\n"])
    def test_not_digits(self, value: str) -> None:
        assert not is_ad_account_id(value)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=70),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)
_EVENT_KEYS = st.sampled_from([*REQUIRED_EVENT_FIELDS, "custom_data", "app_info", "device_info", "wifi"])


@given(st.dictionaries(_EVENT_KEYS, _JSON) | _JSON)
def test_any_json_gets_an_answer_not_an_exception(event: object) -> None:
    found = event_problems(event, "data[0]", NOW)
    assert all(isinstance(problem, str) and problem.startswith("data[0]") for problem in found)
