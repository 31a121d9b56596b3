"""The HTTP baseline: a bare functions-framework function that parses the JSON body and returns it."""

from __future__ import annotations

import flask
import functions_framework


@functions_framework.http
def bare(request: flask.Request) -> flask.Response:
    """Parse, answer the same JSON; nothing else."""
    return flask.jsonify(request.get_json(silent=True))
