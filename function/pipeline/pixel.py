"""The Pinterest tag's pixel URL for an event as built, for the browser to load with the same event_id.

A server-side GTM tag cannot run Pinterest's JavaScript tag, but it can have the visitor's browser
load an image: `https://ct.pinterest.com/v3/?event=…&tid=…`, the request Pinterest's `<noscript>`
image tag makes, its data as bracketed keys (`ed[value]=…`; the JavaScript tag sends the same
objects as JSON in `ed=`, `pd=`, `ad=`). Pinterest deduplicates it with the Conversions API event
by their shared event_id. It is built here, from the built event, so the tag and the Conversions
API read one field table: user data only as the digests already sent (`pd[...]`), event data
(`ed[...]`), automatic data (`ad[...]`).
Help: help.pinterest.com "Pinterest tag parameters and cookies" (tid, event, ed, ad[loc], ad[ref],
pd[em]); "Add event codes" (the tag's event names).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from function import limits
from function.pipeline.normalize import is_sha256

PIXEL_URL = "https://ct.pinterest.com/v3/"

# Conversions API event name → the tag's name for the same event. The tag knows these nine; an
# event of another name gets no pixel (the tag would count it as a user-defined audience event,
# which Pinterest does not report as a conversion nor deduplicate with the API's).
TAG_EVENT_NAMES: dict[str, str] = {
    "page_visit": "pagevisit",
    "view_category": "viewcategory",
    "search": "search",
    "add_to_cart": "addtocart",
    "checkout": "checkout",
    "watch_video": "watchvideo",
    "signup": "signup",
    "lead": "lead",
    "custom": "custom",
}

# ed[<tag key>] ← custom_data[<Conversions API key>].
EVENT_DATA: tuple[tuple[str, str], ...] = (
    ("value", "value"),
    ("currency", "currency"),
    ("order_id", "order_id"),
    ("order_quantity", "num_items"),
    ("search_query", "search_string"),
)
# ed[line_items][i][<tag key>] ← custom_data.contents[i][<Conversions API key>].
LINE_ITEM: tuple[tuple[str, str], ...] = (
    ("product_id", "id"),
    ("product_name", "item_name"),
    ("product_price", "item_price"),
    ("product_quantity", "quantity"),
    ("product_category", "item_category"),
    ("product_brand", "item_brand"),
)
# pd[<tag key>] ← user_data[<Conversions API key>]: the partner data the tag documents, hashed.
PARTNER_DATA: tuple[tuple[str, str], ...] = (("em", "em"),)


def pixel_url(event: Mapping[str, Any], tag_id: str, referrer: str | None = None) -> str | None:
    """The tag pixel for a built web event; None when the tag has no event of its name.

    `tag_id` is digits (options.pixel_tag_id_option); `referrer` is the page's referrer, which the
    built event does not carry. The URL is at most PIXEL_URL_CHARS long: the event's name, tag and
    id always; then, while there is room, each event value, the digest and the page, then the line
    items from the first on, then the referrer (see limits.PIXEL_VALUE_CHARS for one long value).
    """
    name = TAG_EVENT_NAMES.get(event.get("event_name", ""))
    if name is None or event.get("action_source") != "web":
        return None
    custom = event.get("custom_data") or {}
    user = event.get("user_data") or {}
    head = [_pair("event", name, whole=True), _pair("tid", tag_id, whole=True),
            _pair("ed[event_id]", event["event_id"], whole=True)]
    data = _pairs((f"ed[{tag_key}]", custom.get(key)) for tag_key, key in EVENT_DATA)
    items = [_pairs((f"ed[line_items][{index}][{tag_key}]", item.get(key)) for tag_key, key in LINE_ITEM)
             for index, item in enumerate((custom.get("contents") or [])[:limits.PIXEL_LINE_ITEMS])]
    partner = _pairs((f"pd[{tag_key}]", _digest(user.get(key))) for tag_key, key in PARTNER_DATA)
    page = _pairs([("ad[loc]", event.get("event_source_url"))])
    ref = _pairs([("ad[ref]", referrer)])
    tail = ["noscript=1"]
    room = limits.PIXEL_URL_CHARS - len(PIXEL_URL) - _length([*head, *tail])
    kept: set[str] = set()
    for pair in (*data, *partner, *page):
        if _length([pair]) <= room:
            kept.add(pair)
            room -= _length([pair])
    for item in items:  # the first ones, without a gap: the tag numbers them from 0
        if _length(item) > room:
            break
        kept.update(item)
        room -= _length(item)
    if ref and _length(ref) <= room:
        kept.update(ref)
    optional = [pair for pair in (*data, *(p for item in items for p in item), *partner, *page, *ref)
                if pair in kept]
    return f"{PIXEL_URL}?{'&'.join([*head, *optional, *tail])}"


def _pair(key: str, value: Any, whole: bool = False) -> str:
    """`key=value` percent-encoded; '' when the value is empty, or longer than a pixel value may be."""
    if value is None or value == "":
        return ""
    encoded = quote(str(value), safe="")
    if not whole and len(encoded) > limits.PIXEL_VALUE_CHARS:
        return ""
    return f"{quote(key, safe='[]')}={encoded}"


def _pairs(params: Iterable[tuple[str, Any]]) -> list[str]:
    """The pairs of `params` that go in a URL, in order."""
    return [pair for key, value in params if (pair := _pair(key, value))]


def _length(pairs: list[str]) -> int:
    """Characters the pairs add to a URL, each with its `?` or `&`."""
    return sum(len(pair) + 1 for pair in pairs)


def _digest(values: Any) -> str | None:
    """The first SHA-256 digest of a hashed list; anything else is never put in a URL."""
    for value in values or ():
        if isinstance(value, str) and is_sha256(value):
            return value
    return None
