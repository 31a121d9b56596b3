"""Request bodies: strict JSON, then GA4 events with their `pinterest` settings merged in."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from function.errors import BadRequest, GatewayError, PayloadTooLarge
from function.pipeline import options, parse

SECRET = "s3cr3t-value"


# --- load_json ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(b'{"event_name": "purchase"}', {"event_name": "purchase"}, id="an object is parsed"),
        pytest.param(b'[{"a": 1}, {"b": 2}]', [{"a": 1}, {"b": 2}], id="an array is parsed"),
        pytest.param('{"city": "Zürich"}'.encode(), {"city": "Zürich"}, id="UTF-8 text is decoded"),
        pytest.param(b' \n{"a": 1.5}\n ', {"a": 1.5}, id="surrounding whitespace is allowed"),
        pytest.param(b'{"a": "\\u00e9"}', {"a": "é"}, id="JSON escapes are decoded"),
    ],
)
def test_load_json_accepts(body: bytes, expected: Any) -> None:
    assert parse.load_json(body) == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b'{"value": NaN}', r"NaN is not valid JSON", id="NaN is refused"),
        pytest.param(b'{"value": Infinity}', r"Infinity is not valid JSON", id="Infinity is refused"),
        pytest.param(b'{"value": -Infinity}', r"-Infinity is not valid JSON", id="minus Infinity is refused"),
        pytest.param(b'{"a": "\xff\xfe"}', r"^body is not valid UTF-8$", id="bad UTF-8 is refused"),
        pytest.param(
            b'{"a": "\xed\xa0\x80"}',
            r"^body is not valid UTF-8$",
            id="an encoded lone surrogate is refused as bad UTF-8",
        ),
        pytest.param(b"", r"^body is not valid JSON: Expecting value", id="an empty body is refused"),
        pytest.param(
            b'{"a": 1,}', r"^body is not valid JSON: .* at line 1 column", id="a trailing comma is refused"
        ),
        pytest.param(b"{'a': 1}", r"^body is not valid JSON", id="single quotes are refused"),
        pytest.param(
            b'{"a": 1} {"b": 2}', r"^body is not valid JSON: Extra data", id="two documents are refused"
        ),
        pytest.param(
            b"[" * 100_000 + b"]" * 100_000,
            r"^body is nested too deeply$",
            id="deep array nesting is a bad request not a crash",
        ),
        pytest.param(
            b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
            r"^body is nested too deeply$",
            id="deep object nesting is a bad request not a crash",
        ),
        pytest.param(
            b'{"a": ' + b"1" * 5000 + b"}",
            r"^body is not valid JSON",
            id="an integer too long to convert is a bad request",
        ),
    ],
)
def test_load_json_refuses_with_a_bad_request(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message) as caught:
        parse.load_json(body)
    assert caught.value.status == 400


def test_load_json_errors_do_not_quote_the_body() -> None:
    with pytest.raises(BadRequest) as caught:
        parse.load_json(f'{{"email": "{SECRET}", }}'.encode())
    assert SECRET not in str(caught.value)


def test_a_body_of_exactly_one_mebibyte_is_accepted() -> None:
    filler = "x" * (parse.MAX_BODY_BYTES - len(b'{"a": ""}'))
    body = f'{{"a": "{filler}"}}'.encode()
    assert len(body) == parse.MAX_BODY_BYTES == 1 << 20
    assert parse.load_json(body) == {"a": filler}


def test_a_body_one_byte_over_one_mebibyte_is_too_large() -> None:
    body = b" " * parse.MAX_BODY_BYTES + b"{"
    assert len(body) == parse.MAX_BODY_BYTES + 1
    with pytest.raises(PayloadTooLarge) as caught:
        parse.load_json(body)
    assert caught.value.status == 413


# --- split_events: shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param({"event_name": "purchase"}, [{"event_name": "purchase"}], id="one object is one event"),
        pytest.param(
            [{"event_name": "a"}, {"event_name": "b"}],
            [{"event_name": "a"}, {"event_name": "b"}],
            id="an array holds one event per element",
        ),
        pytest.param(
            {"events": [{"event_name": "a"}, {"event_name": "b"}]},
            [{"event_name": "a"}, {"event_name": "b"}],
            id="an events wrapper holds its events",
        ),
        pytest.param({}, [{}], id="an empty object is one empty event"),
        pytest.param([{}] * parse.MAX_EVENTS, [{}] * parse.MAX_EVENTS, id="1000 events are accepted"),
    ],
)
def test_split_events_shapes(document: Any, expected: list[dict[str, Any]]) -> None:
    assert parse.split_events(document) == expected


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param("text", r"^body must be a JSON object, an array", id="a string body is refused"),
        pytest.param(42, r"^body must be a JSON object, an array", id="a number body is refused"),
        pytest.param(None, r"^body must be a JSON object, an array", id="a null body is refused"),
        pytest.param([], r"^body holds no events$", id="an empty array is refused"),
        pytest.param({"events": []}, r"^events holds no events$", id="an empty events list is refused"),
        pytest.param(
            {"events": "x", "event_name": "a"},
            r"^events must be an array of event objects$",
            id="an events key that is not a list is refused",
        ),
        pytest.param(
            {"events": {"event_name": "a"}},
            r"^events must be an array of event objects$",
            id="an events object instead of an array is refused",
        ),
        pytest.param(
            [{}] * 1001, r"^body holds 1001 events; at most 1000", id="1001 events in an array are refused"
        ),
        pytest.param(
            {"events": [{}] * 1001},
            r"^events holds 1001 events; at most 1000",
            id="1001 events in a wrapper are refused",
        ),
        pytest.param(
            [{}, "x"],
            r"^body\[1\] must be a JSON object$",
            id="a non-object array element is refused by its index",
        ),
        pytest.param(
            {"events": [{}, {}, [1]]},
            r"^events\[2\] must be a JSON object$",
            id="a non-object event is refused by its index",
        ),
        pytest.param(
            {"events": [None]}, r"^events\[0\] must be a JSON object$", id="a null event is refused"
        ),
        pytest.param(
            {"pinterest": "x"}, r"^body\.pinterest must be an object$", id="a non-object pinterest is refused"
        ),
        pytest.param(
            {"events": [{}], "pinterest": [1]},
            r"^pinterest must be an object$",
            id="a non-object shared pinterest is refused",
        ),
        pytest.param(
            {"events": [{}], "pinterest_tset": True},
            r'^pinterest_tset is not read beside "events": give shared settings as the pinterest object',
            id="a flattened shared setting, which no event would read, is refused",
        ),
        pytest.param(
            {"events": [{}, {"pinterest": 5}]},
            r"^events\[1\]\.pinterest must be an object$",
            id="a non-object event pinterest is refused by its index",
        ),
    ],
)
def test_split_events_refuses(document: Any, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse.split_events(document)


# --- split_events: the reserved `pinterest` object ---------------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected_pinterest"),
    [
        pytest.param(
            {"pinterest.custom_data.order_id": "o1"},
            {"custom_data": {"order_id": "o1"}},
            id="a dot-notation key becomes a nested setting",
        ),
        pytest.param(
            {"pinterest.test": True, "pinterest.event_name": "lead"},
            {"test": True, "event_name": "lead"},
            id="several dot-notation keys are all expanded",
        ),
        pytest.param(
            {"pinterest": {"custom_data": {"value": 5}}, "pinterest.custom_data.order_id": "o1"},
            {"custom_data": {"value": 5, "order_id": "o1"}},
            id="dot-notation keys join the nested object",
        ),
        pytest.param(
            {"pinterest": {"test": False}, "pinterest.test": True},
            {"test": False},
            id="the nested object wins over a dot-notation key",
        ),
        pytest.param(
            {"pinterest": {"custom_data": "x"}, "pinterest.custom_data.order_id": "o1"},
            {"custom_data": "x"},
            id="a nested scalar is not replaced by a deeper dot-notation key",
        ),
        pytest.param(
            {"pinterest": None, "pinterest.test": True},
            {"test": True},
            id="a null pinterest object is treated as absent",
        ),
        pytest.param({"pinterest": {}}, {}, id="an empty pinterest object stays empty"),
        pytest.param({"event_name": "a"}, None, id="an event without settings gets no pinterest key"),
    ],
)
def test_split_events_reserved_object(document: dict[str, Any], expected_pinterest: Any) -> None:
    [event] = parse.split_events(document)
    assert event.get("pinterest") == expected_pinterest


@pytest.mark.parametrize(
    ("shared", "own", "expected"),
    [
        pytest.param(
            {"test": True}, None, {"test": True}, id="the shared settings apply to an event without its own"
        ),
        pytest.param({"test": True}, {"test": False}, {"test": False}, id="the event's own value wins"),
        pytest.param(
            {"custom_data": {"value": 5, "currency": "USD"}},
            {"custom_data": {"value": 7}},
            {"custom_data": {"value": 7, "currency": "USD"}},
            id="nested settings are merged deeply with the event winning",
        ),
        pytest.param(
            {"custom_data": {"value": 5}},
            {"custom_data": "x"},
            {"custom_data": "x"},
            id="an event scalar replaces a shared object",
        ),
        pytest.param(
            {"custom_data": "x"},
            {"custom_data": {"value": 7}},
            {"custom_data": {"value": 7}},
            id="an event object replaces a shared scalar",
        ),
        pytest.param(
            {"action_source": "web"},
            {"event_name": "lead"},
            {"action_source": "web", "event_name": "lead"},
            id="shared and own settings combine",
        ),
    ],
)
def test_split_events_merges_shared_pinterest(
    shared: dict[str, Any], own: dict[str, Any] | None, expected: dict[str, Any]
) -> None:
    event: dict[str, Any] = {"event_name": "purchase"}
    if own is not None:
        event["pinterest"] = own
    [found] = parse.split_events({"events": [event], "pinterest": shared})
    assert found == {"event_name": "purchase", "pinterest": expected}


def test_shared_dot_notation_applies_to_each_event_and_the_event_wins() -> None:
    document = {
        "pinterest.action_source": "offline",
        "pinterest.custom_data.currency": "EUR",
        "events": [{"event_name": "a"}, {"event_name": "b", "pinterest.action_source": "app_ios"}],
    }
    first, second = parse.split_events(document)
    assert first["pinterest"] == {"action_source": "offline", "custom_data": {"currency": "EUR"}}
    assert second["pinterest"] == {"action_source": "app_ios", "custom_data": {"currency": "EUR"}}


def test_events_without_pinterest_settings_get_no_pinterest_key() -> None:
    [event] = parse.split_events({"events": [{"event_name": "a"}]})
    assert "pinterest" not in event


def test_a_dot_notation_override_reaches_the_request_options() -> None:
    base = options.Options("inherit", "", "web", False)
    [event] = parse.split_events({"event_name": "purchase", "pinterest.action_source": "offline"})
    assert options.resolve(base, event).action_source == "offline"


# --- input objects are never changed -----------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(
            {
                "event_name": "a",
                "pinterest": {"custom_data": {"value": 1}},
                "pinterest.custom_data.order_id": "o1",
            },
            id="a single event with nested and dot-notation settings",
        ),
        pytest.param(
            [{"pinterest": {"custom_data": {"value": 1}}, "pinterest.custom_data.x.y": 2}],
            id="an array of events with deep dot-notation keys",
        ),
        pytest.param(
            {
                "pinterest": {"custom_data": {"value": 1, "currency": "USD"}},
                "pinterest.custom_data.order_id": "shared",
                "events": [
                    {"pinterest": {"custom_data": {"value": 2}}, "pinterest.test": True},
                    {"pinterest.custom_data.value": 3},
                ],
            },
            id="a wrapper whose shared settings are merged into each event",
        ),
    ],
)
def test_split_events_does_not_change_its_input(document: Any) -> None:
    before = copy.deepcopy(document)
    parse.split_events(document)
    assert document == before


def test_changing_one_split_event_does_not_change_the_input_or_another_event() -> None:
    document = {"pinterest": {"test": True}, "events": [{"event_name": "a"}, {"event_name": "b"}]}
    before = copy.deepcopy(document)
    first, second = parse.split_events(document)
    first["event_name"] = "changed"
    first["pinterest"]["test"] = False
    assert document == before
    assert second["pinterest"] == {"test": True}


# --- properties -------------------------------------------------------------------------------------

_KEYS = st.sampled_from(
    [
        "events",
        "pinterest",
        "pinterest.test",
        "pinterest.custom_data.value",
        "pinterest.custom_data",
        "custom_data",
        "value",
        "test",
        "pinterest.",
    ]
) | st.text(max_size=5)
_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=5),
    max_leaves=30,
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(document=_JSON)
def test_any_json_gives_a_list_of_objects_or_a_gateway_error(document: Any) -> None:
    body = json.dumps(document).encode()
    before = copy.deepcopy(document)
    try:
        events = parse.split_events(parse.load_json(body))
    except GatewayError:
        return
    finally:
        assert document == before
    assert isinstance(events, list)
    assert 1 <= len(events) <= parse.MAX_EVENTS
    assert all(isinstance(event, dict) for event in events)
    assert all(isinstance(event.get("pinterest"), dict | None) for event in events)


@hypothesis_settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=64))
def test_any_bytes_parse_or_raise_a_bad_request(body: bytes) -> None:
    with contextlib.suppress(BadRequest):
        parse.load_json(body)


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        pytest.param(b'{"event_name": "a\\ud800b"}', False, id="a lone high surrogate in a value is refused"),
        pytest.param(b'{"x\\udc00": 1}', False, id="a lone low surrogate in a key is refused"),
        pytest.param(b'[{"a": [{"b": "\\uDFFF"}]}]', False, id="a nested lone surrogate is refused"),
        pytest.param(b'{"event_name": "smile \\ud83d\\ude00"}', True, id="a surrogate pair is an emoji"),
        pytest.param('{"event_name": "caf\u00e9 \U0001f600"}'.encode(), True, id="plain UTF-8 is fine"),
    ],
)
def test_unpaired_surrogate_escapes_are_refused(body: bytes, ok: bool) -> None:
    if ok:
        assert parse.load_json(body)
    else:
        with pytest.raises(BadRequest, match="unpaired UTF-16 surrogate"):
            parse.load_json(body)
