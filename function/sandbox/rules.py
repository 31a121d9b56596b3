"""Pinterest's Conversions API v5 request rules, written by hand so the sandbox rejects what Pinterest does.

Every check is a pure function `(value, path) -> list of problems`; an empty list means the value
is acceptable. Problems name the JSON path and the rule, never the offending value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence

Check = Callable[[object, str], list[str]]

# Pinterest's 22 standard conversion event names as of API 5.28: the 15 of the 5.23 OpenAPI
# description's event_name list and the 7 of Pinterest's conversion event table
# (developers.pinterest.com/docs/api-features/conversion-overview/): app_open, contact,
# customize_product, find_location, schedule, start_trial, submit_application.
STANDARD_EVENT_NAMES = frozenset({
    "add_payment_info", "add_to_cart", "add_to_wishlist", "app_install", "app_open", "checkout",
    "contact", "custom", "customize_product", "find_location", "initiate_checkout", "lead",
    "page_visit", "schedule", "search", "signup", "start_trial", "submit_application", "subscribe",
    "view_category", "view_content", "watch_video",
})

# Advertiser-defined event names: letters, digits, "_" and "-", 1-100 characters (Pinterest custom events).
CUSTOM_EVENT_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}")

# ConversionEvents.data[].action_source (v5 OpenAPI description).
ACTION_SOURCES = ("app_android", "app_ios", "offline", "web")

# ConversionEvents.data: minItems 1, maxItems 1000 (v5 OpenAPI description).
MIN_EVENTS = 1
MAX_EVENTS = 1000

# Pinterest drops events older than 7 days; 60 s of clock skew into the future is tolerated here.
MAX_EVENT_AGE_S = 7 * 24 * 60 * 60
FUTURE_SKEW_S = 60

# "format: int64" in the v5 OpenAPI description.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# path_ad_account_id parameter: pattern ^\d+$, maxLength 18 (v5 OpenAPI description).
AD_ACCOUNT_ID = re.compile(r"[0-9]{1,18}")

# ConversionEventsUserDataProperties: SHA-256 hex digests, lower-case as Pinterest's hashing guide asks.
SHA256_HEX = re.compile(r"[0-9a-f]{64}")

# custom_data.value, item_price, predicted_ltv: "accepted as a string ... parsed into a double".
DECIMAL_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")

# ISO-4217 alphabetic currency codes (custom_data.currency).
CURRENCY_CODE = re.compile(r"[A-Za-z]{3}")

# ConversionEventsUserDataProperties fields that carry arrays of hashes.
HASHED_USER_FIELDS = (
    "em", "ph", "ge", "db", "ln", "fn", "ct", "st", "zp", "country", "external_id", "hashed_maids",
)

# ConversionEvents.data[] required properties (v5 OpenAPI description).
REQUIRED_EVENT_FIELDS = ("event_name", "action_source", "event_time", "user_data", "event_id")


class InvalidRequest(ValueError):
    """The request as a whole breaks the ConversionEvents schema, so no event is looked at."""


def _string(value: object, path: str) -> list[str]:
    """Most properties are plain strings."""
    return [] if isinstance(value, str) else [f"{path} must be a string"]


def _boolean(value: object, path: str) -> list[str]:
    """opt_out and wifi are JSON booleans, not 0/1 or "true"."""
    return [] if isinstance(value, bool) else [f"{path} must be a boolean"]


def _integer(minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> Check:
    """JSON integers within bounds; booleans and floats are not integers."""

    def check(value: object, path: str) -> list[str]:
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{path} must be an integer"]
        if not minimum <= value <= maximum:
            return [f"{path} must be between {minimum} and {maximum}"]
        return []

    return check


def _text(max_length: int) -> Check:
    """A string no longer than the spec's maxLength."""

    def check(value: object, path: str) -> list[str]:
        if not isinstance(value, str):
            return [f"{path} must be a string"]
        if len(value) > max_length:
            return [f"{path} must be at most {max_length} characters"]
        return []

    return check


def _one_of(choices: Sequence[str]) -> Check:
    """A string from a closed list."""

    def check(value: object, path: str) -> list[str]:
        if isinstance(value, str) and value in choices:
            return []
        return [f"{path} must be one of: {', '.join(choices)}"]

    return check


def _nullable(check: Check) -> Check:
    """Properties marked nullable in the spec also accept JSON null."""
    return lambda value, path: [] if value is None else check(value, path)


def _array(item: Check, max_items: int | None = None) -> Check:
    """A JSON array whose every item passes `item`."""

    def check(value: object, path: str) -> list[str]:
        if not isinstance(value, list):
            return [f"{path} must be an array"]
        if max_items is not None and len(value) > max_items:
            return [f"{path} must hold at most {max_items} items"]
        return [problem for index, entry in enumerate(value) for problem in item(entry, f"{path}[{index}]")]

    return check


