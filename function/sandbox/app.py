"""The sandbox's behaviour, free of sockets: a request goes in, a reply comes out.

server.py documents the endpoints and shapes; this module decides them.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from function.sandbox import responses
from function.sandbox.faults import Fault, FaultPlan, parse_fault_config
from function.sandbox.recorder import Recorder
from function.sandbox.rules import InvalidRequest, event_problems, is_ad_account_id, request_events

# The one Pinterest endpoint the sandbox stands in for (v5 OpenAPI: POST /ad_accounts/{ad_account_id}/events).
EVENTS_PATH = re.compile(r"/v5/ad_accounts/(?P<ad_account_id>[^/]*)/events")

# Deepest JSON nesting accepted; Pinterest's own schema never goes past 5 levels.
MAX_JSON_DEPTH = 32

# Faults answered without looking at the request: status and Error body (codes from the v5 spec).
CANNED_FAULTS = {
    "401": (401, responses.AUTH_FAILED),
    "500": (500, responses.INTERNAL_ERROR),
    "503": (503, responses.RAMPED_DOWN),
}

# Faults that let the batch be processed, then fail its last event.
PARTIAL_FAULTS = frozenset({"partial", "partial422"})


@dataclass(frozen=True)
class Request:
    """The parts of an HTTP request the sandbox looks at."""

    method: str
    path: str
    query: str = ""
    content_type: str = "application/json"
    authorization: str = ""
    body: bytes = b""


@dataclass(frozen=True)
class Reply:
    """A JSON answer, or `drop` to close the connection without one."""

    status: int
    body: object = None
    headers: tuple[tuple[str, str], ...] = ()
    drop: bool = False


def _reply_error(status: int, code_message: tuple[int, str], *headers: tuple[str, str]) -> Reply:
    """A Pinterest Error body with its status."""
    return Reply(status, responses.error(*code_message), headers)


def _bad_request(detail: str) -> Reply:
    """400 saying what is wrong with the request."""
    return Reply(400, responses.invalid_request(detail))


def _not_allowed(methods: set[str]) -> Reply:
    """405 listing what the path does accept."""
    return _reply_error(405, responses.METHOD_NOT_ALLOWED, ("Allow", ", ".join(sorted(methods))))


def _reject_constant(name: str) -> object:
    """NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


