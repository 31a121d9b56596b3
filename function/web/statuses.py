"""The one table from errors to what the caller is told: HTTP status, headers and the JSON body.

A GatewayError is a diagnosis and carries its own status (function/errors.py); every other error
that can reach the HTTP layer is an adapter's or the framework's, and is translated here, once,
by the first row it is an instance of. The handler and the front door both answer through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import HTTPException, InternalServerError

from function.credentials.secret_manager import SecretError
from function.credentials.tokens import TokenUnavailable
from function.errors import GatewayError, ServiceUnavailable
from function.outcomes import Outcome, caller_word


def refused_status(http_status: int) -> str:
    """A request refused whole: 'failed' when the fault is ours or upstream, else 'invalid'."""
    return caller_word(Outcome.FAILED if http_status >= 500 else Outcome.INVALID)


@dataclass(frozen=True)
class Refusal:
    """A request refused whole: its status, its headers and the message the caller reads."""

    status: int
    error: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def body(self) -> dict[str, str]:
        return {"status": refused_status(self.status), "error": self.error}


_CRASH = Refusal(500, "internal error")


def _diagnosed(exc: GatewayError) -> Refusal:
    return Refusal(exc.status, str(exc), exc.headers)


# (error class, what the caller is told); the first row the error is an instance of answers. Adapter
# messages are replaced by fixed text: they may name a secret, a host or an account.
TABLE: tuple[tuple[type[BaseException], Callable[[Any], Refusal]], ...] = (
    (GatewayError, _diagnosed),
    (TokenUnavailable, lambda _: _diagnosed(ServiceUnavailable("token unavailable"))),
    (SecretError, lambda _: _diagnosed(ServiceUnavailable("caller API keys unavailable"))),
    (InternalServerError, lambda _: _CRASH),
    (HTTPException, lambda exc: Refusal(exc.code or 500, (exc.name or "").lower())),
)
# What the handler catches: every row but the framework's own, which Flask hands to the front door.
REFUSED: tuple[type[Exception], ...] = (GatewayError, TokenUnavailable, SecretError)


def refusal(exc: BaseException) -> Refusal:
    """What the caller is told about `exc`; an error no row names is a crash, a bare 500."""
    for kind, tell in TABLE:
        if isinstance(exc, kind):
            return tell(exc)
    return _CRASH
