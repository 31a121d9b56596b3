"""Adapter for Google Secret Manager: reads one secret version, turning Google's errors into ours.

The client library is imported and created on first use (it is heavy, and most cold starts of a
token-cached instance never need it before the first request), then reused by every thread.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Protocol

# Seconds one attempt may take; Secret Manager answers in milliseconds when it is up, and an attempt
# stuck on a dead connection delays the first read after an outage by at most this much.
ATTEMPT_TIMEOUT_S = 2.0
# Seconds spent retrying a read that failed transiently (0.1, 0.2, 0.4 s apart): as long as a
# request without the secret waits for it (cache.COLD_WAIT_S), so that wait rides out a blip
# and a failing read ends soon after nobody waits for it any more.
RETRY_BUDGET_S = 1.0


class SecretError(Exception):
    """A secret could not be read; the message names the secret and the reason, never a value."""


class SecretNotFound(SecretError):
    """The secret or the version does not exist."""


class SecretDenied(SecretError):
    """The function's identity may not read the secret, or has no credentials at all."""


class SecretUnreachable(SecretError):
    """Secret Manager did not answer in time or answered that it is unavailable."""


class SecretCorrupt(SecretError):
    """The payload does not match its CRC32C checksum, or is not UTF-8 text."""


class SecretReader(Protocol):
    """What the caches need: the set-up done before a first read, and the text of one secret version."""

    def connect(self) -> None: ...

    def access(self, name: str) -> str: ...


class SecretManager:
    """Reads secret versions with google-cloud-secret-manager; `api_endpoint` points it at a local stub."""

    def __init__(self, api_endpoint: str = "", *, attempt_timeout_s: float = ATTEMPT_TIMEOUT_S,
                 retry_budget_s: float | None = None) -> None:
        self._api_endpoint = api_endpoint
        self._attempt_timeout_s = attempt_timeout_s
        self._retry_budget_s = RETRY_BUDGET_S if retry_budget_s is None else retry_budget_s
        self._lock = threading.Lock()
        self._client: Any = None
        self._retry: Any = None

    def connect(self) -> None:
        """Imports and creates the client, so that its cost (CPU: up to a second on a small cold
        instance) is not counted as Secret Manager's time; a failure is left for `access` to report."""
        with contextlib.suppress(Exception):
            self._client_once()

    def access(self, name: str) -> str:
        """The payload of version `name` as text, checked against its CRC32C."""
        import google_crc32c

        try:
            client = self._client_once()
            response = client.access_secret_version(name=name, retry=self._retry,
                                                    timeout=self._attempt_timeout_s)
        except Exception as exc:
            raise _translate(exc, name) from None
        data: bytes = response.payload.data
        if "data_crc32c" in response.payload and google_crc32c.value(data) != response.payload.data_crc32c:
            raise SecretCorrupt(f"{name}: the payload does not match its CRC32C checksum")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise SecretCorrupt(f"{name}: the payload is not UTF-8 text") from None

    def _client_once(self) -> Any:
        """The client, created by the first caller and shared afterwards."""
        with self._lock:
            if self._client is None:
                self._client, self._retry = self._create()
            return self._client

    def _create(self) -> tuple[Any, Any]:
        import requests
        from google.api_core import exceptions as api
        from google.api_core import retry as retries
        from google.cloud import secretmanager_v1

        retry = None
        if self._retry_budget_s > 0:
            transient = retries.if_exception_type(api.ServiceUnavailable, api.TooManyRequests,
                                                  api.InternalServerError, requests.ConnectionError)
            retry = retries.Retry(initial=0.1, maximum=1.0, multiplier=2.0, timeout=self._retry_budget_s,
                                  predicate=transient)
        if not self._api_endpoint:
            return secretmanager_v1.SecretManagerServiceClient(), retry
        from google.auth.credentials import AnonymousCredentials

        client = secretmanager_v1.SecretManagerServiceClient(
            transport="rest", client_options={"api_endpoint": self._api_endpoint},
            credentials=AnonymousCredentials())
        return client, retry


def _load_error_table() -> list[tuple[type[BaseException], type[SecretError]]]:
    """Foreign exception → ours, most specific first; imported here to stay off the cold-start path."""
    import requests
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth

    return [
        (api.NotFound, SecretNotFound),
        (api.PermissionDenied, SecretDenied),
        (api.Forbidden, SecretDenied),
        (api.Unauthenticated, SecretDenied),
        (api.Unauthorized, SecretDenied),
        (api.ServiceUnavailable, SecretUnreachable),
        (api.DeadlineExceeded, SecretUnreachable),
        (api.GatewayTimeout, SecretUnreachable),
        (api.TooManyRequests, SecretUnreachable),
        (api.ResourceExhausted, SecretUnreachable),
        (api.InternalServerError, SecretUnreachable),
        (api.RetryError, SecretUnreachable),
        (auth.TransportError, SecretUnreachable),
        (requests.RequestException, SecretUnreachable),
        (TimeoutError, SecretUnreachable),
        (ConnectionError, SecretUnreachable),
        (auth.GoogleAuthError, SecretDenied),
    ]


# Our exception → the reason its message gives.
_REASONS: dict[type[SecretError], str] = {
    SecretNotFound: "not found",
    SecretDenied: "permission denied (grant roles/secretmanager.secretAccessor to the function's "
                  "service account)",
    SecretUnreachable: "Secret Manager unreachable",
}


def _translate(exc: Exception, name: str) -> SecretError:
    """Our exception for a foreign one; its text is left out (it may carry URLs or server detail)."""
    found = next((ours for foreign, ours in _load_error_table() if isinstance(exc, foreign)), SecretError)
    reason = _REASONS.get(found, f"Secret Manager refused the read ({type(exc).__name__})")
    return found(f"{name}: {reason}")
