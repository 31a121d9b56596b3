"""The gateway's errors: one base, one subclass per diagnosis, each with its HTTP status.

Messages name the field path and the rule, never the value (it may be personal data or a
credential). Only the HTTP layer turns these into responses.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway reports to a caller."""

    status = 400


class ConfigError(GatewayError):
    """The deployment's settings are wrong; raised at start-up."""

    status = 503


class BadRequest(GatewayError):
    """Malformed JSON, wrong types or an override that cannot be coerced."""

    status = 400


class MethodNotAllowed(GatewayError):
    """Anything but POST."""

    status = 405


class PayloadTooLarge(GatewayError):
    """The body is over the size limit."""

    status = 413


class UnsupportedMediaType(GatewayError):
    """The body is not declared as JSON."""

    status = 415


class Unprocessable(GatewayError):
    """The event is well-formed but cannot become a valid Pinterest event."""

    status = 422


class UpstreamError(GatewayError):
    """Pinterest could not be reached or answered with an error."""

    status = 502
