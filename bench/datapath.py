"""Benchmark 1: the pure data path (parse → map → normalize/hash → build) against Pinterest's SDK.

Ours: `function.pipeline.request.build_request` on request bodies of the mix, from raw bytes to the
finished Pinterest event. Baseline: what a user writing their own function would reach for,
`pinterest.ads.conversion_events.Conversion.create_conversion_event` (pinterest-api-sdk), fed
the values our data path extracted and hashed — so the baseline is timed doing strictly less
work (model construction only). Both must produce the same event: checked, not timed.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import workload
from bench.common import ROOT, Sample, sample
from function.pipeline import options
from function.pipeline.build import Context
from function.pipeline.request import Built, build_request
from function.settings import Settings

SETTINGS = Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": "549000000077"})
# Event-level keys create_conversion_event takes besides the required ones.
_SDK_OPTIONAL = ("event_source_url", "partner_name", "app_id", "app_name", "app_version", "device_brand",
                 "device_carrier", "device_model", "device_type", "os_version", "language")


def our_builder() -> Callable[[bytes], list[Any]]:
    base = options.defaults(SETTINGS)
    now = int(time.time())
    ids = itertools.count()

    def context(opts: options.Options) -> Context:
        return Context(options=opts, now=now, new_event_id=lambda: f"gen-{next(ids)}")

    return lambda body: build_request(body, base, context)


def built_payloads(bodies: list[bytes]) -> list[dict[str, Any]]:
    build = our_builder()
    payloads = []
    for body in bodies:
        (item,) = build(body)
        assert isinstance(item, Built), item
        payloads.append(item.payload)
    return payloads


def sdk_inputs(payload: dict[str, Any]) -> dict[str, Any]:
    """The extracted, hashed values as create_conversion_event's arguments (plain data)."""
    args = {key: payload[key] for key in ("event_name", "action_source", "event_time", "event_id")}
    args["user_data"] = dict(payload["user_data"])
    args["custom_data"] = dict(payload.get("custom_data", {}))
    args.update({key: payload[key] for key in _SDK_OPTIONAL if key in payload})
    extra = set(payload) - set(args) - {"custom_data"}
    assert not extra, f"the mix uses keys the baseline does not pass: {extra}"
    return args


def sdk_builder() -> Callable[[dict[str, Any]], Any]:
    """The SDK's way to build one event: contents as models, then the validating event model."""
    from openapi_generated.pinterest_client.model.conversion_events_custom_data_contents import (
        ConversionEventsCustomDataContents,
    )
    from pinterest.ads.conversion_events import Conversion

    def build(args: dict[str, Any]) -> Any:
        custom = dict(args["custom_data"])
        if "contents" in custom:
            custom["contents"] = [ConversionEventsCustomDataContents(**item) for item in custom["contents"]]
        return Conversion.create_conversion_event(**{**args, "custom_data": custom})

    return build


def sdk_json(model: Any) -> dict[str, Any]:
    """The SDK model as the JSON it would send, without the nulls and empty objects it adds."""
    from openapi_generated.pinterest_client.api_client import ApiClient

    return _prune(ApiClient.sanitize_for_serialization(model))


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in pruned.items() if v != {}}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def check_equivalent(bodies: list[bytes]) -> int:
    """The SDK, fed our extracted and hashed values, builds exactly our payload; returns how many checked."""
    build = sdk_builder()
    for payload in built_payloads(bodies):
        assert sdk_json(build(sdk_inputs(payload))) == _prune(payload), payload["event_id"]
    return len(bodies)


def _time_per_event(run: Callable[[], int]) -> float:
    started = time.perf_counter()
    events = run()
    return (time.perf_counter() - started) / events * 1e6


def measure(repetitions: int = 5, events: int = 600, our_passes: int = 5) -> dict[str, Sample]:
    """µs/event of ours and of the SDK baseline, interleaved repetition by repetition."""
    bodies = workload.bodies(events)
    build = our_builder()
    sdk = sdk_builder()
    sdk_args = [sdk_inputs(p) for p in built_payloads(bodies)]
    for body in bodies[:60]:  # warm-up: first-use imports and regex compilation
        build(body)
    for args in sdk_args[:60]:
        sdk(args)

    def ours() -> int:
        for _ in range(our_passes):
            for body in bodies:
                build(body)
        return our_passes * len(bodies)

    def baseline() -> int:
        for args in sdk_args:
            sdk(args)
        return len(sdk_args)

    our_us, sdk_us = [], []
    for _ in range(repetitions):
        our_us.append(_time_per_event(ours))
        sdk_us.append(_time_per_event(baseline))
    per_kind = {}
    for offset, kind in enumerate(workload.KINDS):
        kind_bodies = bodies[offset::len(workload.KINDS)]
        runs = []
        for _ in range(repetitions):
            started = time.perf_counter()
            for body in kind_bodies:
                build(body)
            runs.append((time.perf_counter() - started) / len(kind_bodies) * 1e6)
        per_kind[kind] = sample(runs)
    return {"ours": sample(our_us), "sdk": sample(sdk_us), **{f"ours_{k}": v for k, v in per_kind.items()}}


_IMPORT_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str, repetitions: int = 5) -> Sample:
    """Seconds to import `module` in a fresh interpreter (the interpreter's own start-up excluded)."""
    runs = []
    for _ in range(repetitions):
        out = subprocess.run([sys.executable, "-c", _IMPORT_PROBE.format(module=module)], cwd=ROOT,
                             capture_output=True, text=True, check=True, timeout=120)
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    return sample(runs)


if __name__ == "__main__":
    print(json.dumps({"checked": check_equivalent(workload.bodies(30))}))
    for name, result in measure(repetitions=3).items():
        print(name, f"{result.median:.1f} µs/event", result.values)
