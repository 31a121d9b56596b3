"""Fault injection: configuration parsing, the plan's draws, and what clients see over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from function.sandbox import FaultConfig, Sandbox, parse_fault_config, start_sandbox
from function.sandbox.faults import FaultPlan
from tests.processes import control
from tests.sandbox.helpers import AD_ACCOUNT, TOKEN, assert_matches, make_event


def call(sandbox: Sandbox, events: int = 1, timeout: float = 5) -> requests.Response:
    """One Conversions API call with `events` valid events."""
    body = {"data": [make_event(event_id=f"e{n}") for n in range(events)]}
    url = f"{sandbox.url}/ad_accounts/{AD_ACCOUNT}/events"
    return requests.post(url, json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=timeout)


def set_faults(sandbox: Sandbox, config: dict[str, Any]) -> requests.Response:
    """Configure faults the way a user of the HTTP API does."""
    return requests.post(control(sandbox, "faults"), json=config, timeout=5)


class TestParsing:
    def test_defaults_inject_nothing(self) -> None:
        assert parse_fault_config({}) == FaultConfig()
        assert FaultPlan().draw() is None

    def test_full_example(self) -> None:
        config = parse_fault_config(
            {
                "probability": 0.2,
                "kinds": ["429", "503", "timeout", "drop"],
                "retry_after": 1,
                "latency_ms": 0,
                "seed": 1,
                "timeout_s": 0.5,
                "script": ["503", "503", "200"],
            }
        )
        assert config == FaultConfig(
            0.2, ("429", "503", "timeout", "drop"), ("503", "503", "200"), 1, 0, 0.5, 1
        )

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ([], "must be a JSON object"),
            ({"probabilty": 0.2}, "probabilty is not a fault setting"),
            ({"probability": 1.5, "kinds": ["503"]}, "probability must be between 0 and 1"),
            ({"probability": -0.1}, "probability must be a non-negative number"),
            ({"probability": "0.2"}, "probability must be a non-negative number"),
            ({"probability": True}, "probability must be a non-negative number"),
            ({"probability": 0.5}, "kinds must name at least one fault"),
            ({"kinds": "503"}, "kinds must be an array of strings"),
            ({"kinds": ["503", "meteor"]}, r"kinds\[1\] must be one of"),
            ({"script": ["200", 503]}, "script must be an array of strings"),
            ({"script": ["404"]}, r"script\[0\] must be one of"),
            ({"retry_after": -1}, "retry_after must be a non-negative integer"),
            ({"retry_after": 1.5}, "retry_after must be a non-negative integer"),
            ({"latency_ms": "10"}, "latency_ms must be a non-negative integer"),
            ({"timeout_s": -1}, "timeout_s must be a non-negative number"),
            ({"seed": "one"}, "seed must be an integer or null"),
        ],
    )
    def test_mistakes_are_named(self, raw: object, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            parse_fault_config(raw)


class TestPlan:
    def test_script_is_consumed_in_order_then_behaves(self) -> None:
        plan = FaultPlan(FaultConfig(script=("503", "200", "429")))
        kinds = [fault and fault.kind for fault in (plan.draw() for _ in range(5))]
        assert kinds == ["503", None, "429", None, None]

    def test_faults_for_some_accounts_leave_the_others_alone(self) -> None:
        plan = FaultPlan(parse_fault_config({"script": ["429", "429"], "ad_accounts": ["1"]}))
        assert plan.draw("2") is None
        assert plan.draw("1").kind == "429"  # type: ignore[union-attr]
        assert plan.draw("2") is None  # the script is consumed by account 1's calls only
        assert plan.draw("1").kind == "429"  # type: ignore[union-attr]
        with pytest.raises(ValueError, match="ad_accounts"):
            parse_fault_config({"ad_accounts": "1"})

    def test_describe_shows_what_is_left(self) -> None:
        plan = FaultPlan(FaultConfig(script=("503", "429")))
        plan.draw()
        assert plan.describe()["script"] == ["429"]

    def test_script_before_random(self) -> None:
        plan = FaultPlan(FaultConfig(probability=1.0, kinds=("500",), script=("200",)))
        assert plan.draw() is None
        fault = plan.draw()
        assert fault is not None
        assert fault.kind == "500"

    def test_seed_makes_random_faults_repeatable(self) -> None:
        config = FaultConfig(probability=0.5, kinds=("429", "503", "drop"), seed=7)
        first, second = FaultPlan(config), FaultPlan(config)
        draws = [(a and a.kind, b and b.kind) for a, b in ((first.draw(), second.draw()) for _ in range(50))]
        assert all(a == b for a, b in draws)
        assert {a for a, _ in draws} == {None, "429", "503", "drop"}

    def test_probability_zero_never_faults(self) -> None:
        plan = FaultPlan(FaultConfig(probability=0.0, kinds=("503",)))
        assert all(plan.draw() is None for _ in range(100))

    def test_clear(self) -> None:
        plan = FaultPlan(FaultConfig(probability=1.0, kinds=("503",), script=("429",)))
        plan.clear()
        assert plan.draw() is None
        assert plan.describe()["kinds"] == []

    def test_each_script_entry_is_drawn_once_across_threads(self) -> None:
        plan = FaultPlan(FaultConfig(script=tuple(["503", "429"] * 50)))
        drawn: list[str] = []

        def draw() -> None:
            for _ in range(10):
                fault = plan.draw()
                drawn.append(fault.kind if fault else "none")

        threads = [threading.Thread(target=draw) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(drawn) == sorted(["503", "429"] * 50 + ["none"] * 100)


class TestOverHttp:
    def test_scripted_faults_in_order(self, sandbox: Sandbox) -> None:
        assert set_faults(sandbox, {"script": ["503", "503", "200", "500"]}).status_code == 200
        assert [call(sandbox).status_code for _ in range(5)] == [503, 503, 200, 500, 200]

    def test_faulted_calls_count_but_record_nothing(self, sandbox: Sandbox) -> None:
        set_faults(sandbox, {"script": ["503", "429"]})
        for _ in range(3):
            call(sandbox, events=2)
        stats = sandbox.recorder.stats()
        assert stats["calls"] == 3
        assert stats["faults"] == {"503": 1, "429": 1}
        assert stats["statuses"] == {"503": 1, "429": 1, "200": 1}
        assert stats["batch_sizes"] == [2]
        assert {record["call"] for record in sandbox.recorder.events()} == {3}

    def test_429_carries_retry_after(self, sandbox: Sandbox) -> None:
        set_faults(sandbox, {"script": ["429"], "retry_after": 7})
        response = call(sandbox)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert response.json()["code"] == 8
        assert_matches(response.json(), "Error")

    def test_503_and_500_bodies(self, sandbox: Sandbox) -> None:
        set_faults(sandbox, {"script": ["503", "500"]})
        assert call(sandbox).json() == {
            "code": 4197,
            "message": "The endpoint has been ramped down and is currently not accepting any traffic.",
        }
        assert_matches(call(sandbox).json(), "Error")

    def test_401_as_if_the_token_were_revoked(self, sandbox: Sandbox) -> None:
        set_faults(sandbox, {"script": ["401"]})
        response = call(sandbox)
        assert (response.status_code, response.json()) == (
            401,
            {"code": 2, "message": "Authentication failed."},
        )

    def test_drop_gives_the_client_a_connection_error(self, sandbox: Sandbox) -> None:
        set_faults(sandbox, {"script": ["drop"]})
        with pytest.raises(requests.exceptions.ConnectionError):
            call(sandbox)
        stats = sandbox.recorder.stats()
        assert (stats["faults"], stats["statuses"], sandbox.recorder.events()) == ({"drop": 1}, {}, [])
        assert call(sandbox).status_code == 200

    def test_timeout_trips_the_client_read_timeout(self, sandbox: Sandbox) -> None:
        set_faults(sandbox, {"script": ["timeout"], "timeout_s": 0.5})
        with pytest.raises(requests.exceptions.ReadTimeout):
            call(sandbox, timeout=0.1)
        assert sandbox.recorder.events() == []
        assert call(sandbox).status_code == 200

    def test_timeout_without_a_client_timeout_ends_in_a_hang_up(self, sandbox: Sandbox) -> None:
        set_faults(sandbox, {"script": ["timeout"], "timeout_s": 0.2})
        with pytest.raises(requests.exceptions.ConnectionError):
            call(sandbox, timeout=5)

    def test_slow_answers_normally_after_the_latency(self, sandbox: Sandbox) -> None:
        set_faults(sandbox, {"script": ["slow"], "latency_ms": 150})
        started = time.monotonic()
        response = call(sandbox)
        assert time.monotonic() - started >= 0.15
        assert response.status_code == 200
        assert len(sandbox.recorder.events()) == 1

    def test_partial_fails_the_last_event_with_200(self, sandbox: Sandbox) -> None:
        set_faults(sandbox, {"script": ["partial"]})
        response = call(sandbox, events=3)
        assert response.status_code == 200
        body = response.json()
        assert_matches(body, "ConversionApiResponse")
        assert (body["num_events_received"], body["num_events_processed"]) == (3, 2)
        assert [entry["status"] for entry in body["events"]] == ["processed", "processed", "failed"]
        assert body["events"][2]["error_message"]
        assert [record["event"]["event_id"] for record in sandbox.recorder.events()] == ["e0", "e1"]

    def test_partial422_fails_the_last_event_with_422(self, sandbox: Sandbox) -> None:
        set_faults(sandbox, {"script": ["partial422"]})
        response = call(sandbox, events=1)
        assert response.status_code == 422
        body = response.json()
        assert_matches(body, "DetailedError")
        assert body["details"]["num_events_processed"] == 0
        assert sandbox.recorder.events() == []
        assert sandbox.recorder.stats()["faults"] == {"partial422": 1}

    def test_random_faults_follow_the_seed(self, sandbox: Sandbox) -> None:
        config = {"probability": 0.5, "kinds": ["429", "503"], "seed": 3}
        set_faults(sandbox, config)
        expected_plan = FaultPlan(parse_fault_config(config))
        expected = []
        for _ in range(12):
            fault = expected_plan.draw()
            expected.append(int(fault.kind) if fault else 200)
        assert [call(sandbox).status_code for _ in range(12)] == expected
        assert 200 in expected
        assert {429, 503} & set(expected)

    def test_get_post_delete_the_configuration(self, sandbox: Sandbox) -> None:
        root = control(sandbox, "faults")
        shown = set_faults(sandbox, {"probability": 0.25, "kinds": ["503"], "script": ["429"]}).json()
        assert shown == requests.get(root, timeout=5).json()
        assert shown == {
            "probability": 0.25,
            "kinds": ["503"],
            "script": ["429"],
            "retry_after": 1,
            "latency_ms": 0,
            "timeout_s": 30.0,
            "seed": None,
            "ad_accounts": [],
        }
        assert requests.delete(root, timeout=5).json()["probability"] == 0.0
        assert call(sandbox).status_code == 200

    def test_bad_configuration_is_400_and_keeps_the_old_one(self, sandbox: Sandbox) -> None:
        set_faults(sandbox, {"script": ["503"]})
        response = set_faults(sandbox, {"kinds": ["meteor"]})
        assert response.status_code == 400
        assert response.json()["message"].startswith("Invalid fault configuration: kinds[0]")
        assert call(sandbox).status_code == 503


@pytest.fixture
def scripted_sandbox() -> Iterator[Sandbox]:
    """A sandbox started with faults from the Python API."""
    running = start_sandbox("127.0.0.1", 0, TOKEN, faults=FaultConfig(script=("503",)))
    yield running
    running.stop()


def test_faults_given_at_start(scripted_sandbox: Sandbox) -> None:
    assert [call(scripted_sandbox).status_code for _ in range(2)] == [503, 200]


def test_stop_wakes_a_sleeping_timeout() -> None:
    running = start_sandbox("127.0.0.1", 0, TOKEN, faults=FaultConfig(script=("timeout",), timeout_s=30))
    with pytest.raises(requests.exceptions.ReadTimeout):
        call(running, timeout=0.1)
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < 5
