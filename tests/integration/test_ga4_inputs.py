"""Several addresses and an ISO-8601 event time, through the real functions-framework server and sandbox."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta, timezone

import pytest

from function.sandbox.server import Sandbox
from tests.processes import FunctionServer, recorded

pytestmark = pytest.mark.slow


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_an_address_array_and_an_iso_event_time_reach_pinterest(function_server: FunctionServer,
                                                                clean_sandbox: Sandbox) -> None:
    seconds = int(time.time()) - 600
    iso = datetime.fromtimestamp(seconds, timezone(timedelta(hours=2))).isoformat()  # …+02:00
    addresses = [{"first_name": "Ada", "last_name": "Lovelace", "city": "London", "postal_code": "12345"},
                 {"first_name": "Grace", "last_name": "Hopper", "city": "Arlington", "postal_code": "22201"}]
    event = {"event_name": "purchase", "event_id": "addr-1", "event_time": iso,
             "user_data": {"email_address": "someone@example.com", "address": addresses}}
    response = function_server.post(event)
    assert response.status_code == 200, response.text
    [sent] = [record["event"] for record in recorded(clean_sandbox)]
    assert sent["event_time"] == seconds
    user_data = sent["user_data"]
    for key, ga4_key in (("fn", "first_name"), ("ln", "last_name"), ("ct", "city"), ("zp", "postal_code")):
        assert user_data[key] == [_sha256(a[ga4_key].lower()) for a in addresses], key
