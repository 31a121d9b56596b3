"""Cloud Functions entry point: `functions-framework --target pinterest_capi`."""

from __future__ import annotations

import os
import sys

import flask
import functions_framework

from function.app import create_gateway
from function.errors import ConfigError
from function.limits import MAX_BODY_BYTES
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
