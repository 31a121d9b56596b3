"""Where the Pinterest access token comes from; the delivery path only sees this interface."""

from __future__ import annotations

from typing import Protocol


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
