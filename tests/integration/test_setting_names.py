"""A typo in a per-request setting, through the real functions-framework server: a 400, and nothing sent.

`"pinterest.tset": true` was ignored, so an event meant for Pinterest's test mode went live.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from function.sandbox.server import Sandbox
from tests.processes import FunctionServer, control

GOLDEN = Path(__file__).resolve().parents[1] / "golden"

pytestmark = pytest.mark.slow


def _stats(sandbox: Sandbox) -> dict:
    return requests.get(control(sandbox, "stats"), timeout=5).json()


def test_a_mistyped_setting_is_a_400_naming_it_and_the_setting_meant(function_server: FunctionServer,
                                                                   clean_sandbox: Sandbox) -> None:
    event = json.loads((GOLDEN / "purchase-input.json").read_text(encoding="utf-8"))
    response = function_server.post({**event, "pinterest.tset": True})
    assert response.status_code == 400, response.text
    [answer] = response.json()["events"]
    assert answer["status"] == "invalid"
    assert answer["error"] == "pinterest.tset is not a per-request setting; did you mean pinterest.test?"
    assert _stats(clean_sandbox)["calls"] == 0
