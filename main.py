"""Cloud Functions entry points: `--target pinterest_capi` (the gateway), `--target pinterest_capi_drain`
(pubsub delivery's scheduled drain) and `--target pinterest_capi_probe` (the scheduled probe), the last
two private functions that Cloud Scheduler calls."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict

import flask
import functions_framework

from function.app import create_gateway, probe_accounts, run_drain, run_probes
from function.errors import ConfigError
from function.limits import MAX_BODY_BYTES, is_ad_account_id
from function.web import front_door

try:
    _gateway = create_gateway(os.environ)
except ConfigError as exc:
    # A clear one-line reason instead of a traceback; the platform shows it as the start-up failure.
    sys.exit(f"pinterest_capi cannot start: {exc}")

# functions-framework runs this module inside the Flask app it builds; the proxy passes every
# attribute read and write of install() on to that app.
if flask.has_app_context():
    front_door.install(flask.current_app, limit=MAX_BODY_BYTES,
                       timeout_s=_gateway.settings.body_timeout_s)


@functions_framework.http
def pinterest_capi(request: flask.Request) -> flask.Response:
    """Receives GA4 events from a server-side GTM HTTP Request tag."""
    with front_door.body_open(request.environ):  # the only place the body can be read
        return _gateway(request)


@functions_framework.http
def pinterest_capi_drain(request: flask.Request) -> flask.Response:
    """One drain run within PUBSUB_DRAIN_BUDGET_S; answers its summary. Reads nothing of the request:
    only its invoker (Cloud Scheduler's service account, checked by Cloud Run) may call it."""
    summary = run_drain(_gateway.settings)
    return flask.Response(json.dumps(asdict(summary), separators=(",", ":")), status=200,
                          mimetype="application/json")


@functions_framework.http
def pinterest_capi_probe(request: flask.Request) -> flask.Response:
    """A test-mode probe of `?ad_account_id=` (one of the configured accounts), or of all of them; reads
    nothing else of the request: only its invoker (Cloud Scheduler's service account) may call it.

    Answers 200 with each probe's result whether it passed or not: the rows and the probe's console
    line (the alert's) tell it; a 400 only for an account that is not configured.
    """
    configured = probe_accounts(_gateway.settings)
    asked = request.args.get("ad_account_id", "")
    if asked and not (is_ad_account_id(asked) and asked in configured):
        return flask.Response(json.dumps({"error": "ad_account_id is not one of the configured accounts"}),
                              status=400, mimetype="application/json")
    results = run_probes(_gateway.settings, (asked,) if asked else configured)
    return flask.Response(json.dumps([asdict(result) for result in results], separators=(",", ":")),
                          status=200, mimetype="application/json")
