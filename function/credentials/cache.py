"""Secrets kept in memory per name: one read at a time per name, on its own thread, so a request
waits for Secret Manager only a bounded time, and not at all while it holds a usable value that a
failing Secret Manager cannot replace."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar

from function.credentials.secret_manager import SecretError, SecretUnreachable
from function.logs.console import ConsoleLog

T = TypeVar("T")

# Seconds a value may be served past its TTL while reads fail: long enough to ride out an outage,
# short enough that a revoked secret does not live on for a day.
MAX_STALE_S = 3600.0
# Seconds a request with no usable value waits for the read before its 503: the first read of a
# cold instance (credentials, connection, call) fits in it many times over when Secret Manager is
# well; the client's own set-up (`connect`) comes before the wait.
COLD_WAIT_S = 1.0
# Seconds a request holding an expired value waits for the new read, so that a rotation is used
# at once; after a read failed or outlasted a wait, none until a read succeeds again.
STALE_WAIT_S = 0.2
# Seconds between the end of a failed read and the next one: a refused connection is not tried
# again by every request, and a read succeeds about this long after Secret Manager is back.
RETRY_AFTER_ERROR_S = 1.0
# Seconds between two warnings about the same secret while its reads keep failing; the first failure
# after a success is always logged.
WARN_EVERY_S = 60.0


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    loaded_at: float


class _Failure(NamedTuple):
    at: float
    error: SecretError


@dataclass
class _Flight(Generic[T]):
    """One read in progress on its own thread; callers wait for its outcome, each as long as it may."""

    name: str
    done: threading.Event = field(default_factory=threading.Event)
    entry: _Entry[T] | None = None
    error: BaseException | None = None

    def outcome(self, wait_s: float) -> T:
        """The value read, else the read's error (SecretUnreachable when it outlasts `wait_s`)."""
        if not self.done.wait(wait_s):
            raise SecretUnreachable(f"{self.name}: Secret Manager did not answer within {wait_s:g} s")
        if self.entry is not None:
            return self.entry.value
        if isinstance(self.error, SecretError):
            raise _copy(self.error)
        assert self.error is not None  # done without a value: the read raised
        raise self.error


class SecretCache(Generic[T]):
    """Values read through `load`, reused for `ttl_s`; `refresh` reads again (joining a read in flight).

    `connect` is the reader's set-up, run before a name's first read outside the bounded wait.
    """

    def __init__(self, load: Callable[[str], T], ttl_s: float, log: ConsoleLog, *,
                 connect: Callable[[], None] = lambda: None, max_stale_s: float = MAX_STALE_S,
                 cold_wait_s: float = COLD_WAIT_S, stale_wait_s: float = STALE_WAIT_S,
                 retry_after_error_s: float = RETRY_AFTER_ERROR_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load = load
        self._connect = connect
        self._ttl_s = ttl_s
        self._log = log
        self._max_stale_s = max_stale_s
        self._cold_wait_s = cold_wait_s
        self._stale_wait_s = stale_wait_s
        self._retry_after_error_s = retry_after_error_s
        self._clock = clock
        self._lock = threading.Lock()  # guards the four dicts below
        self._entries: dict[str, _Entry[T]] = {}
        self._failures: dict[str, _Failure] = {}  # since the last successful read of the name
        self._warned: dict[str, float] = {}  # ditto: when its last warning was logged
        self._flights: dict[str, _Flight[T]] = {}

    def __repr__(self) -> str:
        return f"SecretCache(names={sorted(self._entries)})"

    def get(self, name: str) -> T:
        """The cached value while fresh, else a new read shared by all callers (the stale value if it
        fails or is slow)."""
        return self._read(name, force=False)

    def refresh(self, name: str) -> T:
        """A new read, after the cached value was rejected; its failure is not hidden by the old value."""
        return self._read(name, force=True)

    def _read(self, name: str, *, force: bool) -> T:
        if name not in self._entries:
            self._connect()  # on the caller's time: the reader's own set-up is not part of the wait
        with self._lock:
            now = self._clock()
            entry = self._entries.get(name)
            if not force and entry is not None and now < entry.loaded_at + self._ttl_s:
                return entry.value
            stale = None if force else self._usable(entry, now)
            failure = self._failures.get(name)
            if failure is not None and now < failure.at + self._retry_after_error_s:
                if stale is not None:
                    return stale.value
                raise _copy(failure.error)
            flight = self._flights.get(name) or self._start(name)
            wait_s = self._cold_wait_s if stale is None else 0.0 if failure else self._stale_wait_s
        try:
            return flight.outcome(wait_s)
        except SecretError as exc:
            error = exc
        if not flight.done.is_set():  # the read outlasted the wait: later callers do not wait for it
            with self._lock:
                self._failures.setdefault(name, _Failure(self._clock(), error))
        if stale is not None:
            return stale.value
        raise error

    def _usable(self, entry: _Entry[T] | None, now: float) -> _Entry[T] | None:
        """The expired entry while it is within the stale bound."""
        if entry is not None and now < entry.loaded_at + self._ttl_s + self._max_stale_s:
            return entry
        return None

    def _start(self, name: str) -> _Flight[T]:
        """A new read on its own thread (caller holds the lock); it outlives a caller that stops waiting."""
        flight: _Flight[T] = _Flight(name)
        self._flights[name] = flight
        threading.Thread(target=self._lead, args=(flight,), name="secret-read", daemon=True).start()
        return flight

    def _lead(self, flight: _Flight[T]) -> None:
        """Read once, keep the value or the failure, and wake every caller waiting on this flight."""
        name = flight.name
        try:
            value = self._load(name)
        except SecretError as exc:
            flight.error = exc
            with self._lock:
                now = self._clock()
                self._failures[name] = _Failure(now, exc)
                stale = self._usable(self._entries.get(name), now) is not None
                last_warned = self._warned.get(name)
                warn = last_warned is None or now >= last_warned + WARN_EVERY_S
                if warn:
                    self._warned[name] = now
            if warn:
                self._warn(name, exc, stale=stale)
        except BaseException as exc:
            flight.error = exc
        else:
            with self._lock:
                entry = _Entry(value, self._clock())
                self._entries[name] = entry
                self._failures.pop(name, None)
                self._warned.pop(name, None)
            flight.entry = entry
        finally:
            with self._lock:
                self._flights.pop(name, None)
            flight.done.set()

    def _warn(self, name: str, error: SecretError, *, stale: bool) -> None:
        """The secret's name and why its read failed; never a value."""
        message = "secret read failed; serving the cached value" if stale else "secret read failed"
        self._log.write("WARNING", message, secret=name, error=str(error))


def _copy(error: SecretError) -> SecretError:
    """Each caller gets its own exception and traceback."""
    return type(error)(str(error))
