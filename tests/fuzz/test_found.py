"""What the fuzzing found, kept as plain examples so that it stays fixed."""

from __future__ import annotations

import json

import pytest

from function.logs.scrub import scrub
from tests.fuzz.conftest import GatewayClient, check_answer

BASE = {"event_name": "purchase", "ip_override": "203.0.113.7", "user_agent": "UA"}


@pytest.mark.parametrize("location", ["http://[::1", "http://[::1?epik=abc", "https://[::1/?epik=x"])
def test_a_page_location_that_is_no_url_does_not_fail_the_request(gateway: GatewayClient,
                                                                  location: str) -> None:
    # urlsplit raises ValueError on an unclosed IPv6 bracket; it escaped as a 500.
    answer = gateway.post_json({**BASE, "page_location": location})
    check_answer(answer)
    assert answer.status == 200, answer.text


@pytest.mark.parametrize("value", ["9" * 309, "1e999", 10**400])
def test_money_beyond_a_double_is_not_sent(gateway: GatewayClient, value: object) -> None:
    # Pinterest reads decimal strings into doubles and refused these: a 502 instead of the event.
    sent = gateway.post_json({**BASE, "value": value, "currency": "USD"})
    check_answer(sent)
    assert sent.status == 200, sent.text
    overridden = gateway.post_json({**BASE, "pinterest.custom_data.value": value})
    check_answer(overridden)
    assert overridden.status == 400, overridden.text
    assert "pinterest.custom_data.value" in overridden.body["events"][0]["error"]


def test_quantities_beyond_int64_are_not_sent(gateway: GatewayClient) -> None:
    answer = gateway.post_json({**BASE, "items": [{"item_id": "S", "price": "1", "quantity": 10**30}]})
    check_answer(answer)
    assert answer.status == 200, answer.text


def test_long_texts_are_scrubbed_in_linear_time() -> None:
    # The e-mail and credential patterns retried every start inside a long run: hours for 1 MB.
    for unit in ("a-", "a.", "key-", "a@b.", "x@y.z."):
        text = unit * (400_000 // len(unit))
        assert len(scrub(text)) > 0
    assert scrub("id=x; a@b.com+c@d.com, api_key=s3cr3t") == "id=x; [email][email], api_key=[redacted]"


def test_the_answers_never_carry_the_planted_values(gateway: GatewayClient) -> None:
    body = json.dumps([{**BASE, "email": "fuzz.canary.3b7e@example.com", "phone": "+1 650 555 0199",
                        "pinterest.custom_data.value": "bad"}])
    check_answer(gateway.send(body.encode()))