def _nesting_within(value: object, limit: int) -> bool:
    """Check nesting without recursion, so hostile bodies cannot exhaust the stack later on."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return False
                stack.append((child, depth + 1))
    return True


def parse_json(raw: bytes) -> object:
    """Strict UTF-8 JSON of bounded depth; ValueError says what is wrong."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError(f"the body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:
        raise ValueError("the body is not valid UTF-8 JSON") from None
    if not _nesting_within(value, MAX_JSON_DEPTH):
        raise ValueError(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def test_flag(query: str) -> bool | None:
    """The ?test= query parameter: True, False, or None when it is not a boolean."""
    values = parse_qs(query, keep_blank_values=True).get("test")
    if not values:
        return False
    return {"true": True, "false": False}.get(values[-1].lower())


@dataclass
class SandboxApp:
    """Routes requests, applies faults, validates batches and records what was processed."""

    token: str
    faults: FaultPlan = field(default_factory=FaultPlan)
    recorder: Recorder = field(default_factory=Recorder)
    stopping: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.time

    def handle(self, request: Request) -> Reply:
        """Answer one request; never raises on bad input."""
        match = EVENTS_PATH.fullmatch(request.path)
        if match:
            if request.method != "POST":
                return _not_allowed({"POST"})
            return self._conversions_call(match["ad_account_id"], request)
        routes = self._control_routes().get(request.path)
        if routes is None:
            return Reply(404, responses.error(responses.NOT_FOUND, f"No endpoint at {request.path}"))
        answer = routes.get(request.method)
        if answer is None:
            return _not_allowed(set(routes))
        return answer(request)

    def _control_routes(self) -> dict[str, dict[str, Callable[[Request], Reply]]]:
        """The sandbox's own inspection and configuration endpoints."""
        return {
            "/_sandbox/events": {"GET": self._list_events, "DELETE": self._reset},
            "/_sandbox/stats": {"GET": lambda _: Reply(200, self.recorder.stats())},
            "/_sandbox/faults": {
                "GET": lambda _: Reply(200, self.faults.describe()),
                "POST": self._configure_faults,
                "DELETE": self._clear_faults,
            },
        }

    def _list_events(self, _: Request) -> Reply:
        """Every processed event, oldest first."""
        return Reply(200, {"events": self.recorder.events()})

    def _reset(self, _: Request) -> Reply:
        """Start afresh: no recordings, counters or faults."""
        self.recorder.reset()
        self.faults.clear()
        return Reply(200, {"events": []})

    def _configure_faults(self, request: Request) -> Reply:
        """Replace the fault configuration with the posted one."""
        try:
            config = parse_fault_config(parse_json(request.body))
        except ValueError as exc:
            message = f"Invalid fault configuration: {exc}"
            return Reply(400, responses.error(responses.INVALID_PARAMETERS, message))
        self.faults.configure(config)
        return Reply(200, self.faults.describe())

    def _clear_faults(self, _: Request) -> Reply:
        """Stop injecting faults."""
        self.faults.clear()
        return Reply(200, self.faults.describe())

    def _conversions_call(self, ad_account_id: str, request: Request) -> Reply:
        """One call to the events endpoint: counted, perhaps faulted, otherwise answered like Pinterest."""
        call = self.recorder.begin_call()
        fault = self.faults.draw(ad_account_id)
        reply = None
        if fault is not None:
            self.recorder.count_fault(fault.kind)
            reply = self._inject(fault)
        if reply is None:
            reply = self._conversions(call, ad_account_id, request, fault)
        if not reply.drop:
            self.recorder.count_status(reply.status)
        return reply

    def _inject(self, fault: Fault) -> Reply | None:
        """The reply a fault puts in place of the real one, or None when the call goes on."""
        if fault.kind in CANNED_FAULTS:
            status, code_message = CANNED_FAULTS[fault.kind]
            return _reply_error(status, code_message)
        if fault.kind == "429":
            return _reply_error(429, responses.RATE_LIMITED, ("Retry-After", str(fault.config.retry_after)))
        if fault.kind == "drop":
            return Reply(0, drop=True)
        if fault.kind == "timeout":
            self.stopping.wait(fault.config.timeout_s)
            return Reply(0, drop=True)
        if fault.kind == "slow":
            self.stopping.wait(fault.config.latency_ms / 1000)
        return None

    def _authorized(self, authorization: str) -> bool:
        """Authorization: Bearer <the configured token>."""
        scheme, _, credentials = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip(), self.token)

    def _conversions(self, call: int, ad_account_id: str, request: Request, fault: Fault | None) -> Reply:
        """Validate and process a batch as Pinterest does: 401, 400, 200 or 422."""
        if not self._authorized(request.authorization):
            return _reply_error(401, responses.AUTH_FAILED)
        if not is_ad_account_id(ad_account_id):
            return _bad_request("ad_account_id must be 1 to 18 digits (pattern ^\\d+$)")
        test = test_flag(request.query)
        if test is None:
            return _bad_request("the test query parameter must be true or false")
        if request.content_type != "application/json":
            return _bad_request("the body must be JSON sent with Content-Type: application/json")
        try:
            events = request_events(parse_json(request.body))
        except (InvalidRequest, ValueError) as exc:
            return _bad_request(str(exc))
        now = self.clock()
        outcomes = [
            "; ".join(event_problems(event, f"data[{index}]", now)) or None
            for index, event in enumerate(events)
        ]
        if fault is not None and fault.kind in PARTIAL_FAULTS:
            outcomes[-1] = outcomes[-1] or responses.INJECTED_EVENT_FAILURE
        processed = [event for event, outcome in zip(events, outcomes, strict=True) if outcome is None]
        self.recorder.record_batch(ad_account_id, test, call, len(events), processed)
        summary = responses.batch_summary(outcomes)
        if len(processed) == len(events) or (fault is not None and fault.kind == "partial"):
            return Reply(200, summary)
        return Reply(422, responses.partial_failure(summary))
