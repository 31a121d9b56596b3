"""The gateway's errors: one base, one subclass per diagnosis, each with its HTTP status.

Messages name the field path and the rule, never the value (it may be personal data or a
credential). Only the HTTP layer turns these into responses.
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
