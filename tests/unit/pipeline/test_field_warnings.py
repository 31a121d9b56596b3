"""Warnings: every value an event had and the gateway did not send as given (issue 14, item 1).

One test per rule: the field is named by Pinterest's path, the reason by the input's path and the
rule, and the value itself never appears in a warning.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from function import limits
from function.outcomes import Outcome
from function.pipeline import options
from function.pipeline.build import Context
from function.pipeline.request import Built, Refused, build_request

NOW = 1764000000
BASE = options.Options("inherit", "", "web", False)
EMAIL = "jane.doe@example.com"


def _run(body: Any) -> list[Built | Refused]:
    return build_request(json.dumps(body).encode(), BASE,
                         lambda opts: Context(options=opts, now=NOW, new_event_id=lambda: "gen-1"))


def _one(**event: Any) -> Built | Refused:
    [found] = _run({"event_name": "purchase", "transaction_id": "T-1", "user_data": {"email_address": EMAIL},
                    **event})
    return found


def _built(**event: Any) -> Built:
    found = _one(**event)
    assert isinstance(found, Built), found
    return found


def _warned(found: Built | Refused) -> dict[str, str]:
    return {warning.field: warning.reason for warning in found.warnings}


def _custom(built: Built) -> dict[str, Any]:
    custom: dict[str, Any] = built.payload.get("custom_data", {})
    return custom


def test_an_event_with_nothing_dropped_has_no_warnings() -> None:
    built = _built(value="59.97", currency="usd", items=[{"item_id": "A", "price": "19.99", "quantity": 3}],
                   country="GB", phone="020 7946 0958")
    assert built.warnings == ()


@pytest.mark.parametrize(
    ("raw", "sent"),
    [
        pytest.param("12,50", "12.5", id="a decimal comma"),
        pytest.param("1.234,56", "1234.56", id="dots grouping thousands and a decimal comma"),
        pytest.param("1,234.56", "1234.56", id="commas grouping thousands and a decimal point"),
    ],
)
def test_money_written_with_an_unambiguous_comma_is_read_without_a_warning(raw: str, sent: str) -> None:
    built = _built(value=raw)
    assert (_custom(built)["value"], built.warnings) == (sent, ())


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        pytest.param("1,234", "is ambiguous", id="a comma before three digits"),
        pytest.param("12 EUR", "must be a number", id="a currency after the number"),
        pytest.param(True, "must be a number, not true or false", id="a boolean"),
    ],
)
def test_unparseable_money_is_a_warning_on_custom_data_value(raw: Any, rule: str) -> None:
    built = _built(value=raw)
    assert "value" not in _custom(built)
    assert _warned(built)["custom_data.value"].startswith(f"value {rule}")
    assert _warned(built)["custom_data.value"].endswith("; not sent")


def test_a_currency_that_is_no_iso_4217_code_is_a_warning() -> None:
    built = _built(currency="DOLLARS")
    assert "currency" not in _custom(built)
    assert _warned(built) == {"custom_data.currency": "currency is not an ISO 4217 currency code (USD, EUR); "
                                                      "not sent"}


def test_an_item_price_that_is_no_number_drops_the_price_not_the_contents() -> None:
    built = _built(items=[{"item_id": "A", "price": "ten", "quantity": 2}, {"item_id": "B", "price": 3}])
    assert _custom(built)["contents"] == [{"id": "A", "quantity": 2},
                                          {"id": "B", "item_price": "3", "quantity": 1}]
    warned = _warned(built)
    assert warned["custom_data.contents[0].item_price"] == \
        "items[0].price must be a number such as 12 or 12.5; not sent"
    # No total rather than a wrong one, and that is said too, as the value came from the items.
    assert "value" not in _custom(built)
    assert warned["custom_data.value"] == \
        "items holds a price that is not a number, so the items' total is not sent"


def test_the_items_total_is_not_warned_of_when_the_value_comes_from_elsewhere() -> None:
    built = _built(value=10, items=[{"item_id": "A", "price": "ten"}])
    assert _custom(built)["value"] == "10"
    assert set(_warned(built)) == {"custom_data.contents[0].item_price"}


def test_an_unusable_quantity_is_sent_as_one_with_a_warning() -> None:
    built = _built(items=[{"item_id": "A", "quantity": "lots"}])
    assert _custom(built)["contents"] == [{"id": "A", "quantity": 1}]
    assert _warned(built)["custom_data.contents[0].quantity"].endswith("; 1 sent instead")


def test_an_item_that_is_not_an_object_is_a_warning() -> None:
    built = _built(items=["SKU-1", {"item_id": "B"}])
    assert _custom(built)["contents"] == [{"id": "B", "quantity": 1}]
    assert _warned(built) == {"custom_data.contents": "items[0] is not an object; not sent"}


def test_items_that_are_all_unusable_are_still_warned_of() -> None:
    built = _built(items=["SKU-1", 7])
    assert "contents" not in _custom(built)
    assert [w.reason for w in built.warnings] == ["items[0] is not an object; not sent",
                                                  "items[1] is not an object; not sent"]


@pytest.mark.parametrize(
    ("event", "field", "reason"),
    [
        pytest.param({"phone": "(650) 555-1212"}, "user_data.ph", "phone cannot be placed",
                     id="a national phone without the user's country"),
        pytest.param({"user_data": {"email_address": [EMAIL, "jane.doe"]}}, "user_data.em",
                     "user_data.email_address holds a value that is not an e-mail address",
                     id="one e-mail of a list without an at sign"),
        pytest.param({"country": "Narnia"}, "user_data.country", "country is not an ISO 3166 country",
                     id="an unknown country"),
        pytest.param({"state": "!!"}, "user_data.st", "state has no letters or digits",
                     id="a state of punctuation"),
        pytest.param({"gender": "x"}, "user_data.ge", "gender is not a gender Pinterest takes",
                     id="an unknown gender"),
        pytest.param({"db": "1990-13-45"}, "user_data.db", "db is not a calendar date",
                     id="no calendar date"),
        pytest.param({"language": "zz-ZZ"}, "language", "language is not an ISO 639-1 language code",
                     id="an unknown language"),
        pytest.param({"event_time": "2025-11-24T15:00:00"}, "event_time",
                     "event_time is an ISO-8601 time without a timezone", id="a time without its timezone"),
    ],
)
def test_a_value_its_normalizer_refuses_is_a_warning(event: dict[str, Any], field: str, reason: str) -> None:
    built = _built(**event)
    assert _warned(built)[field].startswith(reason)
    assert _warned(built)[field].endswith("; not sent")


def test_a_phone_placed_by_the_users_country_is_not_warned_of() -> None:
    built = _built(phone="(650) 555-1212", country="US")
    assert built.payload["user_data"]["ph"]
    assert built.warnings == ()


def test_several_refused_values_of_one_list_are_one_warning() -> None:
    built = _built(user_data={"email_address": [EMAIL, "a", "b"]})
    assert [w.field for w in built.warnings] == ["user_data.em"]


def test_a_refused_event_keeps_the_warnings_that_explain_it() -> None:
    found = _one(user_data={"email_address": "jane.doe"})
    assert isinstance(found, Refused)
    assert found.status == Outcome.INVALID
    assert _warned(found) == {"user_data.em": "user_data.email_address is not an e-mail address "
                                              "(name@domain); not sent"}


def test_an_override_its_normalizer_refuses_is_a_warning_not_a_400() -> None:
    built = _built(pinterest={"custom_data": {"currency": "DOLLARS"}})
    assert _warned(built) == {"custom_data.currency": "pinterest.custom_data.currency is not an ISO 4217 "
                                                      "currency code (USD, EUR); not sent"}


def test_a_shared_override_warns_every_event_it_reaches() -> None:
    events = [{"event_name": "purchase", "email": EMAIL}, {"event_name": "lead", "email": EMAIL}]
    found = _run({"events": events, "pinterest": {"user_data": {"ph": "555-1212"}}})
    assert [[w.field for w in item.warnings] for item in found] == [["user_data.ph"], ["user_data.ph"]]


def test_a_contents_override_key_pinterest_does_not_have_is_a_warning() -> None:
    built = _built(pinterest={"custom_data": {"contents": [{"id": "z", "price": 7, "colour": "red"}]}})
    assert _custom(built)["contents"] == [{"id": "z", "quantity": 1}]
    warned = _warned(built)
    assert warned["custom_data.contents[0].price"].endswith("; not sent (did you mean item_price?)")
    assert warned["custom_data.contents[0].colour"].startswith(
        "pinterest.custom_data.contents[0].colour is not a key of Pinterest's contents (id, item_price,")


def test_a_flattened_contents_override_as_json_text_is_warned_of_too() -> None:
    built = _built(**{"pinterest_custom_data_contents": '[{"id": "z", "colour": "red"}]'})
    assert set(_warned(built)) == {"custom_data.contents[0].colour"}


@pytest.mark.parametrize(
    ("target", "hint"),
    [
        pytest.param("WatchVideo", "; did you mean watch_video?", id="camel case of a standard name"),
        pytest.param("Purchase", "; did you mean checkout?", id="a GA4 name Pinterest names otherwise"),
        pytest.param("newsletter_optin", "", id="an advertiser-defined name like no standard one"),
    ],
)
def test_an_event_map_target_that_is_no_standard_name_is_sent_and_warned_of(target: str, hint: str) -> None:
    built = _built(pinterest={"event_map": {"purchase": target}})
    assert built.payload["event_name"] == target
    assert _warned(built) == {
        "event_name": f"pinterest.event_map gives {target}, which is none of Pinterest's "
                      f"22 standard event names: sent as an advertiser-defined name{hint}"}


def test_an_event_map_target_that_is_a_standard_name_is_not_warned_of() -> None:
    assert _built(pinterest={"event_map": {"purchase": "watch_video"}}).warnings == ()


CANARIES = {
    "email": "canary.person.no.at.sign", "phone": "555 0199 canary", "country": "Canarystan",
    "state": "!!!", "gender": "canary-gender", "db": "canary-1990", "currency": "CANARYCOIN",
    "value": "1,234", "language": "canary-lang",
    "items": [{"item_id": "A", "price": "canary-price", "quantity": "canary-quantity"}],
}


def test_no_warning_repeats_the_value_it_is_about() -> None:
    built = _built(**CANARIES)
    assert len(built.warnings) >= len(CANARIES)
    text = json.dumps([w.as_json() for w in built.warnings])
    assert "canary" not in text.lower()
    assert "1,234" not in text


def _unknown_keys_override(items: int) -> dict[str, Any]:
    """A shared contents override whose every item has 4 keys Pinterest's contents do not have."""
    return {"custom_data": {"contents": [{"id": str(n), "colour": "red", "size": "M", "fit": "slim",
                                          "pattern": "plain"} for n in range(items)]}}


