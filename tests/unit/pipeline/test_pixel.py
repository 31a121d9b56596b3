"""The tag pixel URL: the tag's event names, the same event_id, only digests, encoded as a query."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from function import limits
from function.pipeline import options
from function.pipeline.build import Context
from function.pipeline.pixel import TAG_EVENT_NAMES, pixel_url
from function.pipeline.request import Built, Refused, build_request

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
BASE = options.Options(event_name_setup="inherit", event_name="", action_source="web", test=False)
NOW = 1764000000
TAG_ID = "2612345678901"
RAW_EMAIL = "Jane.Doe+shop@Example.com"


def context(opts: options.Options) -> Context:
    return Context(options=opts, now=NOW, new_event_id=lambda: "generated-id")


def purchase(**changes: Any) -> dict[str, Any]:
    event = json.loads((GOLDEN / "purchase-input.json").read_text(encoding="utf-8"))
    event["user_data"]["email_address"] = RAW_EMAIL
    event.update({"event_time": NOW - 60, "pinterest": {"pixel_tag_id": TAG_ID}}, **changes)
    return event


def build(*events: dict[str, Any]) -> list[Built | Refused]:
    return build_request(json.dumps(list(events)).encode(), BASE, context)


def built(event: dict[str, Any]) -> Built:
    [item] = build(event)
    assert isinstance(item, Built), item
    return item


def query(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://ct.pinterest.com/v3/"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    assert len(pairs) == len(dict(pairs)), "no parameter twice"
    return dict(pairs)


def test_a_purchase_pixel_carries_the_built_event_s_id_digest_and_event_data() -> None:
    item = built(purchase())
    assert item.pixel_url is not None
    params = query(item.pixel_url)
    payload = item.payload
    assert params["event"] == "checkout"
    assert params["tid"] == TAG_ID
    assert params["ed[event_id]"] == payload["event_id"] == "evt-purchase-1"
    assert params["pd[em]"] == payload["user_data"]["em"][0]
    assert params["pd[em]"] == hashlib.sha256(RAW_EMAIL.strip().lower().encode()).hexdigest()
    assert params["ed[value]"] == payload["custom_data"]["value"] == "59.97"
    assert params["ed[currency]"] == "USD"
    assert params["ed[order_id]"] == "A-1001"
    assert params["ed[order_quantity]"] == str(payload["custom_data"]["num_items"])
    assert params["ed[line_items][0][product_id]"] == "SKU-1"
    assert params["ed[line_items][0][product_name]"] == "Linen shirt"
    assert params["ed[line_items][0][product_price]"] == "19.99"
    assert params["ed[line_items][0][product_quantity]"] == "2"
    assert params["ed[line_items][0][product_brand]"] == "Acme"
    assert params["ed[line_items][1][product_id]"] == "SKU-2"
    assert params["ad[loc]"] == payload["event_source_url"]
    assert params["ad[ref]"] == "https://shop.example.com/cart"
    assert params["noscript"] == "1"


def test_no_raw_user_value_reaches_the_url_only_digests() -> None:
    item = built(purchase())
    assert item.pixel_url is not None
    url = item.pixel_url.lower()
    for raw in ("jane", "example.com%2b", "650", "emile", "zola", "menlo", "customer-42", "female"):
        assert raw not in url
    keys = [key for key in query(item.pixel_url) if key.startswith("pd[")]
    assert keys == ["pd[em]"]


@pytest.mark.parametrize(("ga4_name", "tag_event"), [
    ("page_view", "pagevisit"), ("add_to_cart", "addtocart"), ("purchase", "checkout"),
    ("view_item_list", "viewcategory"), ("search", "search"), ("generate_lead", "lead"),
    ("sign_up", "signup"), ("something_else", "custom"),
])
def test_the_tag_s_own_event_names_are_used(ga4_name: str, tag_event: str) -> None:
    item = built(purchase(event_name=ga4_name))
    assert item.pixel_url is not None
    assert query(item.pixel_url)["event"] == tag_event


@pytest.mark.parametrize("ga4_name", ["view_item", "begin_checkout", "add_payment_info", "subscribe"])
def test_an_event_the_tag_has_no_name_for_gets_no_pixel(ga4_name: str) -> None:
    assert built(purchase(event_name=ga4_name)).pixel_url is None


def test_every_tag_name_is_lower_case_and_maps_a_standard_name() -> None:
    from function.pipeline.event_names import STANDARD_EVENT_NAMES
    assert set(TAG_EVENT_NAMES) <= STANDARD_EVENT_NAMES
    assert all(name.isalpha() and name.islower() for name in TAG_EVENT_NAMES.values())


def test_values_are_percent_encoded_and_read_back_whole() -> None:
    odd = "A&B=C #1/é?"
    item = built(purchase(event_id=odd, transaction_id=odd,
                          page_location="https://shop.example.com/p?a=1&b=2#top"))
    assert item.pixel_url is not None
    raw_query = urlsplit(item.pixel_url).query
    assert "#" not in item.pixel_url
    assert " " not in item.pixel_url
    assert "ed[event_id]=A%26B%3DC%20%231%2F%C3%A9%3F" in raw_query
    params = query(item.pixel_url)
    assert params["ed[event_id]"] == params["ed[order_id]"] == odd
    assert params["ad[loc]"] == "https://shop.example.com/p?a=1&b=2#top"


def test_line_items_stop_at_the_limit() -> None:
    items = [{"item_id": f"SKU-{n}", "price": 1, "quantity": 1} for n in range(limits.PIXEL_LINE_ITEMS + 5)]
    item = built(purchase(items=items))
    assert item.pixel_url is not None
    ids = [key for key in query(item.pixel_url) if key.endswith("[product_id]")]
    assert len(ids) == limits.PIXEL_LINE_ITEMS
    assert len(item.payload["custom_data"]["contents"]) == limits.PIXEL_LINE_ITEMS + 5  # the API gets all


def test_a_value_that_is_not_a_digest_is_never_put_in_the_url() -> None:
    event = {"event_name": "checkout", "action_source": "web", "event_id": "x",
             "user_data": {"em": ["not-a-digest@example.com"]}}
    url = pixel_url(event, TAG_ID)
    assert url is not None
    assert "pd[em]" not in url
    assert "example" not in url


def test_no_pixel_without_a_tag_id_in_test_mode_or_off_the_web() -> None:
    without = purchase()
    del without["pinterest"]
    assert built(without).pixel_url is None
    assert built(purchase(pinterest={"pixel_tag_id": TAG_ID, "test": True})).pixel_url is None
    assert built(purchase(pinterest={"pixel_tag_id": TAG_ID, "action_source": "offline"})).pixel_url is None


@pytest.mark.parametrize("tag_id", ["26123x", "1" * (limits.PIXEL_TAG_ID_DIGITS + 1), "٢٦١٢"])
def test_a_tag_id_that_is_not_digits_is_a_400_naming_the_key(tag_id: str) -> None:
    [item] = build(purchase(pinterest={"pixel_tag_id": tag_id}))
    assert isinstance(item, Refused)
    assert item.http_status == 400
    assert "pinterest.pixel_tag_id must be digits only" in item.reason
    assert tag_id not in item.reason


def test_consent_required_by_the_request_skips_an_event_without_ad_storage() -> None:
    denied = purchase(pinterest={"consent": "required"}, **{"x-ga-gcs": "G100"})
    [item] = build(denied)
    assert isinstance(item, Refused)
    assert (item.status, item.reason) == ("skipped", "consent")
    assert isinstance(build(purchase(pinterest={"consent": "required"}))[0], Built)  # G111 grants it
    assert isinstance(build(purchase(pinterest={"consent": "optional"}, **{"x-ga-gcs": "G100"}))[0], Built)


def _within_budget(url: str | None) -> dict[str, str]:
    assert url is not None
    assert len(url) <= limits.PIXEL_URL_CHARS
    return query(url)


def test_a_huge_referrer_is_left_out_and_the_rest_of_the_pixel_kept() -> None:
    # The review measured a 921 KB pixel_url: the page_referrer was copied whole.
    referrer = "https://ref.example.com/?" + "q" * 921_000
    item = built(purchase(page_referrer=referrer))
    params = _within_budget(item.pixel_url)
    assert "ad[ref]" not in params
    assert params["ed[event_id]"] == item.payload["event_id"]
    assert params["ad[loc]"] == item.payload["event_source_url"]
    assert params["ed[line_items][0][product_id]"] == item.payload["custom_data"]["contents"][0]["id"]


def test_a_usual_referrer_is_kept() -> None:
    params = _within_budget(built(purchase(page_referrer="https://www.example.com/p?q=1")).pixel_url)
    assert params["ad[ref]"] == "https://www.example.com/p?q=1"


def test_many_long_item_names_keep_the_first_line_items_that_fit_without_a_gap() -> None:
    # 20 items with names of 300 characters, each 1,800 when percent-encoded ("é" is %C3%A9): far
    # past the budget. The short referrer, last in line, still fits in what the items leave.
    name = "é" * 300
    items = [{"item_id": f"SKU-{n}", "item_name": name, "price": 1, "quantity": 1} for n in range(20)]
    item = built(purchase(items=items, page_referrer="https://www.example.com/"))
    params = _within_budget(item.pixel_url)
    ids = [value for key, value in params.items() if key.endswith("[product_id]")]
    assert 0 < len(ids) < 20
    assert ids == [f"SKU-{n}" for n in range(len(ids))]  # numbered from 0, in order
    assert all(params[f"ed[line_items][{n}][product_name]"] == name for n in range(len(ids)))
    assert params["ed[event_id]"] == item.payload["event_id"]
    assert params["ad[ref]"] == "https://www.example.com/"


def test_the_longest_values_an_event_may_have_still_give_a_pixel_within_the_budget() -> None:
    # An event_id of 256 four-byte characters (3,072 encoded, always kept whole), the longest
    # event_source_url, texts and line items, as a built event may hold them.
    text = "😀" * limits.TEXT_CHARS
    contents = [{"id": text, "item_name": text, "item_brand": text, "item_category": text,
                 "item_price": "1", "quantity": 1} for _ in range(limits.FIELD_ITEMS["contents"])]
    event_id = "😀" * limits.FIELD_CHARS["event_id"]
    page = "https://shop.example.com/?" + "a" * (limits.FIELD_CHARS["event_source_url"] - 26)
    event = {"event_name": "checkout", "action_source": "web", "event_id": event_id, "event_source_url": page,
             "user_data": {"em": [hashlib.sha256(b"jane@example.com").hexdigest()]},
             "custom_data": {"value": "1", "currency": "EUR", "order_id": text, "search_string": text,
                             "num_items": 500, "contents": contents}}
    params = _within_budget(pixel_url(event, TAG_ID, "https://ref.example.com/?" + "b" * 8000))
    assert params["ed[event_id]"] == event_id
    assert (params["event"], params["tid"], params["noscript"]) == ("checkout", TAG_ID, "1")
    assert params["ed[value]"] == "1"
    assert "ed[order_id]" not in params  # 12,000 characters encoded: left out, not cut
