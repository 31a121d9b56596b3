"""When and how long to wait before re-sending a batch to Pinterest.

The policy is a predicate over tables plus tenacity's full-jitter wait; Pinterest's
Retry-After wins when it says more. Re-sends keep each event's event_id, so Pinterest
deduplicates whatever an unknown outcome (a timeout) already delivered.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping

import tenacity

# Pinterest statuses worth another try: rate limited, or a server-side failure.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# 0.25 s: the first full-jitter wait is drawn from [0, 0.25 s], then doubles.
BACKOFF_BASE_S = 0.25
# 8 s: one wait never exceeds what the optimistic retry window can afford.
BACKOFF_CAP_S = 8.0


def retry_after_s(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Retry-After in seconds, from delta-seconds or an HTTP date; None when absent or unreadable."""
    raw = (headers.get("retry-after") or headers.get("Retry-After") or "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return float(raw)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def wait_strategy(retry_after: Callable[[tenacity.RetryCallState], float | None]) -> tenacity.wait.wait_base:
    """Full jitter (tenacity's random exponential), replaced by Retry-After when Pinterest sends one."""
    jitter = tenacity.wait_random_exponential(multiplier=BACKOFF_BASE_S, max=BACKOFF_CAP_S)

    class _Wait(tenacity.wait.wait_base):
        def __call__(self, state: tenacity.RetryCallState) -> float:
            told = retry_after(state)
            return told if told is not None else jitter(state)

    return _Wait()


def stop_strategy(max_attempts: int, deadline: Callable[[], float],
                  clock: Callable[[], float]) -> tenacity.stop.stop_base:
    """Stop after `max_attempts`, or when the next wait would end past the deadline."""

    class _Stop(tenacity.stop.stop_base):
        def __call__(self, state: tenacity.RetryCallState) -> bool:
            upcoming = state.upcoming_sleep or 0.0
            return state.attempt_number >= max_attempts or clock() + upcoming >= deadline()

    return _Stop()
