"""The gateway's errors: one base, one subclass per diagnosis, each with its HTTP status.

Messages name the field path and the rule, never the value (it may be personal data or a
credential). The whole tree, adapter errors included, and who turns each into what:

    GatewayError (here)              a diagnosis: carries its status; answered as it is
    ├── BadRequest            400    pipeline (parse, options, validate), front door (broken body)
    ├── Unauthorized          401    credentials/callers.py
    ├── Forbidden             403    pipeline/options.py (ad account outside the allowlist)
    ├── MethodNotAllowed      405    web/handler.py
    ├── RequestTimeout        408    web/front_door.py (the body's deadline)
    ├── PayloadTooLarge       413    web/handler.py, pipeline/parse.py
    ├── UnsupportedMediaType  415    web/handler.py
    ├── Unprocessable         422    pipeline/validate.py
    ├── ConfigError           503    settings.py at start-up; main.py and the CLI stop on it
    └── ServiceUnavailable    503    delivery/optimistic.py (shutting down), with Retry-After
        └── NotConfigured     503    credentials/callers.py (no key configured), no Retry-After

    Adapter errors: never answered as they are; each layer that meets one translates it
    TokenUnavailable         credentials/tokens.py     web/statuses.py: 503 "token unavailable"
    SecretError (NotFound, Denied, Unreachable, Corrupt)
                             credentials/secret_manager.py
                                                       tokens.py: TokenUnavailable; web/statuses.py
                                                       (caller keys): 503 "caller API keys unavailable"
    PinterestUnavailable     delivery/pinterest.py     delivery/deliverer.py: a retry, then the
                                                       event failed (the answer's 502 or 207), or
                                                       queued for the background when out of time
    StoreUnavailable         logs/store.py             logs/writer.py keeps or drops the rows; the
                                                       CLI prints it (no HTTP answer waits on it)
    Skip                     pipeline/build.py         pipeline/request.py: the event is skipped
    werkzeug HTTPException   Flask                     web/statuses.py: its own code, in JSON

web/statuses.py is the one table from an error to the caller's status, headers and body; the
handler and the front door answer through it. An error it does not name is a crash: a 500.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway reports to a caller."""

    status = 400
    headers: dict[str, str] = {}  # noqa: RUF012 - read-only per-class constant


class ConfigError(GatewayError):
    """The deployment's settings are wrong; raised at start-up."""

    status = 503


class BadRequest(GatewayError):
    """Malformed JSON, wrong types or an override that cannot be coerced."""

    status = 400


class MethodNotAllowed(GatewayError):
    """Anything but POST."""

    status = 405
    headers = {"Allow": "POST"}  # noqa: RUF012 - read-only per-class constant


class Unauthorized(GatewayError):
    """The caller presented no API key, or one that is not configured."""

    status = 401
    headers = {"WWW-Authenticate": 'Bearer realm="pinterest_capi"'}  # noqa: RUF012 - read-only per-class constant


class RequestTimeout(GatewayError):
    """The body did not arrive within its deadline (a client trickling it, or one that stopped)."""

    status = 408


class Forbidden(GatewayError):
    """The caller is known but may not do this, e.g. send to an ad account outside the allowlist."""

    status = 403


class PayloadTooLarge(GatewayError):
    """The body is over the size limit."""

    status = 413


class UnsupportedMediaType(GatewayError):
    """The body is not declared as JSON."""

    status = 415


class Unprocessable(GatewayError):
    """The event is well-formed but cannot become a valid Pinterest event."""

    status = 422


class ServiceUnavailable(GatewayError):
    """The instance cannot take the request now (no token, shutting down); try again shortly."""

    status = 503
    headers = {"Retry-After": "1"}  # noqa: RUF012 - read-only per-class constant
