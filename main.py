"""Cloud Functions entry point: `functions-framework --target pinterest_capi`."""

from __future__ import annotations

import os
import sys

import flask
import functions_framework

from function.app import create_gateway
from function.errors import ConfigError

try:
    _gateway = create_gateway(os.environ)
except ConfigError as exc:
    # A clear one-line reason instead of a traceback; the platform shows it as the start-up failure.
    sys.exit(f"pinterest_capi cannot start: {exc}")


@functions_framework.http
def pinterest_capi(request: flask.Request) -> flask.Response:
    """Receives GA4 events from a server-side GTM HTTP Request tag."""
    return _gateway(request)
