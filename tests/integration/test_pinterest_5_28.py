"""Pinterest 5.28 through the real functions-framework server and the sandbox."""

from __future__ import annotations

import pytest

from function.sandbox.server import Sandbox
from tests.pinterest_spec import assert_valid_events_body
from tests.processes import FunctionServer, recorded

pytestmark = pytest.mark.slow


def test_first_class_names_and_item_brand_id_reach_pinterest(function_server: FunctionServer,
                                                             clean_sandbox: Sandbox) -> None:
    user = {"user_data": {"email_address": "someone@example.com"}}
    events = [
        {**user, "event_name": "contact", "event_id": "c-1"},
        {**user, "event_name": "start_trial", "event_id": "s-1",
         "items": [{"item_id": "A1", "item_brand_id": "brand-7"}]},
        {**user, "event_name": "find_location", "event_id": "f-1",
         "pinterest": {"custom_data": {"contents": [{"id": "B2", "item_brand_id": "brand-8"}]}}},
    ]
    response = function_server.post(events)
    assert response.status_code == 200, response.text
    assert [e["event_name"] for e in response.json()["events"]] == ["contact", "start_trial", "find_location"]
    sent = [record["event"] for record in recorded(clean_sandbox)]
    assert [e["event_name"] for e in sent] == ["contact", "start_trial", "find_location"]
    assert sent[1]["custom_data"]["contents"] == [{"id": "A1", "item_brand_id": "brand-7", "quantity": 1}]
    assert sent[2]["custom_data"]["contents"] == [{"id": "B2", "item_brand_id": "brand-8", "quantity": 1}]
    assert_valid_events_body({"data": sent})
