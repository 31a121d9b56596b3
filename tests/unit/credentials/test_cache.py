"""The per-name secret cache: TTL, single-flight reads off the caller's thread, bounded waits, refresh,
and stale values while reads fail."""

from __future__ import annotations

import io
import json
import threading
import time

import pytest

from function.credentials.cache import MAX_STALE_S, RETRY_AFTER_ERROR_S, WARN_EVERY_S, SecretCache
from function.credentials.secret_manager import SecretError, SecretUnreachable
from function.logs.console import ConsoleLog
from tests.doubles import Clock
from tests.processes import wait_until

NAME = "projects/p/secrets/s/versions/latest"
TTL = 300.0
# Waits long enough that a read of the Loader always ends inside them, unless a test holds it.
LONG_WAIT_S = 10.0


class Loader:
    """Answers from a list of values or exceptions, counting calls; `hold` blocks until released."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.hold = threading.Event()
        self.hold.set()
        self.entered = threading.Event()

    def __call__(self, name: str) -> object:
        self.calls += 1
        self.entered.set()
        assert self.hold.wait(10)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def make(loader: Loader, clock: Clock, **waits: float) -> tuple[SecretCache[object], io.StringIO]:
    stream = io.StringIO()
    waits = {"cold_wait_s": LONG_WAIT_S, "stale_wait_s": LONG_WAIT_S} | waits
    return SecretCache(loader, TTL, ConsoleLog("no", stream=stream), clock=clock, **waits), stream


def reads_done(cache: SecretCache[object]) -> None:
    """Waits until no read is in flight: one that a caller stopped waiting for ends on its own."""
    assert wait_until(lambda: not cache._flights)


def outage() -> SecretUnreachable:
    return SecretUnreachable(f"{NAME}: Secret Manager unreachable")


def log_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_value_is_reused_until_its_ttl_ends_then_read_again() -> None:
    clock, loader = Clock(1000.0), Loader("v1", "v2")
    cache, _ = make(loader, clock)
    assert cache.get(NAME) == "v1"
    clock.now += TTL - 1
    assert cache.get(NAME) == "v1"
    assert loader.calls == 1
    clock.now += 1
    assert cache.get(NAME) == "v2"
    assert loader.calls == 2


def test_names_are_cached_separately() -> None:
    loader = Loader("v")
    cache, _ = make(loader, Clock(1000.0))
    cache.get(NAME)
    cache.get(NAME.replace("/s/", "/other/"))
    cache.get(NAME)
    assert loader.calls == 2


def run_concurrently(count: int, call: object, loader: Loader, waiting: list[int]) -> list[object]:
    """`count` threads call while the first read is held until all others wait on it; their results."""
    results: list[object] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            value = call()  # type: ignore[operator]
        except Exception as exc:
            value = exc
        with lock:
            results.append(value)

    loader.hold.clear()
    loader.entered.clear()
    waiting.clear()
    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    assert loader.entered.wait(10)
    assert wait_until(lambda: len(waiting) >= count - 1)
    loader.hold.set()
    for thread in threads:
        thread.join(10)
    return results


def test_concurrent_callers_of_a_cold_cache_share_one_read(waiting: list[int]) -> None:
    loader = Loader("token")
    cache, _ = make(loader, Clock(1000.0))
    results = run_concurrently(100, lambda: cache.get(NAME), loader, waiting)
    assert results == ["token"] * 100
    assert loader.calls == 1


def test_a_failed_shared_read_fails_every_waiter_with_its_own_exception(waiting: list[int]) -> None:
    loader = Loader(outage())
    cache, stream = make(loader, Clock(1000.0))
    results = run_concurrently(20, lambda: cache.get(NAME), loader, waiting)
    assert loader.calls == 1
    assert all(isinstance(r, SecretUnreachable) for r in results)
    assert len({id(r) for r in results}) == 20
    assert len(log_lines(stream)) == 1


def test_concurrent_refreshes_share_one_read(waiting: list[int]) -> None:
    loader = Loader("old", "new")
    cache, _ = make(loader, Clock(1000.0))
    cache.get(NAME)
    results = run_concurrently(30, lambda: cache.refresh(NAME), loader, waiting)
    assert results == ["new"] * 30
    assert loader.calls == 2


def test_refresh_reads_again_even_while_the_value_is_fresh() -> None:
    loader = Loader("old", "new")
    cache, _ = make(loader, Clock(1000.0))
    assert cache.get(NAME) == "old"
    assert cache.refresh(NAME) == "new"
    assert cache.get(NAME) == "new"
    assert loader.calls == 2


def test_an_outage_serves_the_stale_value_with_a_warning_until_the_bound() -> None:
    clock, loader = Clock(1000.0), Loader("token", outage())
    cache, stream = make(loader, clock)
    cache.get(NAME)
    clock.now += TTL + 1
    assert cache.get(NAME) == "token"
    [line] = log_lines(stream)
    assert line["severity"] == "WARNING"
    assert line["secret"] == NAME
    assert "unreachable" in str(line["error"])
    assert "token" not in json.dumps(line).replace("serving the cached value", "")
    clock.now = 1000.0 + TTL + MAX_STALE_S - 1
    assert cache.get(NAME) == "token"
    clock.now = 1000.0 + TTL + MAX_STALE_S
    with pytest.raises(SecretUnreachable):
        cache.get(NAME)


def test_after_a_failed_read_the_next_starts_after_the_retry_interval_without_a_wait() -> None:
    clock, loader = Clock(1000.0), Loader("token", outage(), outage(), "rotated")
    cache, stream = make(loader, clock)
    cache.get(NAME)
    clock.now += TTL
    for _ in range(5):
        assert cache.get(NAME) == "token"
    assert loader.calls == 2
    clock.now += RETRY_AFTER_ERROR_S
    assert cache.get(NAME) == "token"  # a failure is on record: no wait, the read runs behind
    reads_done(cache)
    assert loader.calls == 3
    assert len(log_lines(stream)) == 1  # the second failure in a row is not logged again at once
    clock.now += RETRY_AFTER_ERROR_S
    assert cache.get(NAME) == "token"
    reads_done(cache)
    assert cache.get(NAME) == "rotated"
    clock.now += 1
    assert cache.get(NAME) == "rotated"
    assert loader.calls == 4


def test_failing_reads_warn_once_a_minute_and_again_at_once_after_a_success() -> None:
    clock, loader = Clock(1000.0), Loader(outage(), outage(), outage(), "token", outage())
    cache, stream = make(loader, clock)

    def failed_read(after_s: float) -> None:
        clock.now += after_s
        with pytest.raises(SecretUnreachable):
            cache.get(NAME)

    failed_read(0)
    failed_read(WARN_EVERY_S - 1)
    assert len(log_lines(stream)) == 1
    failed_read(1)
    assert len(log_lines(stream)) == 2
    clock.now += RETRY_AFTER_ERROR_S
    assert cache.get(NAME) == "token"
    clock.now += TTL
    assert cache.get(NAME) == "token"
    assert [line["message"] for line in log_lines(stream)][2:] == [
        "secret read failed; serving the cached value"]


def test_an_expired_value_is_served_without_waiting_for_a_read_that_hangs() -> None:
    """The first caller waits its stale wait; the read is then taken as failing, and nobody waits."""
    clock, loader = Clock(1000.0), Loader("token", "rotated")
    cache, _ = make(loader, clock, stale_wait_s=0.05)
    cache.get(NAME)
    clock.now += TTL
    loader.hold.clear()
    started = time.monotonic()
    assert [cache.get(NAME) for _ in range(50)] == ["token"] * 50
    assert time.monotonic() - started < 1.0  # 50 calls, one 0.05 s wait; a wait per call would be 2.5 s
    assert loader.calls == 2
    loader.hold.set()
    reads_done(cache)
    assert cache.get(NAME) == "rotated"  # the read that outlasted the waits is kept


def test_without_a_value_a_read_that_hangs_is_given_up_after_the_cold_wait() -> None:
    clock, loader = Clock(1000.0), Loader("token")
    cache, _ = make(loader, clock, cold_wait_s=0.05)
    loader.hold.clear()
    with pytest.raises(SecretUnreachable, match=f"^{NAME}: Secret Manager did not answer within 0.05 s$"):
        cache.get(NAME)
    with pytest.raises(SecretUnreachable):  # within the retry interval: at once, no second read
        cache.get(NAME)
    assert loader.calls == 1
    loader.hold.set()
    reads_done(cache)
    assert cache.get(NAME) == "token"


def test_the_readers_set_up_runs_before_a_first_read_and_outside_its_wait() -> None:
    """A slow import on a small cold instance is not Secret Manager failing to answer."""
    loader, set_ups = Loader("token"), []
    stream = io.StringIO()
    cache = SecretCache(loader, TTL, ConsoleLog("no", stream=stream), clock=Clock(1000.0), cold_wait_s=0.05,
                        connect=lambda: set_ups.append(time.sleep(0.2)))
    assert cache.get(NAME) == "token"
    assert cache.get(NAME) == "token"
    assert len(set_ups) == 1


def test_a_refresh_waits_at_most_the_cold_wait_and_the_old_value_stays() -> None:
    clock, loader = Clock(1000.0), Loader("token", "rotated")
    cache, _ = make(loader, clock, cold_wait_s=0.05)
    cache.get(NAME)
    loader.hold.clear()
    with pytest.raises(SecretUnreachable, match="did not answer within"):
        cache.refresh(NAME)
    assert cache.get(NAME) == "token"
    loader.hold.set()
    reads_done(cache)
    assert cache.get(NAME) == "rotated"


def test_without_a_cached_value_an_outage_raises_and_is_not_retried_at_once() -> None:
    clock, loader = Clock(1000.0), Loader(outage(), "token")
    cache, _ = make(loader, clock)
    for _ in range(3):
        with pytest.raises(SecretUnreachable):
            cache.get(NAME)
    assert loader.calls == 1
    clock.now += RETRY_AFTER_ERROR_S
    assert cache.get(NAME) == "token"


def test_a_failed_refresh_is_not_hidden_by_the_rejected_value() -> None:
    loader = Loader("token", outage())
    cache, _ = make(loader, Clock(1000.0))
    cache.get(NAME)
    with pytest.raises(SecretUnreachable):
        cache.refresh(NAME)
    assert cache.get(NAME) == "token"  # the old value is still within its TTL for plain reads


def test_an_unexpected_error_reaches_the_caller_unchanged() -> None:
    loader = Loader(RuntimeError("bug"), "token")
    cache, _ = make(loader, Clock(1000.0))
    with pytest.raises(RuntimeError, match="bug"):
        cache.get(NAME)
    assert cache.get(NAME) == "token"


def test_repr_names_the_cached_secrets_but_not_their_values() -> None:
    cache, _ = make(Loader("pina_value"), Clock(1000.0))
    cache.get(NAME)
    assert NAME in repr(cache)
    assert "pina_value" not in repr(cache)


def test_a_secret_error_without_a_cached_value_is_logged_once_per_read() -> None:
    clock, loader = Clock(1000.0), Loader(SecretError(f"{NAME}: not found"))
    cache, stream = make(loader, clock)
    with pytest.raises(SecretError):
        cache.get(NAME)
    [line] = log_lines(stream)
    assert line["message"] == "secret read failed"
