"""The field table: every Pinterest field we send, where it comes from and how it is cleaned.

One row per Pinterest key. Sources are tried in order after the operator override
(`pinterest.<section>.<key>`, derived from the section); the first non-empty value wins.
A source is a dotted GA4 path (nested or flattened form) or a value derived from the event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from function import limits
from function.pipeline import coerce, derive, normalize
from function.pipeline.derive import Derived
from function.pipeline.field_warnings import FieldWarning
from function.pipeline.paths import EventPath

Section = Literal["event", "user_data", "custom_data"]
Source = EventPath | Derived

# Section → where operators put overrides for its fields.
OVERRIDE_PREFIX: dict[Section, str] = {
    "event": "pinterest.server_event_data.",
    "user_data": "pinterest.user_data.",
    "custom_data": "pinterest.custom_data.",
}


@dataclass(frozen=True)
class Field:
    """One Pinterest key: its sources in order, its normalizer, hashed or not."""

    key: str
    section: Section
    sources: tuple[Source, ...]
    normalize: Callable[..., Any]
    hashed: bool = False
    web_only: bool = False  # GA4 sources used only when action_source is web
    region_aware: bool = False  # normalizer takes the user's country (phone numbers)
    # What it is called when the normalizer gives nothing for a value that was not empty (the warning).
    refusal: str = "has nothing that can be sent"
    # The warnings for what an override holds that Pinterest's field has no place for (contents' keys).
    unsent_parts: Callable[[Any, str], tuple[FieldWarning, ...]] | None = None
    path: str = field(init=False)  # Pinterest's path of the field, as warnings name it
    override: EventPath = field(init=False)
    max_chars: int = field(init=False)  # of a text value
    max_items: int | None = field(init=False)  # of a list value
    max_item_chars: dict[str, int] = field(init=False)  # of a text in its objects, by their key

    def __post_init__(self) -> None:
        path = self.key if self.section == "event" else f"{self.section}.{self.key}"
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "override", EventPath(OVERRIDE_PREFIX[self.section] + self.key))
        object.__setattr__(self, "max_chars", limits.FIELD_CHARS.get(self.key, limits.TEXT_CHARS))
        object.__setattr__(self, "max_items",
                           limits.HASHED_VALUES if self.hashed else limits.FIELD_ITEMS.get(self.key))
        object.__setattr__(self, "max_item_chars", limits.ITEM_CHARS.get(self.key, {}))


def _row(key: str, section: Section, sources: tuple[str | Derived, ...],
         normalize: Callable[..., Any], refusal: str = Field.refusal,
         unsent_parts: Callable[[Any, str], tuple[FieldWarning, ...]] | None = None, **flags: bool) -> Field:
    """A row with its dotted source paths parsed once; a hashed row reads every element of a list."""
    spread = flags.get("hashed", False)
    parsed = tuple(EventPath(s, spread) if isinstance(s, str) else s for s in sources)
    return Field(key, section, parsed, normalize, refusal=refusal, unsent_parts=unsent_parts, **flags)


# What each normalizer's refusal is called: the reason of the warning for a value it gives nothing for.
_NO_LETTERS = "has no letters or digits"


FIELDS: tuple[Field, ...] = (
    # Event level. event_name and action_source come from the request options.
    _row("event_time", "event", ("event_time", "timestamp"), coerce.unix_seconds),
    _row("event_id", "event", ("event_id", "transaction_id"), coerce.to_text),
    _row("event_source_url", "event", ("page_location",), coerce.to_text, web_only=True),
    _row("opt_out", "event", (), coerce.to_bool),
    _row("language", "event", ("language",), coerce.text_then(normalize.language),
         "is not an ISO 639-1 language code (en, or a tag such as en-US)"),
    _row("app_id", "event", (), coerce.to_text),
    _row("app_name", "event", (), coerce.to_text),
    _row("app_version", "event", (), coerce.to_text),
    _row("device_brand", "event", (), coerce.to_text),
    _row("device_carrier", "event", (), coerce.to_text),
    _row("device_model", "event", (), coerce.to_text),
    _row("device_type", "event", (), coerce.to_text),
    _row("os_version", "event", (), coerce.to_text),
    _row("wifi", "event", (), coerce.to_bool),
    # User data: hashed fields are lists, normalized then SHA-256 hashed element by element.
    _row("em", "user_data", ("user_data.email_address", "user_data.sha256_email_address",
                             "user_data.email", "email"), normalize.email,
         "is not an e-mail address (name@domain)", hashed=True),
    _row("ph", "user_data", ("user_data.phone_number", "user_data.sha256_phone_number", "phone"),
         normalize.phone, "cannot be placed: it needs its country code (+1 …, 001 …) or the user's country "
         "(user_data.address.country, PINTEREST_DEFAULT_PHONE_COUNTRY)", hashed=True, region_aware=True),
    _row("fn", "user_data", ("user_data.address.first_name", "user_data.address.sha256_first_name",
                             "firstName", "first_name", "FirstName", "nameFirst"),
         normalize.name, hashed=True),
    _row("ln", "user_data", ("user_data.address.last_name", "user_data.address.sha256_last_name",
                             "lastName", "last_name", "LastName", "nameLast"),
         normalize.name, hashed=True),
    _row("ge", "user_data", ("gender",), normalize.gender,
         "is not a gender Pinterest takes (f, m, n; female, male, non-binary)", hashed=True),
    _row("db", "user_data", ("db",), normalize.birth_date,
         "is not a calendar date (YYYY-MM-DD, YYYYMMDD or DD.MM.YYYY)", hashed=True),
    _row("ct", "user_data", ("user_data.address.city", "city"), normalize.city, _NO_LETTERS, hashed=True),
    _row("st", "user_data", ("user_data.address.region", "state", "region"),
         normalize.state, _NO_LETTERS, hashed=True),
    _row("zp", "user_data", ("user_data.address.postal_code", "zip", "postal_code"),
         normalize.postal_code, _NO_LETTERS, hashed=True),
    _row("country", "user_data", ("user_data.address.country", "country", "countryCode"),
         normalize.country, "is not an ISO 3166 country code or country name", hashed=True),
    _row("external_id", "user_data", ("external_id", "user_id", "userId"),
         normalize.lower_trim, hashed=True),
    _row("hashed_maids", "user_data", ("hashed_maids",), normalize.lower_trim, hashed=True),
    # User data sent in the clear, as Pinterest asks.
    _row("client_ip_address", "user_data", ("ip_override",), coerce.to_text, web_only=True),
    _row("client_user_agent", "user_data", ("user_agent",), coerce.to_text, web_only=True),
    _row("click_id", "user_data", (derive.epik_param("page_location"), derive.epik_param("page_referrer"),
                                   "common_cookie._epik", "_epik", "epik", "click_id"), coerce.to_text),
    _row("partner_id", "user_data", (), coerce.to_text),
    # Custom data, from the GA4 e-commerce fields and items.
    _row("currency", "custom_data", ("currency", "items.0.currency", "ecommerce.items.0.currency"),
         coerce.text_then(normalize.currency), "is not an ISO 4217 currency code (USD, EUR)"),
    _row("value", "custom_data", ("x-ga-mp1-ev", "x-ga-mp1-tr", "value", derive.ITEMS_VALUE),
         coerce.to_decimal_string),
    _row("contents", "custom_data", (derive.CONTENTS,), derive.pinterest_contents,
         unsent_parts=derive.unsent_content_keys),
    _row("content_ids", "custom_data", (derive.CONTENT_IDS,), coerce.to_string_list),
    _row("num_items", "custom_data", (derive.NUM_ITEMS,), coerce.to_int),
    _row("order_id", "custom_data", ("transaction_id",), coerce.to_text),
    _row("search_string", "custom_data", ("search_term",), coerce.to_text),
    _row("content_name", "custom_data", ("content_name", derive.single_item("item_name")), coerce.to_text),
    _row("content_category", "custom_data", ("content_category", derive.single_item("item_category")),
         coerce.to_text),
    _row("content_brand", "custom_data", ("content_brand", derive.single_item("item_brand")), coerce.to_text),
    _row("opt_out_type", "custom_data", ("opt_out_type",), coerce.to_text),
    _row("predicted_ltv", "custom_data", (), coerce.to_decimal_string),
)
