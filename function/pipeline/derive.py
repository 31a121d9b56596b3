"""Values computed from a GA4 event rather than read from one key: e-commerce items, epik.

`values` computes all of them in one pass over the event's items, once per event; the field
table names the ones it reads as `Derived` sources. GA4 items are typed here, leniently: what
cannot be typed is left out with a warning. `pinterest_contents` types the `contents` list that
Pinterest is sent, whichever source it came from, strictly (an override that cannot be typed is
a 400).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple, final
from urllib.parse import parse_qs, urlsplit

from function.pipeline import coerce
from function.pipeline.field_warnings import FieldWarning, not_sent
from function.pipeline.parse import quoted
from function.pipeline.paths import EventPath

Event = Mapping[str, Any]


@final  # build.py tells sources apart by `type(source) is EventPath`, exact only for final classes
class Derived(NamedTuple):
    """A field source: the name of one of the values `values` computes.

    `clean`: the value is already what the field's normalizer would make of it (contents are
    typed here), so the build takes it as it is rather than typing it twice.
    """

    name: str
    clean: bool = False


CONTENTS = Derived("contents", clean=True)
CONTENT_IDS = Derived("content_ids", clean=True)  # each id is to_text's text already
NUM_ITEMS = Derived("num_items")
ITEMS_VALUE = Derived("items_value")

# Where GA4 keeps the items: `items`, else the GTM data-layer `ecommerce.items`.
_ITEM_SOURCES = (EventPath("items"), EventPath("ecommerce.items"))

# The contents table: each key Pinterest allows in a `contents` entry (additionalProperties: false),
# the GA4 item keys read for it in order (the first non-empty wins), and its normalizer.
# quantity is read by `_quantity`, which defaults it to 1.
_CONTENTS: tuple[tuple[str, tuple[str, ...], Callable[[Any], Any]], ...] = (
    ("id", ("item_id", "id"), coerce.to_text),
    ("item_price", ("price",), coerce.to_decimal_string),
    ("quantity", (), coerce.to_int),
    ("item_name", ("item_name",), coerce.to_text),
    ("item_brand", ("item_brand",), coerce.to_text),
    # GA4 items have no brand id: item_brand_id is an item key of ours, named as Pinterest's (API 5.28).
    ("item_brand_id", ("item_brand_id",), coerce.to_text),
    ("item_category", ("item_category",), coerce.to_text),
)
# The GA4 item keys a price is read from.
_PRICE_KEYS = next(ga4_keys for key, ga4_keys, _ in _CONTENTS if key == "item_price")
_CONTENTS_PATH = "custom_data.contents"
_CONTENT_KEYS = tuple(key for key, _, _ in _CONTENTS)
# The key of `values`' result that holds the warnings, by the name of the value they belong to.
WARNINGS = "warnings"
# GA4 item attributes offered when the event has exactly one item → their derived names.
_SINGLE_ITEM = {key: f"single_item.{key}" for key in ("item_name", "item_category", "item_brand")}
# Event URLs whose `epik` query parameter is Pinterest's click id → their derived names.
_EPIK = {url_key: f"epik.{url_key}" for url_key in ("page_location", "page_referrer")}


def single_item(key: str) -> Derived:
    """A GA4 item attribute, taken only when the event has exactly one item."""
    if key not in _SINGLE_ITEM:
        raise ValueError(f"{key} is not one of the single-item attributes {tuple(_SINGLE_ITEM)}")
    return Derived(_SINGLE_ITEM[key])


def epik_param(url_key: str) -> Derived:
    """Pinterest's click id from the `epik` query parameter of a URL in the event."""
    if url_key not in _EPIK:
        raise ValueError(f"{url_key} is not one of the URLs read for epik {tuple(_EPIK)}")
    return Derived(_EPIK[url_key])


def values(event: Event) -> dict[str, Any]:
    """Every derived value the event has, by `Derived.name`; absent ones are left out.

    What the items held that is not sent is under WARNINGS, by the name of the value it belongs
    to (a price left out of `contents`, the total it spoils), and only when there is some.
    """
    where, raw_items = _raw_items(event)
    found = _from_items(where, raw_items) if raw_items else {}
    for url_key, name in _EPIK.items():
        click_id = _epik(event.get(url_key))
        if click_id is not None:
            found[name] = click_id
    return found


def items(event: Event) -> list[Mapping[str, Any]]:
    """The event's GA4 items; anything that is not an object is ignored."""
    return [item for item in _raw_items(event)[1] if type(item) is dict or isinstance(item, Mapping)]


def _raw_items(event: Event) -> tuple[str, list[Any]]:
    """Where the items are (`items`, else `ecommerce.items`) and the list as given."""
    for source in _ITEM_SOURCES:
        value = source.read(event)
        if isinstance(value, list) and value:
            return source.dotted, value
    return "", []


