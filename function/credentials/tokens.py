"""Where the Pinterest access token comes from: the plain variable or Secret Manager, cached per secret.

The delivery path only sees `TokenProvider`; app.py chooses the source at start-up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from function.credentials.cache import SecretCache
from function.credentials.secret_manager import SecretError, SecretReader
from function.identifiers import for_account
from function.logs.console import ConsoleLog


class TokenUnavailable(Exception):
    """No token can be had right now."""


class TokenProvider(Protocol):
    """Gives the token for an ad account, and a fresh one after Pinterest answered 401."""

    def get(self, ad_account_id: str) -> str: ...

    def refresh(self, ad_account_id: str) -> str: ...


class StaticToken:
    """The token from PINTEREST_ACCESS_TOKEN, for local use: refreshing gives it again."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticToken(<hidden>)"

    def get(self, ad_account_id: str) -> str:
        if not self._token:
            raise TokenUnavailable("PINTEREST_ACCESS_TOKEN is not set")
        return self._token

    def refresh(self, ad_account_id: str) -> str:
        return self.get(ad_account_id)


class SecretManagerToken:
    """PINTEREST_ACCESS_TOKEN_SECRET, one cache entry per resolved secret name."""

    def __init__(self, secrets: SecretReader, name: str, ttl_s: float, log: ConsoleLog, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._name = name
        self._cache: SecretCache[str] = SecretCache(lambda n: _token(secrets.access(n), n), ttl_s, log,
                                                    connect=secrets.connect, clock=clock)

    def __repr__(self) -> str:
        return f"SecretManagerToken({self._name!r})"

    def get(self, ad_account_id: str) -> str:
        return self._through(self._cache.get, ad_account_id)

    def refresh(self, ad_account_id: str) -> str:
        return self._through(self._cache.refresh, ad_account_id)

    def _through(self, read: Callable[[str], str], ad_account_id: str) -> str:
        try:
            return read(for_account(self._name, ad_account_id))
        except SecretError as exc:
            raise TokenUnavailable(str(exc)) from None


def _token(payload: str, name: str) -> str:
    """The token is the payload without surrounding whitespace (`echo` adds a newline)."""
    token = payload.strip()
    if not token:
        raise SecretError(f"{name}: the secret is empty")
    return token
