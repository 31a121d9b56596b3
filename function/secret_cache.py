"""Secrets kept in memory per name: one read at a time per name, served stale while Secret Manager is down."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from function.console_log import ConsoleLog
from function.secret_manager import SecretError

T = TypeVar("T")

# Seconds a value may be served past its TTL while reads fail: long enough to ride out an outage,
# short enough that a revoked secret does not live on for a day.
MAX_STALE_S = 3600.0
# Seconds between reads of a secret whose last read failed: a down Secret Manager is not asked
# once per request, and the warning is logged at most this often.
RETRY_AFTER_ERROR_S = 10.0


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    loaded_at: float


@dataclass
class _Flight(Generic[T]):
    """One read in progress; callers that arrive meanwhile wait for its outcome."""

    done: threading.Event = field(default_factory=threading.Event)
    value: T | None = None
    error: BaseException | None = None

    def outcome(self) -> T:
        self.done.wait()
        if isinstance(self.error, SecretError):
            raise type(self.error)(str(self.error))  # each waiter gets its own exception and traceback
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class SecretCache(Generic[T]):
    """Values read through `load`, reused for `ttl_s`; `refresh` reads again (joining a read in flight)."""

    def __init__(self, load: Callable[[str], T], ttl_s: float, log: ConsoleLog, *,
                 max_stale_s: float = MAX_STALE_S, retry_after_error_s: float = RETRY_AFTER_ERROR_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load = load
        self._ttl_s = ttl_s
        self._log = log
        self._max_stale_s = max_stale_s
        self._retry_after_error_s = retry_after_error_s
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry[T]] = {}
        self._failures: dict[str, tuple[float, SecretError]] = {}
        self._flights: dict[str, _Flight[T]] = {}

    def __repr__(self) -> str:
        return f"SecretCache(names={sorted(self._entries)})"

    def get(self, name: str) -> T:
        """The cached value while fresh, else one read shared by all callers (the stale value if it fails)."""
        return self._read(name, force=False)

    def refresh(self, name: str) -> T:
        """A new read, after the cached value was rejected; its failure is not hidden by the old value."""
        return self._read(name, force=True)

    def _read(self, name: str, *, force: bool) -> T:
        with self._lock:
            now = self._clock()
            entry = self._entries.get(name)
            if not force and entry is not None and now < entry.loaded_at + self._ttl_s:
                return entry.value
            failed_at, error = self._failures.get(name, (None, None))
            if failed_at is not None and now < failed_at + self._retry_after_error_s:
                return self._stale_or_raise(entry, now, error, force)
            flight = self._flights.get(name)
            leading = flight is None
            if flight is None:
                flight = self._flights[name] = _Flight()
        if leading:
            self._lead(name, flight, force)
        return flight.outcome()

    def _lead(self, name: str, flight: _Flight[T], force: bool) -> None:
        """Read once and hand the outcome to every caller waiting on this flight."""
        try:
            value = self._load(name)
        except SecretError as exc:
            with self._lock:
                now = self._clock()
                self._failures[name] = (now, exc)
                entry = self._entries.get(name)
                try:
                    flight.value = self._stale_or_raise(entry, now, exc, force)
                    self._warn(name, exc, stale=True)
                except SecretError as final:
                    flight.error = final
                    self._warn(name, exc, stale=False)
        except BaseException as exc:
            flight.error = exc
        else:
            with self._lock:
                self._entries[name] = _Entry(value, self._clock())
                self._failures.pop(name, None)
            flight.value = value
        finally:
            with self._lock:
                self._flights.pop(name, None)
            flight.done.set()

    def _stale_or_raise(self, entry: _Entry[T] | None, now: float, error: SecretError | None,
                        force: bool) -> T:
        """The old value while it is within the stale bound (never after a forced read), else the error."""
        if not force and entry is not None and now < entry.loaded_at + self._ttl_s + self._max_stale_s:
            return entry.value
        raise error or SecretError("unavailable")

    def _warn(self, name: str, error: SecretError, *, stale: bool) -> None:
        """One line per failed read: the secret's name and why; never a value."""
        message = "secret read failed; serving the cached value" if stale else "secret read failed"
        self._log.write("WARNING", message, secret=name, error=str(error))
