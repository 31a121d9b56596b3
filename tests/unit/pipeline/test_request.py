"""One request's events: each built or refused on its own, in order, under the options it names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from function import limits
from function.errors import BadRequest, PayloadTooLarge
from function.pipeline import options
from function.pipeline.build import Context
from function.pipeline.request import Built, Refused, build_request

BASE = options.Options(event_name_setup="inherit", event_name="", action_source="web", test=False)
NOW = 1764000000


def context(opts: options.Options) -> Context:
    return Context(options=opts, now=NOW, new_event_id=lambda: "generated")


def run(body: Any) -> list[Built | Refused]:
    return build_request(json.dumps(body).encode(), BASE, context)


def event(name: str, **fields: Any) -> dict[str, Any]:
    return {"event_name": name, "email": "jane@example.com", **fields}


def test_one_bad_event_does_not_sink_the_others() -> None:
    found = run({"events": [
        event("page_view", event_id="a"),
        event("purchase", event_id="b", pinterest={"test": "maybe"}),
        event("page_view", event_id="c", page_location="https://gtm-msr.appspot.com/x"),
        event("generate_lead", event_id="d"),
    ]})
    assert [(type(item).__name__, item.position) for item in found] == [
        ("Built", 0), ("Refused", 1), ("Refused", 2), ("Built", 3)]
    invalid, skipped = found[1], found[2]
    assert isinstance(invalid, Refused)
    assert isinstance(skipped, Refused)
    assert (invalid.status, invalid.http_status) == ("invalid", 400)
    assert invalid.reason == "events[1]: pinterest.test must be true or false"
    assert (skipped.status, skipped.reason) == ("skipped", "synthetic GTM monitoring traffic")
    assert [item.payload["event_id"] for item in found if isinstance(item, Built)] == ["a", "d"]


def test_a_single_event_s_refusal_names_no_index() -> None:
    [refused] = run(event("purchase", pinterest={"test": "maybe"}))
    assert isinstance(refused, Refused)
    assert refused.reason == "pinterest.test must be true or false"


def test_each_event_is_built_under_the_options_it_names_and_keeps_its_ga4_name() -> None:
    found = run({"events": [event("purchase", pinterest={"test": True}), event("page_view")]})
    assert [(item.options.test, item.ga4_event_name) for item in found if isinstance(item, Built)] == [
        (True, "purchase"), (False, "page_view")]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(b"{not json", BadRequest, id="a body that is not JSON"),
        pytest.param(b"[]", BadRequest, id="a request without events"),
        pytest.param(json.dumps([event("generate_lead")] * 1001).encode(), BadRequest,
                     id="more events than one Pinterest call takes"),
        pytest.param(b" " * (limits.MAX_BODY_BYTES + 1), PayloadTooLarge, id="a body over the size limit"),
    ],
)
def test_a_body_that_cannot_be_read_refuses_the_whole_request(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        build_request(body, BASE, context)


def test_a_refused_event_keeps_its_ids_and_names() -> None:
    old = event("purchase", transaction_id="T-1", event_time=1700000000)
    found = run({"events": [old, event("purchase", event_id="E-2", transaction_id="T-2",
                                       page_location="https://gtm-msr.appspot.com/x")]})
    assert [(type(item).__name__, item.event_id, item.event_name, item.ga4_event_name) for item in found] == [
        ("Refused", "T-1", "checkout", "purchase"), ("Refused", "E-2", "checkout", "purchase")]


def test_a_refused_event_names_its_id_from_the_override_first() -> None:
    found = run(event("purchase", transaction_id="T-1", event_time=1700000000,
                      pinterest={"server_event_data": {"event_id": "O-1"}}))
    assert isinstance(found[0], Refused)
    assert found[0].event_id == "O-1"


def test_an_over_long_event_id_is_not_kept_with_its_refusal() -> None:
    found = run(event("purchase", event_id="x" * (limits.FIELD_CHARS["event_id"] + 1)))
    assert isinstance(found[0], Refused)
    assert (found[0].event_id, found[0].event_name) == (None, "checkout")


def test_a_name_the_rules_refuse_is_not_kept() -> None:
    found = run({"event_name": "purchase", "email": "jane@example.com", "event_id": "E-1",
                 "pinterest": {"event_map": {"purchase": "not a name!"}}})
    assert isinstance(found[0], Refused)
    assert (found[0].event_id, found[0].event_name, found[0].ga4_event_name) == ("E-1", None, "purchase")


@pytest.mark.parametrize(("fields", "source"), [
    pytest.param({"event_id": "e-1", "transaction_id": "T-1"}, "event_id", id="the site's event_id"),
    pytest.param({"transaction_id": "T-1"}, "transaction_id", id="the order's transaction_id"),
    pytest.param({"transaction_id": "T-1", "pinterest": {"server_event_data": {"event_id": "o-1"}}},
                 "event_id", id="the override is the site's own id"),
    pytest.param({"event_id": {"not": "text"}, "transaction_id": 1001}, "transaction_id",
                 id="an event_id that is no text falls to transaction_id, as in the build"),
    pytest.param({"event_id": "  ", "transaction_id": "undefined"}, "generated", id="blank ids are none"),
    pytest.param({}, "generated", id="no id at all"),
])
def test_a_built_event_says_where_its_event_id_came_from(fields: dict[str, Any], source: str) -> None:
    [built] = run(event("purchase", **fields))
    assert isinstance(built, Built)
    assert built.event_id_source == source
    sent = built.payload["event_id"]
    assert (sent == "generated") == (source == "generated")
