"""Pinterest's official OpenAPI description, used to validate every payload the tests see."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator

ROOT = Path(__file__).resolve().parents[1]
# The copy beside the project (CI lays ../shared next to the clone).
SPEC_PATH = ROOT.parent / "shared" / "pinterest" / "openapi.json"
EVENTS_PATH = "/ad_accounts/{ad_account_id}/events"

# What Pinterest's API 5.28 adds to the events body, which our 5.23 copy lacks. The one schema
# change is a new contents[] key (pinterest/api-description, v5/changelog-5.23-to-5.28.md,
# "Conversion Events": "added the new optional request property
# data/items/custom_data/contents/items/item_brand_id"), a string of at most 64 characters (the
# bound is the 5.28 reference's; the changelog lists properties, not bounds). The 7 event names
# 5.28 makes first-class need nothing here: the 5.23 event_name is any string.
CONTENT_PROPERTIES_5_28: dict[str, Any] = {"item_brand_id": {"type": "string", "maxLength": 64}}


@functools.cache
def spec() -> dict[str, Any]:
    """The 5.23 description with the 5.28 additions above laid over it."""
    document = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    event = document["components"]["schemas"]["ConversionEvents"]["properties"]["data"]["items"]
    event["properties"]["custom_data"]["properties"]["contents"]["items"]["properties"].update(
        CONTENT_PROPERTIES_5_28
    )
    return document


@functools.cache
def _validator(schema_name: str) -> OAS30Validator:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec()["components"]}
    return OAS30Validator(schema)


def schema_errors(body: Any, schema_name: str = "ConversionEvents") -> list[str]:
    """Every violation of the named schema, as 'path: message' lines."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in _validator(schema_name).iter_errors(body)
    ]


def assert_valid_events_body(body: Any) -> None:
    """The body is a valid ConversionEvents document and every event has an identifier.

    OpenAPI 3.0 ignores the `required` beside `$ref` in ConversionEventsUserData, so the
    at-least-one identifier rule is checked by hand.
    """
    errors = schema_errors(body)
    for index, event in enumerate(body.get("data", [])):
        user = event.get("user_data", {})
        if not (user.get("em") or user.get("hashed_maids")
                or (user.get("client_ip_address") and user.get("client_user_agent"))):
            errors.append(f"data/{index}/user_data: needs em, hashed_maids or ip + user agent")
    assert not errors, "payload breaks Pinterest's OpenAPI description:\n" + "\n".join(errors)
