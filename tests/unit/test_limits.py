"""Request limits: one request costs memory and CPU in proportion to its body, and a limit broken is a 400.

The bodies are those that took the data path to hundreds of MB or tens of seconds: a request-wide
`pinterest` object copied into 1000 events, and over-long values. Each gets its 400 (the request's,
or every event's) within 1 s of CPU and 50 MB of Python allocations (tracemalloc), the whole data path
included: parse, options, build, sizes.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from typing import Any

import pytest

from function import limits
from function.errors import BadRequest
from function.pipeline import options
from function.pipeline.build import Context
from function.pipeline.request import Built, Refused, build_request
from tests.amplifiers import AMPLIFIERS, event, shared_body

BASE = options.Options(event_name_setup="inherit", event_name="", action_source="web", test=False)
NOW = 1764000000
CPU_BOUND_S = 1.0
PEAK_BOUND_BYTES = 50 * 1024 * 1024


def _context(opts: options.Options) -> Context:
    return Context(options=opts, now=NOW, new_event_id=lambda: "generated")


def _run(body: bytes) -> list[Built | Refused] | BadRequest:
    try:
        return build_request(body, BASE, _context)
    except BadRequest as exc:
        return exc


def _bounded(found: list[Built | Refused] | BadRequest) -> None:
    """A 400 for the request, or for each event; events that pass are within the per-event limit."""
    if isinstance(found, BadRequest):
        assert "at most" in str(found)
        return
    for item in found:
        if isinstance(item, Refused):
            assert item.http_status == 400, item.reason
            assert "at most" in item.reason, item.reason
        else:
            assert len(json.dumps(item.payload, separators=(",", ":"))) <= limits.MAX_EVENT_BYTES


@pytest.mark.parametrize("name", AMPLIFIERS)
def test_an_amplifying_body_is_refused_within_a_second_of_cpu(name: str) -> None:
    body = AMPLIFIERS[name]
    assert len(body) <= limits.MAX_BODY_BYTES
    started = time.process_time()
    found = _run(body)
    spent = time.process_time() - started
    _bounded(found)
    assert spent < CPU_BOUND_S, f"{name}: {spent:.2f} s of CPU"


@pytest.mark.parametrize("name", AMPLIFIERS)
def test_an_amplifying_body_is_refused_within_bounded_memory(name: str) -> None:
    tracemalloc.start()
    try:
        found = _run(AMPLIFIERS[name])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _bounded(found)
    assert peak < PEAK_BOUND_BYTES, f"{name}: peak {peak / 1e6:.0f} MB"


def test_shared_settings_over_a_limit_name_the_key_and_the_limit() -> None:
    found = _run(AMPLIFIERS["2000 shared e-mails"])
    assert isinstance(found, list)
    assert {item.reason.split(": ", 1)[1] for item in found if isinstance(item, Refused)} == {
        "pinterest.user_data.em holds 2000 items; at most 20 are accepted"}


def test_a_shared_event_map_over_the_limit_names_it() -> None:
    found = _run(shared_body({"event_map": {f"e{i}": "lead" for i in range(201)}}, events=2))
    assert [item.reason for item in found if isinstance(item, Refused)] == [
        f"events[{i}]: pinterest.event_map holds 201 entries; at most 200 are accepted" for i in range(2)]


def test_shared_settings_copied_past_the_request_budget_refuse_the_request() -> None:
    found = _run(AMPLIFIERS["shared settings within the field limits"])
    assert isinstance(found, BadRequest)
    assert str(found).startswith("the events of this request come to more bytes than the "
                                 f"{limits.MAX_REQUEST_EVENT_BYTES} at most accepted per request")


def test_shared_settings_are_cleaned_once_and_give_what_per_event_cleaning_gave() -> None:
    shared = {"user_data": {"em": ["A@example.com", "b@example.com"], "ph": "+1 650 555 1212"},
              "custom_data": {"contents": [{"id": "SKU-1", "item_price": 3}]},
              "event_map": {"Purchase": "lead"}}
    together = _run(shared_body(shared, events=3))
    apart = [_run(json.dumps({"events": [event()], "pinterest": shared}).encode()) for _ in range(3)]
    assert isinstance(together, list)
    assert [item.payload for item in together] == [run[0].payload for run in apart]  # type: ignore[index,union-attr]
    assert together[0].payload["event_name"] == "lead"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("over", "message"),
    [
        pytest.param(event(event_id="e" * 900_000),
                     "event_id holds 900000 characters; at most 256 are accepted", id="event_id"),
        pytest.param(event(event_name="n" * 900_000),
                     "event_name holds 900000 characters; at most 100 are accepted", id="GA4 event name"),
        pytest.param(event(transaction_id="t" * 300),
                     "transaction_id holds 300 characters; at most 256 are accepted for event_id",
                     id="the event_id from transaction_id"),
        pytest.param(event(user_agent="u" * 16385),
                     "user_agent holds 16385 characters; at most 16384 are accepted for client_user_agent",
                     id="user agent, Pinterest's app_info bound"),
        pytest.param(event(email=[f"u{i}@example.com" for i in range(21)]),
                     "email holds 21 items; at most 20 are accepted for em", id="hashed list"),
        pytest.param(event(items=[{"item_id": str(i)} for i in range(501)]),
                     "contents holds 501 items; at most 500 are accepted", id="items"),
        pytest.param(event(pinterest={"event_name": "c" * 101}),
                     "pinterest.event_name holds 101 characters; at most 100 are accepted",
                     id="event name option"),
        pytest.param(event(pinterest={"tag_name": "t" * 201}),
                     "pinterest.tag_name holds 201 characters; at most 200 are accepted", id="tag name"),
        pytest.param(event(pinterest={"event_map": {"purchase": "l" * 101}}),
                     "pinterest.event_map holds a name of 101 characters; at most 100 are accepted",
                     id="event map name"),
        pytest.param(event(items=[{"item_id": str(i), "item_name": "n" * 200} for i in range(400)]),
                     "the event comes to ", id="event size"),
    ],
)
def test_one_event_over_a_limit_is_a_400_naming_the_key_and_the_limit(over: dict[str, Any],
                                                                       message: str) -> None:
    found = _run(json.dumps(over).encode())
    assert isinstance(found, list)
    [refused] = found
    assert isinstance(refused, Refused)
    assert refused.http_status == 400
    assert refused.reason.startswith(message), refused.reason
    assert "nnnnnnnnnn" not in refused.reason
    assert "eeeeeeeeee" not in refused.reason


def test_an_event_at_every_limit_is_built() -> None:
    at_limits = event(event_id="e" * 256, event_name="n" * 100, user_agent="u" * 16384,
                      email=[f"u{i}@example.com" for i in range(20)],
                      items=[{"item_id": str(i)} for i in range(500)])
    [built] = _run(json.dumps(at_limits).encode())  # type: ignore[misc]
    assert isinstance(built, Built)
    assert built.payload["event_id"] == "e" * 256
    assert built.ga4_event_name == "n" * 100
    assert len(built.payload["custom_data"]["content_ids"]) == 500


def test_an_over_long_ga4_name_is_not_kept_with_the_refusal() -> None:
    [refused] = _run(json.dumps(event(event_name="n" * 101)).encode())  # type: ignore[misc]
    assert isinstance(refused, Refused)
    assert refused.ga4_event_name is None


def test_a_shared_national_phone_is_placed_by_each_events_own_country() -> None:
    body = json.dumps({"events": [event(country="US"), event(country="GB"), event(country="US")],
                       "pinterest": {"user_data": {"ph": "020 7946 0018"}}}).encode()
    together = _run(body)
    apart = [_run(json.dumps({"events": [one], "pinterest": {"user_data": {"ph": "020 7946 0018"}}}).encode())
             for one in (event(country="US"), event(country="GB"), event(country="US"))]
    phones = [item.payload["user_data"].get("ph") for item in together]  # type: ignore[union-attr]
    assert phones == [run[0].payload["user_data"].get("ph") for run in apart]  # type: ignore[index,union-attr]
    assert phones[0] == phones[2] != phones[1]  # a UK number: placed in GB, not in the US (warned)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("549000000001", True, id="digits are an ad account id"),
        pytest.param("", False, id="an empty string is not an ad account id"),
        pytest.param("549 000", False, id="a space is not allowed in an ad account id"),
        pytest.param("123456789012345678", True, id="18 digits are allowed, as Pinterest allows"),
        pytest.param("1234567890123456789", False, id="19 digits are not"),
        pytest.param("549000000001\n", False, id="a trailing newline is not allowed"),
    ],
)
def test_is_ad_account_id(value: str, expected: bool) -> None:
    assert limits.is_ad_account_id(value) is expected
