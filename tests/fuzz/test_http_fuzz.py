"""Arbitrary input at the HTTP handler: never a 5xx, never an exception, always a JSON answer saying why.

The same events also go through the data path alone, to check what it measures of them.

Each test's share of the long profile (`make fuzz`, FUZZ_PROFILE=long) is its `fuzz_settings`
argument; together they are over 100,000 inputs.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from function.errors import GatewayError
from function.pipeline import options
from function.pipeline.build import Context
from function.pipeline.fields import FIELDS
from function.pipeline.request import Built, build_request
from tests.fuzz.conftest import (
    AD_ACCOUNT,
    CALLER_KEY,
    CANARY_EMAIL,
    CANARY_PHONE,
    OTHER_ACCOUNT,
    GatewayClient,
    check_answer,
    fuzz_settings,
)

# ---------------------------------------------------------------- values

PLACEHOLDERS = st.sampled_from(["", " ", "undefined", "null", "NULL", " Undefined ", "None", "[]", "{}"])
NUMERIC_TEXT = st.one_of(
    st.from_regex(r"\A\s?[+-]?[0-9]{0,8}(\.[0-9]{0,6})?([eE][+-]?[0-9]{1,5})?\s?\Z"),
    st.sampled_from(["NaN", "nan", "Infinity", "-Infinity", "1e999", "1e-999", "0x1F", "1,5", "1_000", "١٢٣",
                     "12.50 USD", "--1", "+.5", "5.", ".", "1e", "9" * 400]),
)
STRANGE_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
    st.text(alphabet=st.characters(categories=["Zs", "Cc", "Cf", "Mn", "So"]), max_size=12),
    st.sampled_from(["\u0000", "\ufeff", "İstanbul", "ß", "ﬃ", "Ǆ", "\u202e", "👩‍👩‍👧", "a\u0301",
                     "\U0010ffff"]),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=False, allow_infinity=False),
    STRANGE_TEXT, NUMERIC_TEXT, PLACEHOLDERS,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def plausible(*values: Any) -> st.SearchStrategy[Any]:
    """A real-looking value most of the time, anything at all otherwise."""
    return st.one_of(st.sampled_from(values), st.sampled_from(values), JSON)


EMAILS = plausible(CANARY_EMAIL, " Jane.Doe@Example.COM ", "a" * 64, "not-an-email", "@", "x@y")
PHONES = plausible(CANARY_PHONE, "+44 20 7946 0958", "020 7946 0958", "0049 30 1234567", "+", "12",
                   16505550199)
NAMES = plausible("Émile", "  Zola ", "O'Brien", "李", "", "e\u0301")
COUNTRIES = plausible("US", "us", "United Kingdom", "Deutschland", "ZZ", "usa",
                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
ITEM = st.fixed_dictionaries({}, optional={
    "item_id": plausible("SKU-1", 42, ""), "id": plausible("SKU-2"),
    "price": plausible(19.99, "19.99", "1e3", -5),
    "quantity": plausible(1, "2", 2.5, "3.0", -1, 10**30), "item_name": NAMES, "item_brand": JSON,
    "item_category": JSON, "currency": plausible("USD", "eur"),
})
ITEMS = st.one_of(st.lists(ITEM, max_size=6), JSON, st.just('[{"item_id": "S", "price": "1"}]'))
USER_DATA = st.fixed_dictionaries({}, optional={
    "email_address": EMAILS, "sha256_email_address": EMAILS, "phone_number": PHONES,
    "sha256_phone_number": PHONES, "email": EMAILS,
    "address": st.one_of(JSON, st.fixed_dictionaries({}, optional={
        "first_name": NAMES, "last_name": NAMES, "city": NAMES,
        "region": plausible("CA", "California", "Île"),
        "postal_code": plausible("94025-1234", "SW1A 1AA", 94025), "country": COUNTRIES,
        "sha256_first_name": NAMES, "street": JSON})),
})
EVENT_FIELDS = {
    "event_name": plausible("purchase", "page_view", "generate_lead", "add_to_cart", "Purchase ", "gtm.dom",
                            "custom_thing", ""),
    "event_id": plausible("evt-1", "", 7, "x" * 300),
    "transaction_id": plausible("T-1", 1001),
    "value": plausible(59.97, "59.97", "1e2", -1, 0, "12,5"),
    "currency": plausible("USD", "usd", "EURO", "€"),
    "items": ITEMS,
    "ecommerce": st.one_of(JSON, st.fixed_dictionaries({"items": ITEMS})),
    "user_data": st.one_of(USER_DATA, JSON),
    "page_location": plausible("https://shop.example.com/x?epik=abc", "https://gtm-msr.appspot.com/",
                               "http://[::1", "not a url", "https://a.example/?epik="),
    "page_referrer": plausible("https://www.pinterest.com/?epik=zz"),
    "language": plausible("en-US", "de", "xx-yy-zz", "e"),
    "event_time": plausible(1_700_000_000, 1_700_000_000_000, -1, "1700000000", 10**12, 2**63),
    "timestamp": plausible(1_700_000_000_123),
    "email": EMAILS, "phone": PHONES, "country": COUNTRIES, "countryCode": COUNTRIES,
    "firstName": NAMES, "lastName": NAMES, "city": NAMES, "zip": plausible("94025"), "state": plausible("NY"),
    "gender": plausible("female", "M", "n", "other"), "db": plausible("1990-05-17", "17.05.1990", "19900230"),
    "external_id": plausible("Customer-42"), "user_id": plausible(42), "hashed_maids": plausible(["a" * 64]),
    "x-ga-mp1-ev": plausible("10"), "x-ga-gcs": plausible("G111", "G100", "G1"),
    "consent_state": plausible({"ad_storage": "granted"}, {"ad_storage": "denied"}, {"ad_storage": True}),
    "common_cookie": plausible({"_epik": "cookie"}), "_epik": JSON, "search_term": JSON,
    "content_name": JSON, "content_category": JSON, "content_brand": JSON, "opt_out_type": JSON,
}
IDENTIFIERS = st.fixed_dictionaries({"ip_override": plausible("203.0.113.7", "2001:db8::1"),
                                     "user_agent": plausible("Mozilla/5.0", "UA")})
OPTION_VALUES = {
    "event_name_setup": plausible("inherit", "standard", "custom", "CUSTOM"),
    "event_name": plausible("checkout", "lead", "page_visit", "not_a_pinterest_name"),
    "action_source": plausible("web", "offline", "app_ios", "APP_ANDROID", "email"),
    "test": plausible(True, "true", "yes", 1, 0, "maybe"),
    "delivery": plausible("awaited", "optimistic", "later"),
    "event_map": plausible({"purchase": "checkout"}, '{"page_view": "lead"}', "{not json", ["x"]),
    "debug": plausible(False, "false", 0),
    "ad_account_id": plausible(AD_ACCOUNT, OTHER_ACCOUNT, "549000000099", "12a", "", -1, 5.5),
    "tag_name": plausible("Pinterest tag", "x" * 500),
}
OVERRIDE_KEYS = sorted({row.override.dotted for row in FIELDS}
                       | {f"pinterest.{name}" for name in OPTION_VALUES})


def _override_value(path: str) -> st.SearchStrategy[Any]:
    return OPTION_VALUES.get(path.removeprefix("pinterest."), JSON)


@st.composite
def overrides(draw: st.DrawFn) -> dict[str, Any]:
    """`pinterest.*` settings as dot-notation keys, a nested object, Stape's flattened keys, or junk."""
    paths = draw(st.lists(st.sampled_from(OVERRIDE_KEYS), max_size=5, unique=True))
    values = {path: draw(_override_value(path)) for path in paths}
    form = draw(st.sampled_from(["dotted", "nested", "flat", "junk"]))
    if form == "dotted":
        return values
    if form == "flat":
        return {path.replace(".", "_").replace("-", "_"): value for path, value in values.items()}
    if form == "junk":
        return {"pinterest": draw(JSON)}
    nested: dict[str, Any] = {}
    for path, value in values.items():
        node = nested
        *parents, leaf = path.split(".")[1:]
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[leaf] = value
    return {"pinterest": nested}


