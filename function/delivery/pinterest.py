"""Adapter for Pinterest's Conversions API: one POST per batch, errors turned into ours."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3

from function.limits import is_ad_account_id
from function.pipeline import validate

# Seconds to open a connection; Pinterest answers within this when it is up.
CONNECT_TIMEOUT_S = 3.0
# Response headers worth keeping for diagnosis (rate limits, request ids).
_KEPT_HEADERS = ("content-type", "retry-after", "x-request-id", "x-pinterest-rid",
                 "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
# Characters of a non-JSON error body kept in reports.
_MAX_TEXT = 500


class PinterestUnavailable(Exception):
    """Pinterest could not be reached or did not answer in time; the outcome is unknown."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out


@dataclass(frozen=True)
class Answer:
    """Pinterest's answer to one call."""

    status_code: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    latency_ms: float = 0.0


def events_url(api_url: str, ad_account_id: str) -> str:
    """The events endpoint of one ad account; an id that is not 1-18 digits never becomes a URL.

    Callers check the id before; this holds whatever a caller missed, as the token goes to this URL.
    """
    if not is_ad_account_id(ad_account_id):
        raise ValueError("ad account id must be 1-18 digits; no URL is built from anything else")
    return f"{api_url}/ad_accounts/{ad_account_id}/events"


class PinterestClient:
    """POSTs event batches to the configured Pinterest URL, and nowhere else."""

    def __init__(self, api_url: str, timeout_s: float, pool_size: int = 10) -> None:
        self._api_url = api_url
        self._connect_timeout = CONNECT_TIMEOUT_S
        self._read_timeout = timeout_s
        self._session = _pooled_session(api_url, pool_size)

    def url(self, ad_account_id: str) -> str:
        return events_url(self._api_url, ad_account_id)

    def send(self, ad_account_id: str, events: Sequence[Mapping[str, Any]], *, test: bool,
             token: str, within_s: float | None = None) -> Answer:
        """One call, ended by `within_s` (the caller's deadline) whatever part of it is slow.

        Connect and read timeouts alone do not bound a call: a connect that times out and a read
        that follows a slow connect each take their whole timeout. urllib3's `total` caps both
        together. Raises PinterestUnavailable when no answer came (connection error or timeout).
        """
        started = time.perf_counter()
        session = self._session
        timeout = urllib3.Timeout(connect=self._connect_timeout, read=self._read_timeout, total=within_s)
        try:
            response = session.send(
                # requests passes a urllib3 Timeout on as it is; its stubs know only floats and tuples.
                self._prepare(ad_account_id, events, test, token), timeout=timeout,  # type: ignore[arg-type]
                allow_redirects=False, proxies=session.proxies, verify=session.verify, stream=False,
                cert=session.cert,
            )
        except requests.Timeout:
            raise PinterestUnavailable("timeout", timed_out=True) from None
        except requests.RequestException as exc:
            raise PinterestUnavailable(f"connection failed ({type(exc).__name__})") from None
        latency_ms = (time.perf_counter() - started) * 1000
        return Answer(response.status_code, _body(response), _kept_headers(response.headers), latency_ms)

    def _prepare(self, ad_account_id: str, events: Sequence[Mapping[str, Any]], test: bool,
                 token: str) -> requests.PreparedRequest:
        """The call as Session.post would prepare it, with the session's headers and cookies.

        Session.post merges every session setting into every call (a fifth of its CPU, mostly
        typing-protocol checks); the ones we never set (auth, params, hooks) are left out.
        """
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method="POST", url=self.url(ad_account_id), params={"test": "true"} if test else None,
            headers={**self._session.headers, "Authorization": f"Bearer {token}",
                     "Content-Type": "application/json"},
            data=validate.compact_json({"data": list(events)}), cookies=self._session.cookies,
        )
        return prepared


def _pooled_session(api_url: str, pool_size: int) -> requests.Session:
    """One session for the instance, its pool sized to the request concurrency, the environment read once.

    requests reads the proxy variables, NO_PROXY, REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE and ~/.netrc
    again on every call (a quarter of a call's CPU). Every call goes to `api_url`'s host, so what
    the environment says for it is settled here and pinned on the session. netrc is left out: an
    entry for the host would replace our bearer token with its Basic credentials.
    """
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    environment = session.merge_environment_settings(api_url, {}, None, None, None)
    session.proxies.update(environment["proxies"])
    session.verify = environment["verify"]
    session.trust_env = False
    return session


def _body(response: requests.Response) -> Any:
    """The JSON answer, or a short excerpt of a non-JSON one."""
    try:
        return response.json()
    except ValueError:
        return {"text": response.text[:_MAX_TEXT]}


def _kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in _KEPT_HEADERS if name in headers}
