"""Pinterest's rules beyond types: event_time age and the identifiers every event needs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from function.errors import Unprocessable
from function.pipeline import validate

NOW = 1_700_000_000
WEEK = 7 * 24 * 3600


def test_the_maximum_age_is_seven_days() -> None:
    assert validate.MAX_EVENT_AGE_S == WEEK


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, NOW, id="a missing event time is now"),
        pytest.param(NOW, NOW, id="now is kept"),
        pytest.param(NOW - 60, NOW - 60, id="a minute ago is kept"),
        pytest.param(NOW + 1, NOW, id="one second in the future is clamped to now"),
        pytest.param(NOW + 10 * WEEK, NOW, id="far in the future is clamped to now"),
        pytest.param(NOW - WEEK, NOW - WEEK, id="exactly seven days old is kept"),
        pytest.param(0 + NOW - WEEK + 1, NOW - WEEK + 1, id="just under seven days old is kept"),
    ],
)
def test_event_time(value: int | None, expected: int) -> None:
    assert validate.event_time(value, NOW) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(NOW - WEEK - 1, id="one second over seven days old is refused"),
        pytest.param(NOW - 30 * 24 * 3600, id="a month old is refused"),
        pytest.param(0, id="the epoch is refused"),
    ],
)
def test_event_time_refuses_events_older_than_seven_days(value: int) -> None:
    with pytest.raises(Unprocessable, match=r"^event_time is older than 7 days") as caught:
        validate.event_time(value, NOW)
    assert caught.value.status == 422
    assert str(value) not in str(caught.value)


@pytest.mark.parametrize(
    "user_data",
    [
        pytest.param({"em": ["a" * 64]}, id="a hashed email is enough"),
        pytest.param({"hashed_maids": ["b" * 64]}, id="a hashed mobile ad id is enough"),
        pytest.param(
            {"client_ip_address": "203.0.113.7", "client_user_agent": "Mozilla/5.0"},
            id="an IP address with a user agent is enough",
        ),
        pytest.param(
            {"em": ["a" * 64], "client_ip_address": "203.0.113.7"},
            id="an email makes a lone IP address acceptable",
        ),
    ],
)
def test_identifiers_accept(user_data: dict[str, Any]) -> None:
    assert validate.identifiers(user_data) is None


@pytest.mark.parametrize(
    "user_data",
    [
        pytest.param({}, id="no identifiers are refused"),
        pytest.param({"client_ip_address": "203.0.113.7"}, id="an IP address alone is refused"),
        pytest.param({"client_user_agent": "Mozilla/5.0"}, id="a user agent alone is refused"),
        pytest.param({"em": [], "hashed_maids": []}, id="empty email and ad id lists are refused"),
        pytest.param(
            {"client_ip_address": "", "client_user_agent": "Mozilla/5.0"},
            id="an empty IP address does not count",
        ),
        pytest.param(
            {"ph": ["c" * 64], "external_id": ["d" * 64], "click_id": "x"},
            id="phone, external id and click id are not enough",
        ),
    ],
)
def test_identifiers_refuse_events_pinterest_cannot_match(user_data: dict[str, Any]) -> None:
    with pytest.raises(Unprocessable, match=r"^user_data needs at least one of em, hashed_maids") as caught:
        validate.identifiers(user_data)
    assert caught.value.status == 422


# What a built event can hold, and what orjson refuses: any text (lone surrogates and DEL among it),
# integers past 64 bits. Floats are left out: the normalizers give none (compact_size's docstring).
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text(),
    lambda children: (st.lists(children, max_size=4)
                      | st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=8), _JSON_VALUES, max_size=6))
@hypothesis_settings(max_examples=500, deadline=None)
def test_compact_size_is_the_length_of_the_json_pinterest_is_sent(payload: dict[str, Any]) -> None:
    assert validate.compact_size(payload) == len(json.dumps(payload, separators=(",", ":")))


@pytest.mark.parametrize("text", ["plain", "é", "\u2028", "€uro", "😀", "\x7f", "\x00\x1f\"\\", "\ud800",
                                  "a\udfffb"])
def test_compact_size_counts_each_escape_json_writes(text: str) -> None:
    payload = {"event_source_url": text, "user_data": {"external_id": [text, text + "x"]}}
    assert validate.compact_size(payload) == len(json.dumps(payload, separators=(",", ":")))


@given(st.dictionaries(st.text(max_size=8), _JSON_VALUES, max_size=6))
@hypothesis_settings(max_examples=500, deadline=None)
def test_compact_json_is_the_batch_json_writes(payload: dict[str, Any]) -> None:
    assert validate.compact_json({"data": [payload]}) == json.dumps({"data": [payload]},
                                                                    separators=(",", ":")).encode()
