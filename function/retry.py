"""When and how long to wait before another try: a batch re-sent to Pinterest, a log batch re-stored.

One strategy for every retry, beside process_thread.py, so that delivery and logs share it without
importing each other. The policy is a predicate over tables plus tenacity's full-jitter wait;
Pinterest's Retry-After wins when it says more. Re-sends keep each event's event_id, so Pinterest
deduplicates whatever an unknown outcome (a timeout) already delivered.

tenacity is imported at the first retry, not at start-up (a cold start is a tag waiting): every
caller makes its first try itself and hands it to `retried` only when it asks for another.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import tenacity

T = TypeVar("T")

# Pinterest statuses worth another try: rate limited, or a server-side failure.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# 0.25 s: the first full-jitter wait is drawn from [0, 0.25 s], then doubles.
BACKOFF_BASE_S = 0.25
# 8 s: one wait never exceeds what the optimistic retry window can afford.
BACKOFF_CAP_S = 8.0
# 0.2 s: the shortest call worth making; a retry is made only if this much of the deadline is left
# after its wait, so a call never runs past its deadline by more than the first one's remainder.
MIN_CALL_S = 0.2
# 0.2 s: the shortest wait between two calls, whatever Retry-After or the jitter says ("0" gave five
# calls in 10 ms against a Pinterest asking us to slow down).
BACKOFF_MIN_S = 0.2


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


def retried(first: T, again: Callable[[], T], policy: Callable[[], tenacity.Retrying]) -> T:
    """The outcome of `first` (a try already made, which asked for another) and of more tries of
    `again`, as the tenacity loop `policy()` builds decides: as if that loop had made the first try.
    `policy` imports tenacity; it is called only here, once a retry is asked for."""
    made = [first]
    return policy()(lambda: made.pop() if made else again())


def _full_jitter() -> Callable[[tenacity.RetryCallState], float]:
    """tenacity's random exponential wait from BACKOFF_BASE_S, at most BACKOFF_CAP_S (it keeps no state)."""
    import tenacity  # at the first retry, not at start-up

    return tenacity.wait_random_exponential(multiplier=BACKOFF_BASE_S, max=BACKOFF_CAP_S)


# Every retried delivery builds its strategies: their classes are defined once, here, as building a
# class on each call cost about 25 us. tenacity takes any callable of its call state as either.
class _RetryAfterOrJitter:
    """Pinterest's Retry-After when it sends one, else full jitter; never less than BACKOFF_MIN_S."""

    def __init__(self, retry_after: Callable[[tenacity.RetryCallState], float | None]) -> None:
        self._retry_after = retry_after
        self._jitter = _full_jitter()

    def __call__(self, state: tenacity.RetryCallState) -> float:
        told = self._retry_after(state)
        return max(told if told is not None else self._jitter(state), BACKOFF_MIN_S)


class _AttemptsOrDeadline:
    """Stop after `max_attempts`, or when the next wait would leave less than MIN_CALL_S of the deadline."""

    def __init__(self, max_attempts: int, deadline: Callable[[], float], clock: Callable[[], float]) -> None:
        self._max_attempts = max_attempts
        self._deadline = deadline
        self._clock = clock

    def __call__(self, state: tenacity.RetryCallState) -> bool:
        upcoming = state.upcoming_sleep or 0.0
        return (state.attempt_number >= self._max_attempts
                or self._clock() + upcoming + MIN_CALL_S > self._deadline())


def wait_strategy(retry_after: Callable[[tenacity.RetryCallState], float | None],
                  ) -> Callable[[tenacity.RetryCallState], float]:
    """Full jitter (tenacity's random exponential), replaced by Retry-After when Pinterest sends one;
    at least BACKOFF_MIN_S either way."""
    return _RetryAfterOrJitter(retry_after)


def stop_strategy(max_attempts: int, deadline: Callable[[], float],
                  clock: Callable[[], float]) -> Callable[[tenacity.RetryCallState], bool]:
    """Stop after `max_attempts`, or when the next wait would leave no time for a call before the deadline."""
    return _AttemptsOrDeadline(max_attempts, deadline, clock)
