"""The Pinterest event as the logs keep it: what is cut, what is reduced, what stays."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from function.logs import payload
from function.logs.journal import EventRecord
from function.logs.payload import NOT_AN_ADDRESS, NOT_HASHED, WITHHELD, loggable
from function.logs.scrub import scrub

DIGEST = "a" * 64
CHROME = ("Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36")


def event(**custom: object) -> dict:
    return {
        "event_name": "checkout", "action_source": "web", "event_time": 1_800_000_000, "event_id": "A-1001",
        "event_source_url": "https://shop.example/thanks?email=jane%40example.org&phone=%2B14155550142"
                            "&first_name=Jane&utm_source=news&utm_content=jane%40example.org&epik=dj0yJnU9"
                            "&gclid=Cj0KCQiA12345678#token=abc",
        "user_data": {"em": [DIGEST], "client_ip_address": "203.0.113.77", "client_user_agent": CHROME,
                      "click_id": "dj0yJnU9AbC"},
        "custom_data": {"order_id": "100234567", "search_string": "jane doe 12 elm street",
                        "value": "1250000", "content_name": "Mug for +1 (415) 555-0142", **custom},
    }


def test_the_page_url_keeps_campaign_tags_and_click_ids_and_only_the_names_of_other_parameters() -> None:
    assert loggable(event())["event_source_url"] == (
        "https://shop.example/thanks?email=&phone=&first_name=&utm_source=news&utm_content=[email]"
        "&epik=dj0yJnU9&gclid=Cj0KCQiA12345678")


@pytest.mark.parametrize(("url", "kept"), [
    pytest.param("https://ann:secret@shop.example:8443/a", "https://shop.example:8443/a",
                 id="credentials cut"),
    pytest.param("https://shop.example/account/jane%40example.org/orders",
                 "https://shop.example/account/[email]/orders", id="an e-mail in the path"),
    pytest.param("https://[2001:db8::1]/x?q=1", "https://[2001:db8::1]/x?q=", id="an IPv6 host"),
    pytest.param("http://[::1", WITHHELD, id="no URL at all"),
])
def test_page_urls_lose_what_can_name_a_person(url: str, kept: str) -> None:
    assert loggable({"event_source_url": url}) == {"event_source_url": kept}


@pytest.mark.parametrize(("address", "kept"), [
    ("203.0.113.77", "203.0.113.0/24"),
    ("2001:db8:abcd:12:3456::7", "2001:db8:abcd::/48"),
    ("::ffff:203.0.113.9", "203.0.113.0/24"),
    ("jane@example.org", NOT_AN_ADDRESS),
])
def test_client_addresses_keep_only_their_network(address: str, kept: str) -> None:
    assert loggable({"user_data": {"client_ip_address": address}})["user_data"]["client_ip_address"] == kept


@pytest.mark.parametrize(("agent", "kept"), [
    (CHROME, "Mozilla/5 AppleWebKit/537 Chrome/120 Mobile Safari/537"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/15E148 [Pinterest/iOS] JaneApp-user-42/3.1 Chrome/4155550142",
     "Mozilla/5 AppleWebKit/605 Mobile/15 Chrome"),
    ("curl/8.4.0", WITHHELD),
])
def test_user_agents_keep_browser_and_engine_names_with_their_major_version(agent: str, kept: str) -> None:
    assert loggable({"user_data": {"client_user_agent": agent}})["user_data"]["client_user_agent"] == kept


def test_hashed_fields_keep_digests_and_nothing_else() -> None:
    assert loggable({"user_data": {"em": [DIGEST, "jane@example.org", DIGEST.upper()]}}) == {
        "user_data": {"em": [DIGEST, NOT_HASHED, NOT_HASHED]}}


def test_ids_and_amounts_keep_their_digits_free_text_loses_phones_and_search_terms_are_withheld() -> None:
    custom = loggable(event(contents=[{"id": "SKU-12345678", "item_price": "1234567.00",
                                       "item_name": "Hat for jane@example.org"}]))["custom_data"]
    assert custom == {"order_id": "100234567", "search_string": WITHHELD, "value": "1250000",
                      "content_name": "Mug for [digits]",
                      "contents": [{"id": "SKU-12345678", "item_price": "1234567.00",
                                    "item_name": "Hat for [email]"}]}
    assert loggable({"event_id": "jane@example.org", "custom_data": {"order_id": "jane@example.org"}}) == {
        "event_id": "[email]", "custom_data": {"order_id": "[email]"}}


def test_the_rule_is_stable_when_applied_again() -> None:
    once = loggable(event())
    assert loggable(once) == once


def test_a_record_holds_the_kept_form_whatever_made_it() -> None:
    record = EventRecord(outcome="failed", event_id="jane@example.org", payload=event(),
                         reason="Pinterest: bad value jane@example.org")
    text = json.dumps([record.payload, record.event_id, record.reason])
    for raw in ("jane", "4155550142", "555-0142", "203.0.113.77", "SM-S918B", "elm street"):
        assert raw not in text, raw
    assert record.payload["user_data"]["em"] == [DIGEST]


@pytest.mark.parametrize("text", [
    "203.0.113.77", " 198.51.100.9\n", "0.0.0.0", "255.255.255.255", "10.0.0.1",  # noqa: S104 - data
    "01.2.3.4", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4/16", "1.2.3.4/32", "::ffff:192.0.2.1",
    "2001:db8::1", "", "not an address", "+1.2.3.4",
])
def test_a_client_address_is_reduced_alike_whichever_way_it_is_read(text: str) -> None:
    # plain IPv4 addresses take a shortcut; it must give what the general rule gives
    logged = loggable({"user_data": {"client_ip_address": text}})["user_data"]["client_ip_address"]
    assert logged == payload._any_network(text)


def _every_value_by_the_rule(rule: Callable[[str], str], value: Any) -> Any:
    """The copy as the rule states it: every string by its key's rule, every object and array walked."""
    if isinstance(value, str):
        return rule(value)
    if isinstance(value, Mapping):
        return {key: _every_value_by_the_rule(payload._RULES.get(key, scrub), item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_every_value_by_the_rule(rule, item) for item in value]
    return value


_KEYS = st.sampled_from([*payload._RULES, "content_name", "contents", "user_data", "custom_data", "x"])
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
    | st.sampled_from(["203.0.113.77", DIGEST, CHROME, "https://a.example/p?utm_source=x&epik=y",
                       "a@b.example"]),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=20)


@given(_VALUES)
@settings(max_examples=300, deadline=None)
def test_the_copy_keeps_strings_and_numbers_without_a_call_of_their_own_alike(value: Any) -> None:
    # the walk's shortcut for strings and numbers inside objects and arrays gives what the rule says
    assert loggable(value) == _every_value_by_the_rule(scrub, value)
