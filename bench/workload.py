"""The realistic event mix the benchmarks and the soak send: purchase, page_view and lead, in turn.

Values differ from event to event (e-mails, phones, names, items), so nothing benefits from a
warm cache that real traffic would not have.
"""

from __future__ import annotations

import json
from typing import Any

KINDS = ("purchase", "page_view", "lead")
_FIRST = ("Jane", "Émile", "Ana", "Chloé", "Ming", "Olu", "Sven", "Zoë")
_LAST = ("Doe", "Zola", "García", "Müller", "Chen", "Okafor", "Larsen", "O'Brien")
_CITIES = (("Menlo Park", "CA", "94025", "US"), ("Paris", "Île-de-France", "75002", "FR"),
           ("Berlin", "Berlin", "10115", "DE"), ("Austin", "Texas", "73301-0001", "US"))


def purchase(n: int, event_id: str | None = None) -> dict[str, Any]:
    """A purchase with 5 items and 10 user fields (em, ph, fn, ln, ge, db, ct, st, zp, country)."""
    city, region, postal, country = _CITIES[n % len(_CITIES)]
    event: dict[str, Any] = {
        "event_name": "purchase",
        "event_id": event_id or f"p-{n}",
        "transaction_id": f"T-{n}",
        "value": 0,  # replaced below by the items total, as GA4 sends it
        "currency": "usd",
        "ip_override": f"203.0.113.{n % 250 + 1}",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
        "page_location": f"https://shop.example.com/checkout/done?order=T-{n}&epik=dj0yJnU9{n:06d}",
        "page_referrer": "https://shop.example.com/cart",
        "language": "en-US",
        "items": [
            {"item_id": f"SKU-{n % 97}-{i}", "item_name": f"Linen shirt {i}", "item_brand": "Acme",
             "item_category": "Shirts", "price": f"{19 + i}.99", "quantity": i % 3 + 1}
            for i in range(5)
        ],
        "user_data": {
            "email_address": f" Customer.{n}@Example.com ",
            "phone_number": f"+1 (650) 555-{n % 10000:04d}",
            "address": {"first_name": _FIRST[n % len(_FIRST)], "last_name": _LAST[n % len(_LAST)],
                        "city": city, "region": region, "postal_code": postal, "country": country},
        },
        "gender": ("female", "male", "non-binary")[n % 3],
        "db": f"19{60 + n % 40}-0{n % 9 + 1}-1{n % 9}",
    }
    event["value"] = round(sum(float(item["price"]) * item["quantity"] for item in event["items"]), 2)
    return event


def page_view(n: int, event_id: str | None = None) -> dict[str, Any]:
    """A page view identified by IP address and user agent, with the _epik cookie."""
    return {
        "event_name": "page_view",
        "event_id": event_id or f"v-{n}",
        "client_id": f"{n}.1700000000",
        "ip_override": f"198.51.100.{n % 250 + 1}",
        "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15",
        "page_location": f"https://shop.example.com/products/{n % 500}",
        "page_referrer": "https://www.pinterest.com/",
        "language": "de-DE",
        "common_cookie": {"_epik": f"cookie-epik-{n}"},
    }


def lead(n: int, event_id: str | None = None) -> dict[str, Any]:
    """A lead with e-mail, a national phone number placed by the country, and names (offline)."""
    return {
        "event_name": "generate_lead",
        "event_id": event_id or f"l-{n}",
        "email": f"LEAD.{n}@example.org",
        "phone": f"020 7946 {n % 10000:04d}",
        "country": "United Kingdom",
        "firstName": _FIRST[n % len(_FIRST)],
        "lastName": _LAST[n % len(_LAST)],
        "city": "St. Albans",
        "zip": "AL1 1AA",
        "value": "0",
        "currency": "GBP",
        "pinterest": {"action_source": "offline"},
    }


_MAKERS = {"purchase": purchase, "page_view": page_view, "lead": lead}


def event(n: int, event_id: str | None = None) -> dict[str, Any]:
    """Event number n of the mix: purchase, page_view and lead in turn."""
    return _MAKERS[KINDS[n % len(KINDS)]](n, event_id)


def bodies(count: int, start: int = 0) -> list[bytes]:
    """`count` single-event request bodies of the mix."""
    return [json.dumps(event(n)).encode() for n in range(start, start + count)]
