"""The tag template's own code, run by the Node harness against the real function and the sandbox.

GA4-client event data goes in; out come the body the tag posts, the event the sandbox receives, the
pixel URL the browser is told to load, the `_epik` cookie, and the tag's success or failure.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from function.sandbox.server import Sandbox
from tests.gtm.conftest import TagRun, run_tag
from tests.processes import (
    CALLER_KEY,
    FunctionServer,
    faults,
    recorded,
)

pytestmark = pytest.mark.slow

TAG_ID = "2612345678901"
RAW_EMAIL = " Jane.Doe@Example.com "
RAW_PHONE = "+1 (650) 555-0142"
CLICK_ID = "dj0yJnU9Q2xpY2s-SWQ=="  # the epik parameter, percent-encoded in the page URL


def ga4_purchase(**changes: Any) -> dict[str, Any]:
    """Event data as the GA4 client makes it of a gtag.js purchase hit (what getAllEventData returns)."""
    event = {
        "event_name": "purchase",
        "client_id": "1693452718.1764000000",
        "ga_session_id": "1764000000",
        "ga_session_number": 3,
        "engagement_time_msec": 1,
        "language": "en-us",
        "page_encoding": "UTF-8",
        "page_location": "https://shop.example.com/checkout/thanks?order=T-1001&epik="
                         + quote(CLICK_ID, safe=""),
        "page_referrer": "https://shop.example.com/checkout",
        "page_title": "Thank you",
        "screen_resolution": "1920x1080",
        "ip_override": "198.51.100.23",
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                      "Chrome/131.0.0.0 Safari/537.36",
        "currency": "EUR",
        "value": 84.5,
        "transaction_id": "T-1001",
        "items": [{"item_id": "SKU-7", "item_name": "Linen shirt", "item_brand": "Acme",
                   "item_category": "Shirts", "price": 39.5, "quantity": 2},
                  {"item_id": "SKU-9", "item_name": "Socks", "price": 5.5, "quantity": 1}],
        "user_data": {"email_address": RAW_EMAIL, "phone_number": RAW_PHONE,
                      "address": {"first_name": "Jane", "last_name": "Doe", "city": "Menlo Park",
                                  "country": "US"}},
        "x-ga-protocol_version": "2",
        "x-ga-measurement_id": "G-TEST123",
        "x-ga-gtm_version": "45je4bj0v9",
        "x-ga-page_id": 1830234312,
        "x-ga-request_count": 4,
        "x-ga-gcs": "G111",
        "x-ga-system_properties": {"u": "1"},
    }
    event.update(changes)
    return event


def fields(gateway_url: str, **changes: Any) -> dict[str, Any]:
    """The tag's form as a user fills it in (the template's parameter names)."""
    data = {
        "gatewayUrl": gateway_url,
        "callerKey": CALLER_KEY,
        "eventNameSetup": "inherit",
        "actionSource": "web",
        "adAccountId": "",
        "testMode": False,
        "delivery": "",
        "useOptimisticScenario": False,
        "serverEventDataList": [],
        "userDataList": [{"name": "external_id", "value": "Customer-42"}],
        "customDataList": [{"name": "content_category", "value": "apparel"}],
        "consent": "required",
        "sendPixel": True,
        "pixelTagId": TAG_ID,
        "setClickIdCookie": True,
        "logType": "debug",
        "requestTimeoutMs": "8000",
    }
    data.update(changes)
    return data


def loopback(url: str) -> tuple[str]:
    """The permission row a user adds for the gateway's own URL (here the local server's)."""
    return (f"{url.rstrip('/')}/*",)


def tag(tmp_path: Path, gateway: FunctionServer, event: dict[str, Any] | None = None, *,
        cookies: str = "", **changes: Any) -> TagRun:
    return run_tag(tmp_path, fields(gateway.url, **changes), event or ga4_purchase(), cookies=cookies,
                   allow_urls=loopback(gateway.url))




def params(url: str) -> dict[str, str]:
    assert url.startswith("https://ct.pinterest.com/v3/?")
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def no_secret_or_raw_data(lines: list[str] | str) -> None:
    text = "\n".join(lines) if isinstance(lines, list) else lines
    for secret in (CALLER_KEY, RAW_EMAIL.strip(), "jane.doe@example.com", "555-0142", "Customer-42"):
        assert secret not in text


def test_a_purchase_reaches_pinterest_and_the_browser_with_one_event_id(
        tmp_path: Path, gateway: FunctionServer, clean_sandbox: Sandbox) -> None:
    event = ga4_purchase()
    run = tag(tmp_path, gateway, event)
    assert run.error is None
    assert run.outcome == "gtmOnSuccess"
    # The body: the event data as it came, plus the form's settings under `pinterest`.
    [request] = run.requests
    assert request["url"] == gateway.url
    assert request["method"] == "POST"
    assert request["headers"] == {"Content-Type": "application/json", "Authorization": f"Bearer {CALLER_KEY}"}
    assert request["timeout"] == 8000
    assert run.body == {**event, "pinterest": {
        "event_name_setup": "inherit", "action_source": "web", "consent": "required", "debug": True,
        "pixel_tag_id": TAG_ID, "report_click_id": True,
        "user_data": {"external_id": "Customer-42"}, "custom_data": {"content_category": "apparel"}}}
    assert run.responses[0]["statusCode"] == 200
    # What Pinterest received.
    [sent] = recorded(clean_sandbox)
    capi = sent["event"]
    assert capi["event_name"] == "checkout"
    assert capi["event_id"] == "T-1001"
    assert capi["user_data"]["em"] == [hashlib.sha256(b"jane.doe@example.com").hexdigest()]
    assert capi["user_data"]["click_id"] == CLICK_ID
    assert capi["custom_data"]["content_category"] == "apparel"
    # The pixel: the tag's name for the event, the same id, the same digest, the same amounts.
    [pixel] = run.pixels
    assert run.answer["events"][0]["pixel_url"] == pixel
    got = params(pixel)
    assert got["event"] == "checkout"
    assert got["tid"] == TAG_ID
    assert got["ed[event_id]"] == capi["event_id"]
    assert got["pd[em]"] == capi["user_data"]["em"][0]
    assert got["ed[value]"] == capi["custom_data"]["value"] == "84.5"
    assert got["ed[currency]"] == capi["custom_data"]["currency"] == "EUR"
    assert got["ed[order_id]"] == "T-1001"
    assert got["ed[line_items][0][product_id]"] == "SKU-7"
    assert got["ad[loc]"] == capi["event_source_url"]
    assert got["ad[ref]"] == "https://shop.example.com/checkout"
    assert RAW_PHONE not in pixel
    # The cookie: the click id Pinterest got, for a year, on the site's domain.
    [cookie] = run.cookies
    assert cookie["name"] == "_epik"
    assert cookie["header"] == (f"_epik={quote(CLICK_ID, safe='')}; Domain=example.com; Path=/; "
                                "Max-Age=31536000; Secure; SameSite=Lax")
    # Console lines, the tag's and the gateway's: neither the key nor the raw user data.
    assert len(run.logs) == 2
    no_secret_or_raw_data(run.logs)
    no_secret_or_raw_data(gateway.log_text())


def test_the_cookie_gives_a_later_event_the_click_id(tmp_path: Path, gateway: FunctionServer,
                                                     clean_sandbox: Sandbox) -> None:
    first = tag(tmp_path, gateway)
    cookie = first.cookies[0]["header"].split(";")[0]
    later = ga4_purchase(event_name="page_view", page_location="https://shop.example.com/shirts",
                         transaction_id=None)
    run = tag(tmp_path, gateway, later, cookies=f"_ga=GA1.1.1693452718.1764000000; {cookie}")
    assert run.outcome == "gtmOnSuccess"
    assert run.body["_epik"] == CLICK_ID
    assert recorded(clean_sandbox)[-1]["event"]["user_data"]["click_id"] == CLICK_ID
    assert run.cookies == []  # the cookie already holds it
    assert params(run.pixels[0])["event"] == "pagevisit"


def test_optimistic_delivery_is_a_202_with_the_pixel_of_the_queued_event(
        tmp_path: Path, gateway: FunctionServer, clean_sandbox: Sandbox) -> None:
    run = tag(tmp_path, gateway, delivery="optimistic")
    assert run.responses[0]["statusCode"] == 202
    assert run.outcome == "gtmOnSuccess"
    assert run.answer["events"][0]["status"] == "queued"
    [pixel] = run.pixels
    deadline = time.monotonic() + 10
    while not recorded(clean_sandbox) and time.monotonic() < deadline:
        time.sleep(0.05)
    [sent] = recorded(clean_sandbox)
    assert params(pixel)["ed[event_id]"] == sent["event"]["event_id"]
    assert params(pixel)["pd[em]"] == sent["event"]["user_data"]["em"][0]


@pytest.fixture
def replay_207(gateway: FunctionServer, clean_sandbox: Sandbox) -> Iterator[str]:
    """A server answering, to any POST, the real function's 207 (one event sent, one invalid).

    The tag posts one event and one event cannot make a 207; the answer is the function's own.
    """
    taken = {**ga4_purchase(), "pinterest": {"pixel_tag_id": TAG_ID, "report_click_id": True}}
    refused = {"event_name": "page_view", "client_id": "no identifiers",
               "pinterest": {"pixel_tag_id": TAG_ID}}
    answer = gateway.post([taken, refused])
    assert answer.status_code == 207, answer.text
    body = answer.content

    class Replay(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(207)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_207_is_a_success_with_pixels_only_for_the_events_taken(tmp_path: Path, replay_207: str) -> None:
    run = run_tag(tmp_path, fields(replay_207), ga4_purchase(), allow_urls=loopback(replay_207))
    assert run.responses[0]["statusCode"] == 207
    assert run.outcome == "gtmOnSuccess"
    assert [entry["status"] for entry in run.answer["events"]] == ["sent", "invalid"]
    [pixel] = run.pixels
    assert params(pixel)["ed[event_id]"] == "T-1001"


@pytest.mark.parametrize(("case", "status"), [
    pytest.param({"serverEventDataList": [{"name": "event_time", "value": "yesterday"}]}, 400,
                 id="a bad table value: 400"),
    pytest.param({"callerKey": "not-the-caller-key-0000"}, 401, id="a wrong caller key: 401"),
    pytest.param({"_event": {"user_data": {}, "ip_override": None, "user_agent": None}}, 422,
                 id="no identifier Pinterest can match: 422"),
    pytest.param({"_faults": {"script": ["500", "500"]}}, 502, id="Pinterest keeps failing: 502"),
])
def test_an_answer_outside_2xx_fails_the_tag_and_fires_no_pixel(
        tmp_path: Path, gateway: FunctionServer, clean_sandbox: Sandbox, case: dict[str, Any],
        status: int) -> None:
    changes = dict(case)
    event = ga4_purchase(**changes.pop("_event", {}))
    if "_faults" in changes:
        faults(clean_sandbox, changes.pop("_faults"))
    run = tag(tmp_path, gateway, event, **changes)
    assert run.responses[0]["statusCode"] == status, run.responses
    assert run.outcome == "gtmOnFailure"
    assert run.pixels == []
    if status == 502:
        assert run.answer["events"][0]["click_id"] == CLICK_ID  # a built event still names its click id
    else:
        assert run.cookies == []
    if status in (400, 401, 422):
        assert recorded(clean_sandbox) == []
    no_secret_or_raw_data(run.logs)


def test_a_gateway_slower_than_the_timeout_fails_the_tag_at_the_timeout(
        tmp_path: Path, gateway: FunctionServer, clean_sandbox: Sandbox) -> None:
    faults(clean_sandbox, {"script": ["slow"], "latency_ms": 3000})
    run = tag(tmp_path, gateway, requestTimeoutMs="800")
    assert run.responses == [{"reason": "timed_out", "afterMs": run.responses[0]["afterMs"]}]
    assert 800 <= run.responses[0]["afterMs"] < 2500
    assert run.outcome == "gtmOnFailure"
    assert run.pixels == []
    assert run.cookies == []
    assert '"Error":"timed_out"' in run.logs[-1]


def test_refused_consent_sends_nothing_and_passes_nothing_to_the_browser(
        tmp_path: Path, gateway: FunctionServer, clean_sandbox: Sandbox) -> None:
    run = tag(tmp_path, gateway, ga4_purchase(**{"x-ga-gcs": "G100"}))
    assert run.responses[0]["statusCode"] == 200
    assert run.answer == {"status": "skipped", "reason": "consent", "events": [
        {"event_id": "T-1001", "event_name": "checkout", "ga4_event_name": "purchase", "status": "skipped",
         "reason": "consent"}]}
    assert run.outcome == "gtmOnSuccess"
    assert run.pixels == []
    assert run.cookies == []
    assert recorded(clean_sandbox) == []


def test_the_optimistic_scenario_succeeds_before_the_answer_even_a_failed_one(
        tmp_path: Path, gateway: FunctionServer, clean_sandbox: Sandbox) -> None:
    faults(clean_sandbox, {"script": ["500", "500"]})
    run = tag(tmp_path, gateway, useOptimisticScenario=True)
    assert run.timeline == ["gtmOnSuccess", "response"]
    assert run.responses[0]["statusCode"] == 502
    assert run.outcome == "gtmOnSuccess"


def test_test_mode_reaches_pinterest_flagged_and_fires_no_pixel(
        tmp_path: Path, gateway: FunctionServer, clean_sandbox: Sandbox) -> None:
    run = tag(tmp_path, gateway, testMode=True, eventNameSetup="standard", standardEventName="lead")
    assert run.outcome == "gtmOnSuccess"
    [sent] = recorded(clean_sandbox)
    assert sent["test"] is True
    assert sent["event"]["event_name"] == "lead"
    assert run.pixels == []


def test_a_gateway_url_the_permissions_do_not_allow_is_never_called(
        tmp_path: Path, gateway: FunctionServer, clean_sandbox: Sandbox) -> None:
    run = run_tag(tmp_path, fields(gateway.url), ga4_purchase())  # the user did not add the URL
    assert run.requests == []
    assert run.outcome == "exception"
    assert run.error is not None
    assert "send_http" in run.error
    assert recorded(clean_sandbox) == []

