"""Caller authentication: an API key in `Authorization: Bearer` or `X-Api-Key`, compared in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from typing import Protocol

from function.credentials.secret_manager import SecretError
from function.errors import ServiceUnavailable, Unauthorized
from function.identifiers import ASCII_WHITESPACE, api_keys
from function.logs.console import Headers

REJECTION = "a valid API key is required (Authorization: Bearer <key> or X-Api-Key: <key>)"
UNCONFIGURED = ("caller authentication is not configured: set GATEWAY_API_KEYS_SECRET (GATEWAY_API_KEYS "
                "for local use), or GATEWAY_AUTH=iam or GATEWAY_AUTH=none")


class NotConfigured(ServiceUnavailable):
    """No key is configured and GATEWAY_AUTH does not say to go without: a mistake, not a busy moment."""

    headers: dict[str, str] = {}  # noqa: RUF012 - read-only per-class constant


class CallerCheck(Protocol):
    """Raises a GatewayError (401, 503) unless the request may be served; SecretError: keys unreadable."""

    def check(self, headers: Headers) -> None: ...


class PlatformChecked:
    """GATEWAY_AUTH=iam (Cloud Run verified the caller's Google ID token) or none (nobody checks)."""

    def check(self, headers: Headers) -> None:
        return None


class Unconfigured:
    """GATEWAY_AUTH=keys without any key: every request is refused, naming the settings."""

    def check(self, headers: Headers) -> None:
        raise NotConfigured(UNCONFIGURED)


class ApiKeys:
    """Accepts a request whose key equals one of the configured keys."""

    def __init__(self, keys: Callable[[], Sequence[str]]) -> None:
        self._keys = keys

    def __repr__(self) -> str:
        return "ApiKeys(<hidden>)"

    def check(self, headers: Headers) -> None:
        presented = presented_key(headers)
        if not presented:
            raise Unauthorized(REJECTION)
        if not matches(presented, self._keys()):  # keys that cannot be read raise SecretError
            raise Unauthorized(REJECTION)


def presented_key(headers: Headers) -> str:
    """The bearer credential, else the X-Api-Key header; '' when neither is given.

    Only ASCII whitespace is trimmed: a no-break space is part of what the caller sent.
    """
    scheme, _, credential = (headers.get("Authorization") or "").strip(ASCII_WHITESPACE).partition(" ")
    credential = credential.strip(ASCII_WHITESPACE)
    if scheme.lower() == "bearer" and credential:
        return credential
    return (headers.get("X-Api-Key") or "").strip(ASCII_WHITESPACE)


def matches(presented: str, keys: Sequence[str]) -> bool:
    """Constant time: every key is compared, none ends the loop early."""
    given = presented.encode("utf-8", "surrogateescape")
    found = False
    for key in keys:
        found |= hmac.compare_digest(given, key.encode("utf-8", "surrogateescape"))
    return found


def keys_from_payload(payload: str, name: str = "") -> tuple[str, ...]:
    """One key per line, checked as GATEWAY_API_KEYS is; a payload without any valid key is an error."""
    try:
        keys = api_keys(payload.splitlines())
    except ValueError as exc:
        raise SecretError(f"{name}: {exc}") from None
    if not keys:
        raise SecretError(f"{name}: the secret holds no API key")
    return keys
