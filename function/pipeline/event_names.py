"""Decides the Pinterest event name: standard, custom, or inherited from the GA4 name."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from function.errors import BadRequest
from function.limits import CUSTOM_EVENT_NAME_CHARS

# Pinterest's 22 standard conversion event names, as of API 5.28: the 15 that the 5.23 OpenAPI
# description lists under ConversionEvents.data[].event_name, and the 7 that Pinterest's conversion
# event table (developers.pinterest.com/docs/api-features/conversion-overview/) adds: app_open,
# contact, customize_product, find_location, schedule, start_trial, submit_application.
STANDARD_EVENT_NAMES = frozenset({
    "add_payment_info", "add_to_cart", "add_to_wishlist", "app_install", "app_open", "checkout",
    "contact", "custom", "customize_product", "find_location", "initiate_checkout", "lead",
    "page_visit", "schedule", "search", "signup", "start_trial", "submit_application", "subscribe",
    "view_category", "view_content", "watch_video",
})

# GA4 (and gtm4wp enhanced-ecommerce) event name → Pinterest event name; keys are folded
# with `_fold`, anything missing becomes "custom". A GA4 name that is one of Pinterest's own
# first-class names keeps it; `pinterest.event_map` chooses otherwise (e.g. contact → lead).
_GA4_TO_PINTEREST = {
    "page_view": "page_visit",
    "gtm.dom": "page_visit",
    "add_to_cart": "add_to_cart",
    "purchase": "checkout",
    "begin_checkout": "initiate_checkout",
    "add_payment_info": "add_payment_info",
    "add_to_wishlist": "add_to_wishlist",
    "view_item": "view_content",
    "view_item_list": "view_category",
    "search": "search",
    "view_search_results": "search",
    "find_location": "find_location",
    "generate_lead": "lead",
    "contact": "contact",
    "submit_application": "submit_application",
    "schedule": "schedule",
    "start_trial": "start_trial",
    "customize_product": "customize_product",
    "app_open": "app_open",
    "sign_up": "signup",
    "subscribe": "subscribe",
    "gtm4wp.addproducttocarteec": "add_to_cart",
    "gtm4wp.ordercompletedeec": "checkout",
    "gtm4wp.checkoutstepeec": "initiate_checkout",
}

# Advertiser-defined event names: letters, digits, "_" and "-", at most 100 characters.
_CUSTOM_NAME = re.compile(rf"[A-Za-z0-9_-]{{1,{CUSTOM_EVENT_NAME_CHARS}}}")


def _fold(name: str) -> str:
    """GA4 names are matched trimmed and case-insensitively."""
    return name.strip().lower()


def inherit(ga4_name: str, event_map: Mapping[str, str]) -> str:
    """The mapped name for a GA4 event: the request's map first, then the built-in table."""
    key = _fold(ga4_name)
    overrides = {_fold(k): v for k, v in event_map.items()}
    if key in overrides:
        return overrides[key]
    return _GA4_TO_PINTEREST.get(key, "custom")


def takes(name: str) -> bool:
    """A name Pinterest takes: a standard one, or a custom one of the allowed form."""
    return name in STANDARD_EVENT_NAMES or _CUSTOM_NAME.fullmatch(name) is not None


def check_standard(name: str, path: str) -> str:
    """A standard name must be one Pinterest knows."""
    if name not in STANDARD_EVENT_NAMES:
        raise BadRequest(f"{path} must be one of Pinterest's standard event names")
    return name


def check_custom(name: str, path: str) -> str:
    """A custom name: letters, digits, '_' and '-', 1 to 100 characters."""
    if not _CUSTOM_NAME.fullmatch(name):
        raise BadRequest(f"{path} must be 1-100 letters, digits, '_' or '-'")
    return name


def resolve(setup: str, configured: str, ga4_name: str | None, event_map: Mapping[str, str]) -> str:
    """Apply the event-name setup; a GA4 event without a name cannot be inherited."""
    if setup == "standard":
        return check_standard(configured, "event_name")
    if setup == "custom":
        return check_custom(configured, "event_name")
    if not ga4_name:
        raise BadRequest("event_name is required when the event name setup is inherit")
    name = inherit(ga4_name, event_map)
    if name in STANDARD_EVENT_NAMES:
        return name
    return check_custom(name, "pinterest.event_map")


# Words of a camel-cased name (WatchVideo → Watch, Video), to read it as Pinterest spells names.
_CAMEL_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")


def mapped_warning(setup: str, name: str) -> str | None:
    """Why a name `pinterest.event_map` gave is worth a warning: none of Pinterest's standard names.

    It is still sent, as an advertiser-defined name (Pinterest takes those), with the standard
    name it resembles when there is one (WatchVideo → watch_video, Purchase → checkout).
    """
    if setup != "inherit" or name in STANDARD_EVENT_NAMES:  # only the map gives inherit other names
        return None
    close = _resembled(name)
    hint = f"; did you mean {close}?" if close else ""
    return (f"pinterest.event_map gives {name}, which is none of Pinterest's {len(STANDARD_EVENT_NAMES)} "
            f"standard event names: sent as an advertiser-defined name{hint}")


def _resembled(name: str) -> str | None:
    """The standard name `name` spells differently (case, camel case, dashes, a GA4 name), if any."""
    words = "_".join(word.lower() for word in _CAMEL_WORD.findall(name))
    for key in (words, _fold(name).replace("-", "_")):
        if key in STANDARD_EVENT_NAMES:
            return key
        if key in _GA4_TO_PINTEREST:
            return _GA4_TO_PINTEREST[key]
    close = difflib.get_close_matches(words, sorted(STANDARD_EVENT_NAMES), n=1, cutoff=0.8)
    return close[0] if close else None
