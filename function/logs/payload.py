"""The Pinterest event as every log keeps it: the one rule for personal data in logs; pure.

Pinterest receives the event whole. Every record of it (console lines, SQLite and BigQuery rows,
`logs` output) holds the copy `loggable` makes, applied where a record is made (journal.EventRecord):
values that identify a person by themselves, or that a reader of the logs could tie to one, are cut
or reduced; what only Pinterest can match (SHA-256 digests, click ids) and what the operator needs
to follow an event (its id, order id, name, amounts, products) is kept.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from function.logs.scrub import scrub
from function.pipeline.fields import FIELDS
from function.pipeline.normalize import is_digest

# What stands in for a value the logs do not keep.
WITHHELD = "[withheld]"
NOT_HASHED = "[not hashed]"
NOT_AN_ADDRESS = "[not an IP address]"
# Bits of a client address kept: the network, as Google Analytics' IP anonymization keeps it.
IPV4_PREFIX, IPV6_PREFIX = 24, 48
_IPV4_MASK = (2**32 - 1) ^ (2 ** (32 - IPV4_PREFIX) - 1)
# Keys whose logged value is not the one Pinterest got, so `replay` leaves them out of what it sends.
REDUCED = frozenset({"client_ip_address", "client_user_agent", "search_string"})
# Page URL query parameters whose values are kept: click ids (identifiers only the ad platform can
# resolve) and campaign tags (utm_*, scrubbed as text). Any other parameter keeps its name only:
# marketing links often carry ?email=…&phone=….
_CLICK_ID_PARAMS = frozenset({"epik", "gclid", "fbclid"})
_CAMPAIGN_PARAM_PREFIX = "utm_"
# User-agent product names kept, with their major version: browsers, engines, Pinterest and crawlers.
# Device models, OS builds and app-specific tokens (the parts that single a user out) are never kept.
_KEPT_AGENTS = frozenset({
    "Mozilla", "AppleWebKit", "Gecko", "Trident", "Chrome", "Chromium", "CriOS", "Safari", "Version",
    "Mobile", "Firefox", "FxiOS", "Edg", "EdgA", "EdgiOS", "Edge", "OPR", "Opera", "SamsungBrowser",
    "YaBrowser", "Vivaldi", "Pinterest", "Pinterestbot", "Googlebot", "bingbot",
})
# Comments "(…)" and "[…]" of a user agent: platform, device and in-app details.
_AGENT_COMMENT = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
# A product token's name and its major version of at most 4 digits (longer runs are not versions).
_AGENT_TOKEN = re.compile(r"([A-Za-z][A-Za-z-]*)(?:/(\d{1,4})(?!\d))?")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Values kept as they are, whatever their key (exact types: subclasses take the general way).
_NUMBERS = frozenset({int, float, bool, type(None)})
# Characters a logged URL path keeps unquoted (the markers' brackets included).
_PATH_SAFE = "/[]:@!$&'()*+,;=~"


def loggable(event: Any) -> Any:
    """A copy of a Pinterest event as the logs keep it (any other JSON value scrubbed as text); applying it
    twice changes nothing more."""
    return _kept(scrub, event)


def identifier(text: str) -> str:
    """An id as the logs keep it: whole, but for an e-mail address or credential inside it."""
    return scrub(text, digits=False)


def _kept(rule: Callable[[str], str], value: Any) -> Any:
    """`rule` applied to every string of `value`; values in objects (sections, contents) by their keys.

    Most values of an event are strings and numbers: they are kept here without a call of their own
    (a third of the copy's cost), and anything else goes through `_kept` as before.
    """
    if isinstance(value, str):
        return rule(value)
    if isinstance(value, (dict, Mapping)):  # dict first: the ABC check costs 4 times more
        kept = {}
        for key, item in value.items():
            kind = type(item)
            kept[key] = (_RULES.get(key, scrub)(item) if kind is str else item if kind in _NUMBERS
                         else _kept(_RULES.get(key, scrub), item))
        return kept
    if isinstance(value, (list, tuple)):
        return [rule(item) if type(item) is str else _kept(rule, item) for item in value]
    return value


def _digest(text: str) -> str:
    """A hashed field holds SHA-256 digests; anything else in it is not kept."""
    return text if is_digest(text) else NOT_HASHED


def _network(text: str) -> str:
    """The address's network: IPv4 /24, IPv6 /48 (an IPv4-mapped IPv6 address as IPv4), as CIDR text."""
    # A plain IPv4 address, as most are: its /24 without building and widening a network (5 times faster).
    try:
        address = int(ipaddress.IPv4Address(text.strip()))
    except ValueError:
        return _any_network(text)
    return f"{ipaddress.IPv4Address(address & _IPV4_MASK)}/{IPV4_PREFIX}"


def _any_network(text: str) -> str:
    """`_network` of any text: an IPv6 address, a network in CIDR notation, or no address at all."""
    try:
        network: Network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return NOT_AN_ADDRESS
    mapped = network.network_address.ipv4_mapped if network.version == 6 else None
    if mapped is not None:
        network = ipaddress.ip_network(f"{mapped}/{max(network.prefixlen - 96, 0)}", strict=False)
    prefix = min(network.prefixlen, IPV4_PREFIX if network.version == 4 else IPV6_PREFIX)
    return str(network.supernet(new_prefix=prefix))


def _browser(text: str) -> str:
    """The kept product names of a user agent with their major versions: 'Mozilla/5 Chrome/120 Safari/537'."""
    kept = []
    for token in _AGENT_COMMENT.sub(" ", text).split():
        match = _AGENT_TOKEN.match(token)
        if match and match.group(1) in _KEPT_AGENTS:
            kept.append(match.group(1) + (f"/{match.group(2)}" if match.group(2) else ""))
    return " ".join(kept) or WITHHELD


def _page_url(text: str) -> str:
    """Scheme, host, port and scrubbed path; query names, with values only for the kept parameters; no
    credentials, no fragment."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return WITHHELD
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    query = urlencode([(scrub(name), _param_value(name, value))
                       for name, value in parse_qsl(parts.query, keep_blank_values=True)],
                      safe="[]") if parts.query else ""  # most page URLs have none: no parse for nothing
    path = quote(scrub(unquote(parts.path)), safe=_PATH_SAFE)
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def _param_value(name: str, value: str) -> str:
    if name.lower() in _CLICK_ID_PARAMS:
        return identifier(value)
    return scrub(value) if name.lower().startswith(_CAMPAIGN_PARAM_PREFIX) else ""


def _as_is(text: str) -> str:
    return text


def _withheld(_text: str) -> str:
    return WITHHELD


# Pinterest key → how its strings are kept; any key not listed is free text, scrubbed of e-mail
# addresses, phone-like digit runs and credentials (function/logs/scrub.py).
_RULES: dict[str, Callable[[str], str]] = {
    **dict.fromkeys((row.key for row in FIELDS if row.hashed), _digest),
    "client_ip_address": _network,
    "client_user_agent": _browser,
    "event_source_url": _page_url,
    # Typed by the user: it may hold a name, an address, anything no pattern finds.
    "search_string": _withheld,
    # Ids keep their digits: order and product numbers are what the operator looks events up by.
    **dict.fromkeys(("event_id", "order_id", "click_id", "partner_id", "content_ids", "id"), identifier),
    # Decimal amounts ("1250000" yen) are numbers, never a person.
    **dict.fromkeys(("value", "item_price", "predicted_ltv"), _as_is),
}