def test_an_event_lists_at_most_the_limit_of_warnings_then_says_how_many_more() -> None:
    # The review's body: 1000 events sharing 300 items of 4 unknown keys gave 1,200 warnings each.
    events = [{"event_name": "purchase", "email": EMAIL} for _ in range(1000)]
    found = _run({"events": events, "pinterest": _unknown_keys_override(300)})
    assert all(isinstance(item, Built) for item in found)
    limit = limits.WARNINGS_PER_EVENT
    for item in found:
        assert len(item.warnings) == limit + 1
        assert [w.field for w in item.warnings[:4]] == [f"custom_data.contents[0].{key}"
                                                        for key in ("colour", "size", "fit", "pattern")]
        assert item.warnings[-1].as_json() == {
            "field": "warnings", "reason": f"{1200 - limit} more warnings not listed "
                                           f"(at most {limit} are listed per event)"}
        assert len(json.dumps([w.as_json() for w in item.warnings])) < 8 << 10


def test_warnings_are_counted_once_each_before_the_limit() -> None:
    # 5 items of 4 unknown keys are exactly the limit: nothing is said to be left out. Three refused
    # e-mails of one list are one warning more, not three.
    items = limits.WARNINGS_PER_EVENT // 4
    built = _built(pinterest=_unknown_keys_override(items),
                   user_data={"email_address": [EMAIL, "a", "b", "c"]})
    assert len(built.warnings) == limits.WARNINGS_PER_EVENT + 1
    assert built.warnings[-1].reason.startswith("1 more warnings not listed")
    exact = _built(pinterest=_unknown_keys_override(items))
    assert len(exact.warnings) == limits.WARNINGS_PER_EVENT
    assert all(w.field != "warnings" for w in exact.warnings)
