"""The second HTTP baseline: the bare function plus the one outbound call that awaited delivery makes.

The benchmark sends it Pinterest events built beforehand (untimed) by our data path; it parses
the JSON, POSTs it to the events endpoint of PINTEREST_API_URL (the sandbox) with a pooled
`requests` session, and returns Pinterest's answer. What it costs beyond the bare function is one
outbound HTTP exchange on the same cores, which tells that apart from the gateway's own overhead.
Its session reads no environment per call (trust_env off), as the gateway's client does.
"""

from __future__ import annotations

import os

import flask
import functions_framework
import requests

_URL = f"{os.environ['PINTEREST_API_URL']}/ad_accounts/{os.environ['PINTEREST_AD_ACCOUNT_ID']}/events"
_HEADERS = {"Authorization": f"Bearer {os.environ['PINTEREST_ACCESS_TOKEN']}"}
_SESSION = requests.Session()
_SESSION.trust_env = False


@functions_framework.http
def bare_forward(request: flask.Request) -> flask.Response:
    """Parse, send the event to Pinterest, answer with Pinterest's status and body; nothing else."""
    answer = _SESSION.post(_URL, json={"data": [request.get_json(silent=True)]}, headers=_HEADERS,
                           timeout=(3.0, 10.0), allow_redirects=False)
    return flask.Response(answer.content, status=answer.status_code, mimetype="application/json")
