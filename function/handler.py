"""The HTTP layer: request in, JSON answer out; the one place errors become status codes."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import flask

from function import options as request_options
from function import parse
from function.build import Context
from function.console_log import ConsoleLog, trace_from_headers
from function.delivery import AwaitedSender, Batch, Delivery
from function.errors import GatewayError, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType
from function.pipeline import Built, Refused, build_request
from function.responses import EventResult, summarize
from function.settings import Settings

_JSON_TYPES = ("application/json",)
_TRUE_HEADER = frozenset({"true", "1", "yes"})


class Gateway:
    """Turns one HTTP request of GA4 events into Pinterest calls and one JSON answer."""

    def __init__(self, settings: Settings, sender: AwaitedSender, log: ConsoleLog,
                 clock: Callable[[], float] = time.time,
                 new_event_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self._settings = settings
        self._sender = sender
        self._log = log
        self._clock = clock
        self._new_event_id = new_event_id
        self._defaults = request_options.defaults(settings)

    def __call__(self, request: flask.Request) -> flask.Response:
        trace_id, _ = trace_from_headers(request.headers)
        debug_header = request.headers.get("X-Debug", "").strip().lower() in _TRUE_HEADER
        try:
            body, status = self._handle(request, trace_id, debug_header)
        except GatewayError as exc:
            body, status = {"status": "invalid", "error": str(exc)}, exc.status
            if self._log.wanted(debug_header):
                self._log.write("WARNING", "request refused", trace_id, error=str(exc), http_status=status)
        headers = {"Allow": "POST"} if status == 405 else {}
        return flask.Response(json.dumps(body, separators=(",", ":")), status=status,
                              mimetype="application/json", headers=headers)

    def _handle(self, request: flask.Request, trace_id: str | None,
                debug_header: bool) -> tuple[dict[str, Any], int]:
        now = int(self._clock())
        found = build_request(_read_body(request), self._defaults, lambda opts: self._context(opts, now))
        built = [item for item in found if isinstance(item, Built)]
        results: dict[int, EventResult] = {
            item.index: EventResult(None, None, item.status, item.reason, item.http_status)
            for item in found if isinstance(item, Refused)
        }
        groups = _groups(built, self._settings.ad_account_id)
        deliveries = [self._sender.deliver(batch) for batch, _ in groups]
        for delivery, (_, members) in zip(deliveries, groups, strict=True):
            for item, outcome in zip(members, delivery.outcomes, strict=True):
                results[item.index] = EventResult(
                    item.payload["event_id"], item.payload["event_name"],
                    "sent" if outcome.delivered else "failed", outcome.error)
        final = [results[index] for index in sorted(results)]
        if self._log.wanted(debug_header or any(item.options.debug for item in built)):
            self._log_request(final, deliveries, trace_id)
        return summarize(final, deliveries)

    def _context(self, opts: request_options.Options, now: int) -> Context:
        return Context(
            options=opts,
            now=now,
            new_event_id=self._new_event_id,
            consent_required=self._settings.consent == "required",
            partner_name=self._settings.partner_name,
            default_phone_country=self._settings.default_phone_country,
        )

    def _log_request(self, results: list[EventResult], deliveries: list[Delivery],
                     trace_id: str | None) -> None:
        """The hashed events sent, Pinterest's answers and every event's status; never raw input."""
        for delivery in deliveries:
            answer = delivery.answer
            self._log.write(
                "INFO" if answer is not None and answer.status_code == 200 else "WARNING",
                "pinterest call", trace_id,
                request_method="POST", request_url=delivery.request_url,
                test_mode=delivery.batch.test, request_body={"data": list(delivery.batch.events)},
                response_status_code=answer.status_code if answer else None,
                response_body=answer.body if answer else None,
                response_headers=dict(answer.headers) if answer else None,
                latency_ms=round(answer.latency_ms, 1) if answer else None,
                error=delivery.error,
            )
        for result in results:
            if result.status in ("skipped", "invalid"):
                self._log.write("INFO" if result.status == "skipped" else "WARNING",
                                f"event {result.status}", trace_id, event_status=result.status,
                                error=result.error)


def _read_body(request: flask.Request) -> bytes:
    """POST with a JSON body no larger than the limit, read without trusting Content-Length."""
    if request.method != "POST":
        raise MethodNotAllowed("only POST is accepted")
    mimetype = (request.mimetype or "").lower()
    if mimetype not in _JSON_TYPES and not mimetype.endswith("+json"):
        raise UnsupportedMediaType("Content-Type must be application/json")
    if (request.content_length or 0) > parse.MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body is larger than {parse.MAX_BODY_BYTES} bytes")
    return request.stream.read(parse.MAX_BODY_BYTES + 1)


def _groups(built: list[Built], ad_account_id: str) -> list[tuple[Batch, list[Built]]]:
    """One call per (ad account, test mode), in order of first appearance."""
    groups: dict[tuple[str, bool], list[Built]] = {}
    for item in built:
        groups.setdefault((ad_account_id, item.options.test), []).append(item)
    return [(Batch(account, test, [b.payload for b in members]), members)
            for (account, test), members in groups.items()]