def _from_items(where: str, raw_items: list[Any]) -> dict[str, Any]:
    """contents (typed), content_ids, num_items, items_value and the single-item attributes, in one pass.

    GA4 items are read leniently: a value that cannot be typed is left out of its item, with a
    warning, rather than sinking the whole `contents`. A value that has warnings but no content
    is kept as None, so the build still reads it, and gives its warnings, when it is used.
    """
    contents: list[dict[str, Any]] = []
    ids, count, found = [], 0, []
    total, priced, total_usable = Decimal(0), False, True
    notes: dict[str, list[FieldWarning]] = {}
    for index, item in enumerate(raw_items):
        if type(item) is not dict and not isinstance(item, Mapping):
            notes.setdefault(CONTENTS.name, []).append(
                not_sent(_CONTENTS_PATH, f"{where}[{index}]", "is not an object"))
            continue
        found.append(item)
        content = _content(item, where, index, len(contents), notes)
        quantity = content["quantity"]
        contents.append(content)
        count += quantity
        if "id" in content:
            ids.append(content["id"])
        price = content.get("item_price")
        if price is not None:
            total += coerce.parse_number(price) * quantity
            priced = True
        elif any(not coerce.is_empty(item.get(key)) for key in _PRICE_KEYS):  # given, but not a number
            total_usable = False
    result: dict[str, Any] = {CONTENTS.name: contents or None}
    if found:
        result[NUM_ITEMS.name] = count
    if ids:
        result[CONTENT_IDS.name] = ids
    if not total_usable:  # no total at all rather than a wrong one
        result[ITEMS_VALUE.name] = None
        notes[ITEMS_VALUE.name] = [FieldWarning(
            "custom_data.value",
            f"{where} holds a price that is not a number, so the items' total is not sent")]
    elif priced:
        result[ITEMS_VALUE.name] = coerce.format_decimal(total)
    if len(found) == 1:
        for key, name in _SINGLE_ITEM.items():
            value = found[0].get(key)
            if value is not None:
                result[name] = value
    if notes:
        result[WARNINGS] = notes
    return result


def _content(item: Mapping[str, Any], where: str, index: int, position: int,
             notes: dict[str, list[FieldWarning]]) -> dict[str, Any]:
    """One `contents` entry from GA4 item `where[index]`: each key's first non-empty GA4 value, typed.

    `position` is the entry's place in `contents` (items that are not objects are left out). The
    entry is exactly what `pinterest_contents` makes of it, keys in the same order.
    """
    content: dict[str, Any] = {}
    for pinterest_key, ga4_keys, normalize in _CONTENTS:
        if pinterest_key == "quantity":
            content[pinterest_key] = _quantity(item, where, index, position, notes)
            continue
        for ga4_key in ga4_keys:
            value = item.get(ga4_key)
            if value is None:
                continue
            try:  # a coercer gives None exactly for an empty value: then the next key is read
                typed = normalize(value)
            except ValueError as exc:
                notes.setdefault(CONTENTS.name, []).append(not_sent(
                    f"{_CONTENTS_PATH}[{position}].{pinterest_key}", f"{where}[{index}].{ga4_key}",
                    str(exc)))
                break
            if typed is not None:
                content[pinterest_key] = typed
                break
    return content


def _quantity(item: Mapping[str, Any], where: str, index: int, position: int,
              notes: dict[str, list[FieldWarning]]) -> int:
    """GA4 quantity, 1 when absent; 1 with a warning when unusable."""
    try:
        quantity = coerce.to_int(item.get("quantity"))
    except ValueError as exc:
        notes.setdefault(CONTENTS.name, []).append(FieldWarning(
            f"{_CONTENTS_PATH}[{position}].quantity", f"{where}[{index}].quantity {exc}; 1 sent instead"))
        return 1
    return 1 if quantity is None else quantity


def _epik(url: Any) -> str | None:
    """The first `epik` query parameter of a URL, percent-decoded."""
    if not isinstance(url, str) or "epik=" not in url:
        return None
    try:
        query = urlsplit(url).query
    except ValueError:  # not a URL (urlsplit raises on "http://[::1?epik=x"): no click id in it
        return None
    found = parse_qs(query).get("epik")
    return found[0] if found else None



def pinterest_contents(value: Any) -> list[dict[str, Any]] | None:
    """Pinterest `contents`: objects with only the allowed keys; quantity defaults to 1."""
    found = []
    for index, item in enumerate(coerce.to_json_list(value) or ()):
        if type(item) is not dict and not isinstance(item, Mapping):  # the ABC check is slow (hot path)
            raise ValueError(f"[{index}] must be an object")
        content = {}
        for key, _, normalize in _CONTENTS:
            raw = item.get(key)
            if raw is None:  # absent: every normalizer would give None
                continue
            try:
                typed = normalize(raw)
            except ValueError as exc:
                raise ValueError(f"[{index}].{key} {exc}") from None
            if typed is not None:
                content[key] = typed
        content.setdefault("quantity", 1)
        found.append(content)
    return found or None


def unsent_content_keys(value: Any, where: str) -> tuple[FieldWarning, ...]:
    """A warning for each key of a `contents` override that Pinterest's contents have no place for.

    Called once the override has been typed (so it is a list of objects); names keys, never values.
    """
    found = []
    for index, item in enumerate(coerce.to_json_list(value) or ()):
        for key in item:
            if key not in _CONTENT_KEYS:
                name = quoted(str(key))
                close = difflib.get_close_matches(name, _CONTENT_KEYS, n=1, cutoff=0.5)
                found.append(FieldWarning(
                    f"{_CONTENTS_PATH}[{index}].{name}",
                    f"{where}[{index}].{name} is not a key of Pinterest's contents "
                    f"({', '.join(_CONTENT_KEYS)}); not sent"
                    + (f" (did you mean {close[0]}?)" if close else "")))
    return tuple(found)

