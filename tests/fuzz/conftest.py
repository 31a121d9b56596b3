"""The gateway in-process: real Flask requests through `Gateway`, built events sent to a healthy sandbox.

Hypothesis profiles: `FUZZ_PROFILE=fast` (the default, part of `make test`: a few seconds) or
`FUZZ_PROFILE=long` (`make fuzz`: at least 100,000 inputs in all). They apply to these tests
only, never to the rest of the suite.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask
import pytest
from hypothesis import HealthCheck, settings

from function.app import create_gateway
from function.sandbox import Sandbox, start_sandbox

SANDBOX_TOKEN = "fuzz-sandbox-token-61c2"
CALLER_KEY = "fuzz-caller-key-0e9f"
AD_ACCOUNT = "549000000031"
OTHER_ACCOUNT = "549000000032"
# Planted in user fields: must never come back in an answer (answers name fields, not values).
CANARY_EMAIL = "fuzz.canary.3b7e@example.com"
CANARY_PHONE = "+1 650 555 0199"

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                              HealthCheck.large_base_example, HealthCheck.filter_too_much],
    "print_blob": True,
}
# Examples per test: a few seconds in all for `make test`; the long profile's counts add up to
# well over 100,000 (tests/fuzz/test_http_fuzz.py lists each test's share).
settings.register_profile("fuzz-fast", max_examples=40, **_COMMON)
settings.register_profile("fuzz-long", max_examples=100_000, **_COMMON)
PROFILE = "fuzz-long" if os.environ.get("FUZZ_PROFILE", "fast") == "long" else "fuzz-fast"
LONG = PROFILE == "fuzz-long"


def fuzz_settings(long_examples: int) -> settings:
    """This profile's settings; in the long profile, `long_examples` examples for the test."""
    base = settings.get_profile(PROFILE)
    return settings(base, max_examples=long_examples) if LONG else base


@dataclass
class Answer:
    status: int
    body: Any
    text: str


class GatewayClient:
    """Posts through the Flask test client (exceptions propagate) and counts what it sent."""

    def __init__(self, sandbox: Sandbox, log_dir: Path) -> None:
        env = {
            "PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT,
            "PINTEREST_AD_ACCOUNT_IDS": OTHER_ACCOUNT,
            "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
            "PINTEREST_API_URL": sandbox.url,
            "GATEWAY_API_KEYS": CALLER_KEY,
            "LOG_CONSOLE": "debug",  # lines only for X-Debug / pinterest.debug requests, as deployed
            "LOG_SQLITE_PATH": str(log_dir / "fuzz-log.sqlite3"),
            "PINTEREST_MAX_ATTEMPTS": "1",
            "PINTEREST_BATCH_WAIT_MS": "50",
        }
        self.gateway = create_gateway(env)
        self.sandbox = sandbox
        app = flask.Flask("fuzz")
        app.testing = True  # an exception escaping the gateway fails the test instead of becoming a 500
        app.add_url_rule("/", "gateway", lambda: self.gateway(flask.request), methods=["GET", "POST", "PUT"])
        self.client = app.test_client()
        self.requests = 0
        self._lock = threading.Lock()

    def send(self, data: bytes, *, content_type: str = "application/json", method: str = "POST",
             key: str | None = CALLER_KEY, debug: bool = False) -> Answer:
        headers = {}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if debug:
            headers["X-Debug"] = "true"
        response = self.client.open("/", method=method, data=data, content_type=content_type, headers=headers)
        with self._lock:
            self.requests += 1
            if self.requests % 500 == 0:
                self.sandbox.recorder.reset()  # bounded memory over a long run
        text = response.get_data(as_text=True)
        assert response.mimetype == "application/json", (response.status_code, text[:300])
        return Answer(response.status_code, json.loads(text), text)

    def post_json(self, document: Any, **kwargs: Any) -> Answer:
        return self.send(json.dumps(document, allow_nan=True).encode("utf-8", "surrogatepass"), **kwargs)


def check_answer(answer: Answer) -> None:
    """What every answer must be: no 5xx, a JSON object, an error naming the problem on 4xx."""
    assert answer.status < 500, (answer.status, answer.text[:500])
    body = answer.body
    assert isinstance(body, dict), answer.text[:300]
    assert isinstance(body.get("status"), str), answer.text[:300]
    if 400 <= answer.status < 500:
        if "error" in body:
            assert isinstance(body["error"], str), answer.text[:300]
            assert body["error"].strip(), answer.text[:300]
        else:
            refused = [e for e in body.get("events", []) if e.get("status") == "invalid"]
            assert refused, answer.text[:300]
            named = all(isinstance(e.get("error"), str) and e["error"].strip() for e in refused)
            assert named, answer.text[:300]
    for entry in body.get("events", []):
        assert entry.get("status") in {"sent", "queued", "skipped", "failed", "invalid"}, answer.text[:300]
        assert entry.get("status") != "failed", f"the sandbox refused a built event: {answer.text[:500]}"
    assert CANARY_EMAIL not in answer.text.lower(), answer.text[:300]
    assert CANARY_PHONE not in answer.text, answer.text[:300]


@pytest.fixture(scope="session")
def fuzz_sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(port=0, token=SANDBOX_TOKEN)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def gateway(fuzz_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> GatewayClient:
    return GatewayClient(fuzz_sandbox, tmp_path_factory.mktemp("fuzz"))