@st.composite
def ga4_event(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(EVENT_FIELDS)), max_size=12, unique=True))
    event = {key: draw(EVENT_FIELDS[key]) for key in keys}
    if draw(st.integers(0, 9)) < 7:  # usually identifiable, so that most events are built and sent
        event.update(draw(IDENTIFIERS))
    if draw(st.booleans()):
        event.update(draw(overrides()))
    if draw(st.integers(0, 9)) == 0:
        event.update(draw(st.dictionaries(st.text(max_size=12), JSON, max_size=3)))
    return event


@st.composite
def request_document(draw: st.DrawFn) -> Any:
    """One event, an array of them, or {"events": [...], "pinterest": {...}}."""
    form = draw(st.sampled_from(["one", "one", "array", "envelope"]))
    if form == "one":
        return draw(ga4_event())
    events = draw(st.lists(st.one_of(ga4_event(), ga4_event(), JSON), min_size=0, max_size=4))
    if form == "array":
        return events
    document: dict[str, Any] = {"events": events if draw(st.integers(0, 9)) else draw(JSON)}
    if draw(st.booleans()):
        document.update(draw(overrides()))
    return document


_BASE = options.Options(event_name_setup="inherit", event_name="", action_source="web", test=False)


def _context(opts: options.Options) -> Context:
    return Context(options=opts, now=1764000000, new_event_id=lambda: "generated")


