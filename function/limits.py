"""Every size limit of a request, once, with its source: Pinterest's where it documents one, else ours.

Pinterest's v5 OpenAPI file (ConversionEvents) bounds the batch but none of the event fields we
send; it does bound the same values where it carries them in app_info and device_info, and those
bounds are taken for the top-level fields. The gateway's own limits keep one request's cost in
proportion to its body: a request-wide `pinterest` object is copied into every event, so without
them 100 KB of shared settings became hundreds of MB of events.
"""

from __future__ import annotations

import re

# Pinterest: ConversionEvents.data maxItems 1000 (v5 OpenAPI), the events of one call.
EVENTS_PER_CALL = 1000
# Pinterest: events older than 7 days are refused (Conversions API event_time documentation).
MAX_EVENT_AGE_S = 7 * 24 * 3600
# Pinterest: the ad_account_id path parameter, digits only, 18 at most (v5 OpenAPI).
AD_ACCOUNT_ID_DIGITS = 18
_AD_ACCOUNT_ID = re.compile(rf"[0-9]{{1,{AD_ACCOUNT_ID_DIGITS}}}")
# The rule in words, for every message that refuses an id.
AD_ACCOUNT_ID_RULE = (f"digits only, {AD_ACCOUNT_ID_DIGITS} at most "
                      "(Pinterest advertiser ids look like 549XXXXXXXXX)")

# Ours: 1 MiB of body, far above any real batch of GA4 events, small enough to parse without risk.
MAX_BODY_BYTES = 1 << 20
# Ours: one built event as JSON, 64 KiB, some 40 times a full purchase (a 400-line cart fits).
MAX_EVENT_BYTES = 64 << 10
# Ours: every built event of one request together, 8 MiB: 8 times the body, reached only when
# shared settings are copied into many events.
MAX_REQUEST_EVENT_BYTES = 8 << 20

# Pinterest: an advertiser-defined (custom) event name, 1-100 letters, digits, "_" or "-".
CUSTOM_EVENT_NAME_CHARS = 100
# Ours: a GA4 event name (GA4 itself keeps 40 characters), as long as a custom name may be.
GA4_EVENT_NAME_CHARS = CUSTOM_EVENT_NAME_CHARS
# Ours: pinterest.event_map, entries and characters of each GA4 and Pinterest name in it.
EVENT_MAP_ENTRIES = 200
EVENT_MAP_NAME_CHARS = CUSTOM_EVENT_NAME_CHARS
# Ours: pinterest.tag_name, written to the log rows only.
TAG_NAME_CHARS = 200
# Ours: warnings listed per event, then one saying how many more there were: keeps an event's
# answer entry and log row a few KB (a shared contents override once gave 1,200 warnings to each
# of 1000 events, a log row past Cloud Logging's 256 KB).
WARNINGS_PER_EVENT = 20

# Ours: pinterest.pixel_tag_id, digits only (Pinterest Tag IDs are 13 digits).
PIXEL_TAG_ID_DIGITS = 20
# Ours: one pixel URL, 8 KiB, the request-line limit of common web servers (as event_source_url):
# an image request the browser, proxies and Pinterest all pass.
PIXEL_URL_CHARS = 8192
# Ours: one value in a pixel URL, percent-encoded (a 921 KB page_referrer was once copied whole).
# Longer, it is left out, never cut (a cut id or URL is wrong data); the event_id (256 characters
# at most) is always kept.
PIXEL_VALUE_CHARS = 2048
# Ours: line items in one pixel URL, the first of the event's contents, as far as the URL has room.
PIXEL_LINE_ITEMS = 20

# Characters of a text field, by Pinterest key; any other text field takes TEXT_CHARS.
TEXT_CHARS = 1000  # ours
FIELD_CHARS: dict[str, int] = {
    "event_id": 256,  # ours: Pinterest's schema sets none; UUIDs and order numbers are far shorter
    "event_source_url": 8192,  # ours: the request-line limit of common web servers
    # Pinterest: ConversionEventAppInfo maxLength (v5 OpenAPI).
    "client_user_agent": 16384,
    "app_id": 200,
    "app_name": 200,
    "app_version": 100,
    # Pinterest: ConversionEventDeviceInfo brand, carrier, model, type, os_version maxLength (v5 OpenAPI).
    "device_brand": 100,
    "device_carrier": 100,
    "device_model": 100,
    "device_type": 100,
    "os_version": 100,
}
# Ours (Pinterest's schema sets none): values in one hashed user_data list, those of one person.
HASHED_VALUES = 20
# Ours: items of the other list fields, by Pinterest key.
FIELD_ITEMS: dict[str, int] = {"contents": 500, "content_ids": 500}
# Characters of a text in the items of a list field, by Pinterest key, then item key. Pinterest:
# contents[].item_brand_id, added in API 5.28 (pinterest/api-description
# v5/changelog-5.23-to-5.28.md names the property; its 64-character bound is the 5.28 reference's).
ITEM_CHARS: dict[str, dict[str, int]] = {"contents": {"item_brand_id": 64}}


def is_ad_account_id(value: str) -> bool:
    """Ad account ids go into a URL path, so only digits are ever accepted."""
    return bool(_AD_ACCOUNT_ID.fullmatch(value))
