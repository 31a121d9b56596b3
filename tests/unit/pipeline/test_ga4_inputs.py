"""Inputs as GA4 really sends them: several addresses, and ISO-8601 event times (issue 14, item 5)."""

from __future__ import annotations

from typing import Any

import pytest

from function import limits
from function.errors import BadRequest
from function.pipeline.build import Context, build_event
from function.pipeline.options import Options

NOW = 1764000000
ADDRESS_KEYS = ("fn", "ln", "ct", "st", "zp", "country")
HOME = {"first_name": "Ada", "last_name": "Lovelace", "city": "London", "region": "England",
        "postal_code": "N1 9GU", "country": "GB"}
WORK = {"first_name": "Grace", "last_name": "Hopper", "city": "Arlington", "region": "Virginia",
        "postal_code": "22201", "country": "US"}


def _build(event: dict[str, Any]) -> dict[str, Any]:
    ctx = Context(Options("inherit", "", "web", False), NOW, lambda: "id-1")
    return build_event({"event_name": "purchase", "email": "a@b.co", **event}, ctx)


def _address_fields(event: dict[str, Any]) -> dict[str, list[str]]:
    user_data = _build(event)["user_data"]
    return {key: user_data.get(key) for key in ADDRESS_KEYS}


def _flat(address: dict[str, str]) -> dict[str, str]:
    return {f"user_data_address_{key}": value for key, value in address.items()}


def _both() -> dict[str, list[str]]:
    """The digests of HOME then WORK, each as a single nested address gives them."""
    home = _address_fields({"user_data": {"address": HOME}})
    work = _address_fields({"user_data": {"address": WORK}})
    return {key: home[key] + work[key] for key in ADDRESS_KEYS}


def test_a_nested_address_object_fills_every_address_field() -> None:
    found = _address_fields({"user_data": {"address": HOME}})
    assert all(len(found[key]) == 1 for key in ADDRESS_KEYS)


def test_a_flattened_address_object_gives_what_the_nested_one_gives() -> None:
    assert _address_fields(_flat(HOME)) == _address_fields({"user_data": {"address": HOME}})


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"user_data": {"address": [HOME, WORK]}}, id="nested array"),
        pytest.param({"user_data_address": [HOME, WORK]}, id="flattened array (Stape keeps lists)"),
    ],
)
def test_every_address_of_an_array_goes_into_the_hashed_lists(event: dict[str, Any]) -> None:
    assert _address_fields(event) == _both()


def test_an_address_repeated_in_the_array_is_sent_once() -> None:
    found = _address_fields({"user_data": {"address": [HOME, dict(HOME), WORK]}})
    assert found == _both()


def test_more_addresses_than_a_hashed_list_takes_is_a_400_naming_the_path() -> None:
    many = [HOME] * (limits.HASHED_VALUES + 1)
    with pytest.raises(BadRequest, match=r"^user_data\.address\.first_name holds 21 items; at most 20"):
        _build({"user_data": {"address": many}})


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2025-11-24T15:50:00Z", id="UTC as Z"),
        pytest.param("2025-11-24T16:50:00+01:00", id="an offset"),
        pytest.param("2025-11-24 15:50:00.250Z", id="RFC 3339 with a space and fractions"),
    ],
)
@pytest.mark.parametrize("position", ["event_time", "timestamp", "pinterest.server_event_data.event_time"])
def test_an_iso_event_time_is_read_in_every_position(text: str, position: str) -> None:
    event: dict[str, Any] = {"event_time": text} if position == "event_time" else {}
    if position == "timestamp":
        event = {"timestamp": text}
    elif position.startswith("pinterest."):
        event = {"pinterest": {"server_event_data": {"event_time": text}}}
    assert _build(event)["event_time"] == NOW - 600  # NOW is 2025-11-24T16:00:00Z


def test_a_naive_iso_override_is_a_400_naming_the_field_and_the_missing_timezone() -> None:
    with pytest.raises(BadRequest, match=r"^pinterest\.server_event_data\.event_time .*without a timezone"):
        _build({"pinterest": {"server_event_data": {"event_time": "2025-11-24T15:50:00"}}})


def test_a_naive_iso_ga4_time_is_not_used_and_the_next_source_is() -> None:
    assert _build({"event_time": "2025-11-24T15:50:00", "timestamp": NOW - 60})["event_time"] == NOW - 60


@pytest.mark.parametrize("value", [NOW - 60, str(NOW - 60), (NOW - 60) * 1000, float(NOW - 60)])
def test_numeric_event_times_are_read_as_before(value: Any) -> None:
    assert _build({"event_time": value})["event_time"] == NOW - 60