def _sha256(value: object, path: str) -> list[str]:
    """Pinterest only takes personal data already hashed."""
    if isinstance(value, str) and SHA256_HEX.fullmatch(value):
        return []
    return [f"{path} must be a SHA-256 hash: 64 lower-case hex characters"]


def _decimal(value: object, path: str) -> list[str]:
    """Money travels as a string that Pinterest parses into a double."""
    if isinstance(value, str) and DECIMAL_NUMBER.fullmatch(value) and math.isfinite(float(value)):
        return []
    return [f"{path} must be a string holding a decimal number"]


def _currency(value: object, path: str) -> list[str]:
    """An ISO-4217 code such as USD."""
    if isinstance(value, str) and CURRENCY_CODE.fullmatch(value):
        return []
    return [f"{path} must be a 3-letter ISO-4217 currency code"]


def _event_name(value: object, path: str) -> list[str]:
    """A standard Pinterest name, or an advertiser-defined custom one."""
    if not isinstance(value, str):
        return [f"{path} must be a string"]
    if value in STANDARD_EVENT_NAMES or CUSTOM_EVENT_NAME.fullmatch(value):
        return []
    return [f"{path} must be a standard event name or 1-100 letters, digits, '_' or '-'"]


def _all(*checks: Check) -> Check:
    """Run checks in order and stop at the first that fails, so later ones may assume earlier ones."""

    def check(value: object, path: str) -> list[str]:
        for step in checks:
            problems = step(value, path)
            if problems:
                return problems
        return []

    return check


def _object(fields: Mapping[str, Check], required: Sequence[str] = (), closed: bool = True) -> Check:
    """A JSON object: required keys present, no unknown keys when closed, each known key checked."""

    def check(value: object, path: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path} must be an object"]
        problems = [f"{path}.{key} is required" for key in required if key not in value]
        if closed:
            problems += [f"{path}.{key} is not an allowed property" for key in value if key not in fields]
        for key, entry in value.items():
            if key in fields:
                problems += fields[key](entry, f"{path}.{key}")
        return problems

    return check


def _identifies_user(value: object, path: str) -> list[str]:
    """ConversionEventsUserData anyOf: em, hashed_maids, or client_ip_address with client_user_agent."""
    if isinstance(value, dict) and (
        value.get("em")
        or value.get("hashed_maids")
        or (value.get("client_ip_address") and value.get("client_user_agent"))
    ):
        return []
    return [f"{path} must contain em, hashed_maids, or both client_ip_address and client_user_agent"]


def _recent(now: float) -> Check:
    """event_time is Unix seconds: neither in the future nor older than Pinterest keeps."""

    def check(value: object, path: str) -> list[str]:
        assert isinstance(value, int)
        if value > now + FUTURE_SKEW_S:
            return [f"{path} must not be in the future (Unix seconds, not milliseconds)"]
        if value < now - MAX_EVENT_AGE_S:
            return [f"{path} must not be older than 7 days"]
        return []

    return check


_NULLABLE_STRING = _nullable(_string)

# ConversionEventsUserDataProperties (v5 OpenAPI description); the schema leaves it open.
USER_DATA_FIELDS: dict[str, Check] = {
    **{name: _array(_sha256) for name in HASHED_USER_FIELDS},
    "client_ip_address": _string,
    "client_user_agent": _string,
    "click_id": _NULLABLE_STRING,
    "partner_id": _NULLABLE_STRING,
}

# ConversionEvents.data[].custom_data.contents[] (v5 OpenAPI description; additionalProperties false).
# item_brand_id is new in API 5.28 (pinterest/api-description v5/changelog-5.23-to-5.28.md,
# "Conversion Events", names it): a string of at most 64 characters (the 5.28 reference).
CONTENT_FIELDS: dict[str, Check] = {
    "id": _string,
    "item_brand": _string,
    "item_brand_id": _text(64),
    "item_category": _string,
    "item_name": _string,
    "item_price": _decimal,
    "quantity": _integer(),
}

# ConversionEvents.data[].custom_data (v5 OpenAPI description; additionalProperties false).
CUSTOM_DATA_FIELDS: dict[str, Check] = {
    "content_brand": _NULLABLE_STRING,
    "content_category": _NULLABLE_STRING,
    "content_ids": _array(_string),
    "content_name": _NULLABLE_STRING,
    "contents": _array(_object(CONTENT_FIELDS)),
    "currency": _nullable(_currency),
    "external_measurement_id": _NULLABLE_STRING,
    "external_measurement_vendor_id": _nullable(_integer()),
    "np": _NULLABLE_STRING,
    "num_items": _integer(),
    "opt_out_type": _NULLABLE_STRING,
    "order_id": _NULLABLE_STRING,
    "predicted_ltv": _nullable(_decimal),
    "search_string": _NULLABLE_STRING,
    "value": _nullable(_decimal),
}

