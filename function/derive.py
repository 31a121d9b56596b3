"""Values computed from a GA4 event rather than read from one key: e-commerce items, epik."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from function import coerce
from function.paths import Path

Event = Mapping[str, Any]
Derivation = Callable[[Event], Any]

# Where GA4 keeps the items: `items`, else the GTM data-layer `ecommerce.items`.
_ITEM_SOURCES = (Path("items"), Path("ecommerce.items"))

# Pinterest `contents` key → GA4 item keys, first non-empty wins (quantity: see `_quantity`).
_CONTENT_FROM_ITEM = {
    "id": ("item_id", "id"),
    "item_price": ("price",),
    "item_name": ("item_name",),
    "item_brand": ("item_brand",),
    "item_category": ("item_category",),
}


def items(event: Event) -> list[Mapping[str, Any]]:
    """The event's GA4 items; anything that is not an object is ignored."""
    for source in _ITEM_SOURCES:
        value = source.read(event)
        if isinstance(value, list) and value:
            return [item for item in value if isinstance(item, Mapping)]
    return []


def _quantity(item: Mapping[str, Any]) -> int:
    """GA4 quantity, 1 when absent or unusable."""
    try:
        quantity = coerce.to_int(item.get("quantity"))
    except ValueError:
        return 1
    return 1 if quantity is None else quantity


def contents(event: Event) -> list[dict[str, Any]] | None:
    """GA4 items as Pinterest `contents` (the `contents` normalizer types them)."""
    found = []
    for item in items(event):
        content: dict[str, Any] = {}
        for pinterest_key, ga4_keys in _CONTENT_FROM_ITEM.items():
            value = _first(item, ga4_keys)
            if value is not None:
                content[pinterest_key] = value
        content["quantity"] = _quantity(item)
        found.append(content)
    return found or None


def _first(item: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """The first non-empty value of `keys` in the item, or None."""
    for key in keys:
        value = item.get(key)
        if not coerce.is_empty(value):
            return value
    return None


def content_ids(event: Event) -> list[Any] | None:
    """The ids of the GA4 items (each item's `contents` id, without building the rest)."""
    id_keys = _CONTENT_FROM_ITEM["id"]
    ids = [value for value in (_first(item, id_keys) for item in items(event)) if value is not None]
    return ids or None


def num_items(event: Event) -> int | None:
    """Sum of the items' quantities."""
    found = items(event)
    return sum(_quantity(item) for item in found) if found else None


def items_value(event: Event) -> str | None:
    """Sum of price * quantity, with numeric strings read as numbers; None if any price is unusable."""
    total = Decimal(0)
    priced = False
    for item in items(event):
        price = item.get("price")
        if coerce.is_empty(price):
            continue
        try:
            total += coerce.parse_number(price) * _quantity(item)
        except ValueError:
            return None
        priced = True
    return coerce.format_decimal(total) if priced else None


def single_item(key: str) -> Derivation:
    """A GA4 item attribute, taken only when the event has exactly one item."""

    def derive(event: Event) -> Any:
        found = items(event)
        return found[0].get(key) if len(found) == 1 else None

    derive.__name__ = f"single_item_{key}"
    return derive


def epik_param(url_key: str) -> Derivation:
    """Pinterest's click id from the `epik` query parameter of a URL in the event."""
    source = Path(url_key)

    def derive(event: Event) -> str | None:
        url = source.read(event)
        if not isinstance(url, str) or "epik=" not in url:
            return None
        try:
            query = urlsplit(url).query
        except ValueError:  # not a URL (urlsplit raises on "http://[::1?epik=x"): no click id in it
            return None
        values = parse_qs(query).get("epik")
        return values[0] if values else None

    derive.__name__ = f"epik_from_{url_key}"
    return derive
