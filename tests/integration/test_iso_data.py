"""ISO data through the real functions-framework server and the sandbox: unknown codes are not sent."""

from __future__ import annotations

import hashlib

import pytest

from function.sandbox.server import Sandbox
from tests.pinterest_spec import assert_valid_events_body
from tests.processes import FunctionServer, recorded

pytestmark = pytest.mark.slow


def _sent(sandbox: Sandbox) -> list[dict]:
    return [record["event"] for record in recorded(sandbox)]


def test_unknown_codes_stay_home_and_translated_country_names_are_read(function_server: FunctionServer,
                                                                       clean_sandbox: Sandbox) -> None:
    user = {"email_address": "someone@example.com", "address": {"country": "Frankreich"}}
    events = [
        {"event_name": "purchase", "event_id": "x-1", "value": 10, "currency": "XYZ", "language": "xx",
         "user_data": user},
        {"event_name": "purchase", "event_id": "k-1", "value": 10, "currency": "chf", "language": "de-CH",
         "user_data": user},
    ]
    response = function_server.post(events)
    assert response.status_code == 200, response.text
    unknown, known = _sent(clean_sandbox)
    assert "currency" not in unknown["custom_data"]
    assert "language" not in unknown
    assert known["custom_data"]["currency"] == "CHF"
    assert known["language"] == "de"
    france = hashlib.sha256(b"fr").hexdigest()
    assert unknown["user_data"]["country"] == known["user_data"]["country"] == [france]
    assert_valid_events_body({"data": [unknown, known]})
