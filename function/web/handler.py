"""The HTTP layer: request in, JSON answer out; refusals are answered as web/statuses.py says."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import flask

from function.credentials.callers import CallerCheck
from function.delivery.base import Delivery, Taken
from function.delivery.deliverer import Outgoing
from function.errors import MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType
from function.limits import MAX_BODY_BYTES
from function.logs.console import ConsoleLog, trace_from_headers
from function.logs.journal import EventRecord, Journal
from function.pipeline import options as request_options
from function.pipeline.build import Context
from function.pipeline.coerce import switch
from function.pipeline.options import AccountAllowlist
from function.pipeline.request import Built, Refused, build_request
from function.settings import Settings
from function.web import statuses
from function.web.results import EventResult, for_browser, summarize

_JSON_TYPES = ("application/json",)
HEALTH_PATH = "/healthz"


class Gateway:
    """Turns one HTTP request of GA4 events into Pinterest deliveries and one JSON answer."""

    def __init__(self, settings: Settings, delivery: Delivery, journal: Journal, log: ConsoleLog,
                 callers: CallerCheck, *, clock: Callable[[], float] = time.time,
                 new_event_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self._settings = settings
        self._delivery = delivery
        self._journal = journal
        self._log = log
        self._clock = clock
        self._new_event_id = new_event_id
        self._defaults = request_options.defaults(settings)
        self._callers = callers
        self._accounts = AccountAllowlist(settings.ad_account_id, settings.ad_account_ids)

    @property
    def settings(self) -> Settings:
        return self._settings

    def __call__(self, request: flask.Request) -> flask.Response:
        if request.method == "GET" and request.path == HEALTH_PATH:
            return self._health()
        trace_id, _ = trace_from_headers(request.headers)
        debug_header = False  # a caller that is refused cannot switch the console log on
        headers: dict[str, str] = {}
        try:
            self._callers.check(request.headers)  # first: nothing of a refused caller's request is read
            debug_header = switch(request.headers.get("X-Debug", "")) is True
            body, status = self._handle(request, trace_id, debug_header)
        except statuses.REFUSED as exc:
            refusal = statuses.refusal(exc)
            body, status, headers = refusal.body, refusal.status, dict(refusal.headers)
            if self._log.wanted(debug_header):
                self._log.write("WARNING", "request refused", trace_id, error=refusal.error,
                                http_status=status)
        return flask.Response(json.dumps(body, separators=(",", ":")), status=status,
                              mimetype="application/json", headers=headers)

    def _health(self) -> flask.Response:
        """Liveness for `make dev` and probes: no key, no secret, no body; says only which revision runs."""
        body = {"status": "ok", "revision": self._settings.platform_revision or None}
        return flask.Response(json.dumps(body, separators=(",", ":")), status=200,
                              mimetype="application/json")

    def _handle(self, request: flask.Request, trace_id: str | None,
                debug_header: bool) -> tuple[dict[str, Any], int]:
        now = int(self._clock())
        found = build_request(_read_body(request), self._defaults, lambda opts: self._context(opts, now))
        results: dict[int, EventResult] = {}
        tag = request.headers.get("X-Tag-Name", "").strip() or None  # names the tag in the log rows only
        self._refuse([item for item in found if isinstance(item, Refused)], results, trace_id, debug_header,
                     tag)
        built_at = {item.position: item for item in found if isinstance(item, Built)}
        built = [(index, self._item(item, trace_id, debug_header, tag)) for index, item in built_at.items()]
        # No token raises TokenUnavailable, and a shutdown ServiceUnavailable: web/statuses.py answers.
        sent = self._delivery.send([item for _, item in built])
        for (index, item), taken in zip(built, sent.taken, strict=True):
            results[index] = for_browser(_result(item, taken), built_at[index])
        return summarize([results[index] for index in sorted(results)], sent.attempts)

    def _refuse(self, refused: list[Refused], results: dict[int, EventResult], trace_id: str | None,
                debug: bool, tag: str | None) -> None:
        """Skipped and invalid events: answered, and journaled without their data."""
        for item in refused:
            results[item.position] = EventResult(item.event_id, item.event_name, item.status, item.reason,
                                              item.http_status, item.ga4_event_name, warnings=item.warnings)
        if refused:
            self._journal.record([
                EventRecord(outcome=item.status, event_id=item.event_id, event_name=item.event_name,
                            reason=item.reason, trace_id=trace_id,
                            ga4_event_name=item.ga4_event_name, tag_name=tag, warnings=item.warnings,
                            debug=debug)
                for item in refused
            ])

    def _item(self, built: Built, trace_id: str | None, debug_header: bool, tag: str | None) -> Outgoing:
        return Outgoing(built.payload, built.options.ad_account_id or self._settings.ad_account_id,
                    built.options.test, trace_id,
                    debug_header or built.options.debug, built.ga4_event_name,
                    tag_name=built.options.tag_name or tag, delivery=built.options.delivery,
                    warnings=built.warnings, event_id_source=built.event_id_source, size=built.size)

    def _context(self, opts: request_options.Options, now: int) -> Context:
        self._accounts.check(opts.ad_account_id)
        return Context(
            options=opts,
            now=now,
            new_event_id=self._new_event_id,
            consent_required=self._settings.consent == "required",
            partner_name=self._settings.partner_name,
            default_phone_country=self._settings.default_phone_country,
        )


def _result(item: Outgoing, taken: Taken | None) -> EventResult:
    """The event's answer entry; the delivery the handler holds settles every event (modes.py)."""
    if taken is None:
        raise RuntimeError("the delivery left an event without an outcome")
    return EventResult(item.payload["event_id"], item.payload["event_name"], taken.outcome, taken.error,
                       ga4_event_name=item.ga4_event_name, warnings=item.warnings)


def _read_body(request: flask.Request) -> bytes:
    """POST with a JSON body no larger than the limit, read without trusting Content-Length."""
    if request.method != "POST":
        raise MethodNotAllowed("only POST is accepted")
    mimetype = (request.mimetype or "").lower()
    if mimetype not in _JSON_TYPES and not mimetype.endswith("+json"):
        raise UnsupportedMediaType("Content-Type must be application/json")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body is larger than {MAX_BODY_BYTES} bytes")
    return request.stream.read(MAX_BODY_BYTES + 1)