# ConversionEventAppInfo (v5 OpenAPI description; additionalProperties false).
APP_INFO_FIELDS: dict[str, Check] = {
    "app_id": _text(200),
    "app_name": _text(200),
    "app_package_name": _text(200),
    "app_store": _text(100),
    "app_version": _text(100),
    "install_time": _integer(minimum=0),
    "user_agent": _text(16384),
    "window_height": _integer(0, 30720),
    "window_width": _integer(0, 30720),
}

# ConversionEventDeviceInfo (v5 OpenAPI description; additionalProperties false).
DEVICE_INFO_FIELDS: dict[str, Check] = {
    "battery_level": _integer(0, 100),
    "brand": _text(100),
    "carrier": _text(100),
    "cpu_cores": _integer(0, 1152),
    "external_storage_free_space": _integer(0, 1048576),
    "external_storage_size": _integer(0, 1048576),
    "form_factor": _one_of(
        ("desktop", "laptop", "cellphone", "tablet", "smartwatch", "tv", "vr", "console", "other")
    ),
    "kernel_version": _text(100),
    "languages": _array(_string, max_items=100),
    "locale": _text(35),
    "model": _text(100),
    "network_type": _one_of((
        "wifi", "cellular_2g", "cellular_3g", "cellular_4g", "cellular_5g", "cellular_6g", "ethernet",
        "unknown",
    )),
    "os_family": _one_of(("ios", "android", "macos", "windows", "linux", "bsd", "other")),
    "os_name": _text(100),
    "os_release_name": _text(100),
    "os_version": _text(100),
    "screen_density": _integer(0, 100000),
    "screen_height": _integer(0, 30720),
    "screen_width": _integer(0, 30720),
    "storage_free_space": _integer(0, 1048576),
    "storage_size": _integer(0, 1048576),
    "timezone": _text(40),
    "timezone_abbr": _text(5),
    "type": _text(100),
}

# ConversionEvents.data[] (v5 OpenAPI description; additionalProperties false). event_time's age
# window depends on the clock, so `event_problems` adds it.
EVENT_FIELDS: dict[str, Check] = {
    "action_source": _one_of(ACTION_SOURCES),
    "app_id": _NULLABLE_STRING,
    "app_info": _object(APP_INFO_FIELDS),
    "app_name": _NULLABLE_STRING,
    "app_version": _NULLABLE_STRING,
    "custom_data": _object(CUSTOM_DATA_FIELDS),
    "device_brand": _NULLABLE_STRING,
    "device_carrier": _NULLABLE_STRING,
    "device_info": _object(DEVICE_INFO_FIELDS),
    "device_model": _NULLABLE_STRING,
    "device_type": _NULLABLE_STRING,
    "event_id": _string,
    "event_name": _event_name,
    "event_source_url": _NULLABLE_STRING,
    "event_time": _integer(),
    "language": _NULLABLE_STRING,
    "opt_out": _boolean,
    "os_version": _NULLABLE_STRING,
    "partner_name": _NULLABLE_STRING,
    "user_data": _all(_object(USER_DATA_FIELDS, closed=False), _identifies_user),
    "wifi": _boolean,
}


def event_problems(event: object, path: str, now: float) -> list[str]:
    """Everything wrong with one event, as Pinterest would report it in that event's error_message."""
    fields = {**EVENT_FIELDS, "event_time": _all(EVENT_FIELDS["event_time"], _recent(now))}
    return _object(fields, REQUIRED_EVENT_FIELDS)(event, path)


def request_events(body: object) -> list[object]:
    """The events of a ConversionEvents body; raises InvalidRequest when the envelope itself is wrong."""
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    unknown = sorted(key for key in body if key != "data")
    if unknown:
        raise InvalidRequest(f"{unknown[0]} is not an allowed property (only data)")
    if "data" not in body:
        raise InvalidRequest("data is required")
    events = body["data"]
    if not isinstance(events, list):
        raise InvalidRequest("data must be an array of events")
    if not MIN_EVENTS <= len(events) <= MAX_EVENTS:
        raise InvalidRequest(f"data must hold {MIN_EVENTS} to {MAX_EVENTS} events, not {len(events)}")
    return events


def is_ad_account_id(value: str) -> bool:
    """Ad account ids are 1-18 digits."""
    return bool(AD_ACCOUNT_ID.fullmatch(value))