def _dumps(document: Any, ascii_only: bool) -> bytes:
    return json.dumps(document, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------- tests


@fuzz_settings(30_000)
@given(document=JSON, ascii_only=st.booleans())
def test_any_json_document_gets_a_json_answer(gateway: GatewayClient, document: Any,
                                              ascii_only: bool) -> None:
    check_answer(gateway.send(_dumps(document, ascii_only)))


@fuzz_settings(60_000)
@given(document=request_document(), ascii_only=st.booleans(), debug=st.integers(0, 19))
def test_ga4_shaped_events_with_junk_everywhere(gateway: GatewayClient, document: Any, ascii_only: bool,
                                               debug: int) -> None:
    check_answer(gateway.send(_dumps(document, ascii_only), debug=debug == 0))


RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"", b"{", b"[", b"]", b"{}", b"[]", b"null", b"NaN", b"Infinity", b'{"value": NaN}',
                     b'[{"value": -Infinity}]', b"\xef\xbb\xbf{}", b'"\xff"', b'{"a": "\xed\xa0\x80"}',
                     b'{"event_name": "purchase", "value": ' + b"9" * 5000 + b"}", b"1" * 5000,
                     b'{"a": 1}{"b": 2}', b"\x00", b'{"events": {}}', b"true", b'"text"', b"[1, 2, 3]"]),
    st.builds(lambda body, cut: body[:cut],
              st.just(json.dumps({"event_name": "purchase", "items": [1]}).encode()), st.integers(0, 40)),
)


@fuzz_settings(10_000)
@given(body=RAW_BODIES,
       content_type=st.sampled_from(["application/json", "application/json", "text/plain", "",
                                     "application/vnd.api+json", "application/JSON; charset=latin-1",
                                     "multipart/form-data; boundary=x"]),
       method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT"]),
       key=st.sampled_from([CALLER_KEY, CALLER_KEY, CALLER_KEY, None, "", "wrong-key", CALLER_KEY + " "]))
def test_raw_bodies_headers_and_methods(gateway: GatewayClient, body: bytes, content_type: str, method: str,
                                        key: str | None) -> None:
    check_answer(gateway.send(body, content_type=content_type, method=method, key=key))


def _nest(depth: int, kind: str, leaf: str) -> str:
    """JSON text nested `depth` deep, written directly (json.dumps itself stops near 1,000 levels)."""
    opening, closing = [], []
    for level in range(depth):
        as_list = kind == "list" or (kind == "mixed" and level % 2)
        opening.append("[" if as_list else '{"a":')
        closing.append("]" if as_list else "}")
    return "".join(opening) + leaf + "".join(reversed(closing))


@fuzz_settings(3_000)
@given(depth=st.integers(1, 3_000), kind=st.sampled_from(["list", "dict", "mixed"]),
       where=st.sampled_from(["top", "user_data", "items", "pinterest", "pinterest-both", "event_map",
                              "contents-string"]))
def test_deep_nesting(gateway: GatewayClient, depth: int, kind: str, where: str) -> None:
    deep = _nest(depth, kind, '"x"')
    shared, own = _nest(depth, "dict", '"y"'), _nest(depth, "dict", '"x"')
    base = '"event_name": "purchase", "ip_override": "203.0.113.7", "user_agent": "UA"'
    bodies = {
        "top": lambda: deep,
        "user_data": lambda: f'{{{base}, "user_data": {deep}}}',
        "items": lambda: f'{{{base}, "items": [{deep}, {{"item_id": {deep}, "price": {deep}}}]}}',
        "pinterest": lambda: f'{{{base}, "pinterest": {{"custom_data": {deep}}}}}',
        "pinterest-both": lambda: f'{{"events": [{{{base}, "pinterest": {own}}}], "pinterest": {shared}}}',
        "event_map": lambda: f'{{{base}, "pinterest.event_map": {json.dumps(deep)}}}',
        "contents-string": lambda: f'{{{base}, "pinterest.custom_data.contents": {json.dumps(deep)}}}',
    }
    check_answer(gateway.send(bodies[where]().encode()))


@fuzz_settings(2_000)
@given(size=st.integers(1, 1 << 20), field=st.sampled_from(["event_id", "user_agent", "email", "event_name",
                                                             "value", "pinterest.custom_data.order_id",
                                                             "page_location", "items"]),
       char=st.sampled_from(["a", "é", "€", "😀", " ", "9", "\\"]))
def test_huge_strings(gateway: GatewayClient, size: int, field: str, char: str) -> None:
    base: dict[str, Any] = {"event_name": "purchase", "ip_override": "203.0.113.7", "user_agent": "UA"}
    base[field] = char * (size // len(char.encode()))
    check_answer(gateway.send(json.dumps(base, ensure_ascii=False).encode()))


@fuzz_settings(10_000)
@given(document=request_document(), ascii_only=st.booleans())
def test_each_built_event_is_measured_as_the_json_it_is_sent_as(document: Any, ascii_only: bool) -> None:
    """validate.compact_size counts orjson's bytes: exact only while the payloads hold no floats."""
    try:
        found = build_request(_dumps(document, ascii_only), _BASE, _context)
    except GatewayError:
        return
    for item in found:
        if isinstance(item, Built):
            assert item.size == len(json.dumps(item.payload, separators=(",", ":")))
            assert not _floats(item.payload)


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [found for child in value for found in _floats(child)] if isinstance(value, list) else []
