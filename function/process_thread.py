"""What the background threads share: the process they belong to, what is due, and the shutdown hook.

Facts about functions-framework's gunicorn server that shape it (checked against gunicorn 27 and
functions-framework 3.10; tests/integration/test_shutdown_budget.py proves them end to end):
- the master imports `main.py` and then forks the worker, so a thread started at import would live
  in the master and never see a request: threads start on first use instead, and again if the
  process changed;
- functions-framework builds gunicorn's configuration itself (no config file, no GUNICORN_CMD_ARGS,
  no server hooks), and the worker installs its own SIGTERM handler after the fork, from its main
  thread, where none of our code runs;
- on SIGTERM the worker stops accepting and waits up to 30 s for the requests in flight, and only
  then exits and runs `atexit`: far past Cloud Run's 10 s when Pinterest is slow.
So every process forked from the one that registered the hook blocks SIGTERM and waits for it in
a thread of its own (`sigwait`): when it comes, gunicorn's handler is called (stop accepting) and
the hook runs at once, counted from that moment. `atexit` runs the hook too, in processes that
never saw SIGTERM (Ctrl-C, a plain exit), or waits for the run already under way.
"""

from __future__ import annotations

import atexit
import math
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


class ProcessThread:
    """Starts `target` in a daemon thread of the current process, once; knows which process owns it."""

    def __init__(self, name: str, target: Callable[[], None]) -> None:
        self._name = name
        self._target = target
        self._thread: threading.Thread | None = None
        self._pid = 0

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()

    def ensure_started(self) -> None:
        """Start the thread unless it runs in this process already (callers hold their own lock)."""
        if self.alive:
            return
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._target, name=self._name, daemon=True)
        self._thread.start()

    def join(self, timeout_s: float) -> bool:
        """Wait for the thread to end; False when it is still running after `timeout_s`."""
        thread = self._thread
        if thread is None or not thread.is_alive() or self._pid != os.getpid():
            return True
        thread.join(timeout=None if math.isinf(timeout_s) else max(timeout_s, 0.0))
        return not thread.is_alive()


class Workers:
    """At most `size` tasks at once, each run by a daemon ProcessThread, kept for the next task.

    `run` refuses a task beyond the bound instead of queueing it: the caller decides what happens
    then (awaited delivery hands its batch to the background). A thread is started on first need
    in the current process, so a forked worker process starts its own.
    """

    def __init__(self, name: str, size: int) -> None:
        self._name = name
        self._size = size
        self._ready = threading.Condition()
        self._tasks: deque[Callable[[], None]] = deque()
        self._threads: list[ProcessThread] = []
        self._busy = 0  # tasks accepted and not yet finished, guarded by _ready

    def run(self, task: Callable[[], None]) -> bool:
        """Start `task` in a thread of the pool; False, and nothing started, when `size` tasks run."""
        with self._ready:
            if self._busy >= self._size:
                return False
            self._busy += 1
            self._tasks.append(task)
            self._threads = [thread for thread in self._threads if thread.alive]
            if len(self._threads) < self._busy:  # every accepted task has a thread free for it
                thread = ProcessThread(f"{self._name}-{len(self._threads)}", self._serve)
                thread.ensure_started()
                self._threads.append(thread)
            self._ready.notify()
        return True

    def _serve(self) -> None:
        while True:
            with self._ready:
                self._ready.wait_for(lambda: bool(self._tasks))
                task = self._tasks.popleft()
            try:
                task()  # a task keeps its own outcome; one that raises ends its thread (run starts another)
            finally:
                with self._ready:
                    self._busy -= 1


@dataclass
class Pending(Generic[T]):
    """Items waiting to be taken in batches, and when the oldest of the current batch arrived."""

    items: deque[T] = field(default_factory=deque)
    since: float = 0.0

    def add(self, new: list[T], now: float) -> None:
        if not self.items:
            self.since = now
        self.items.extend(new)


def take_due(pending: Pending[T], now: float, batch_max: int, wait_s: float, *,
             everything: bool = False) -> list[T]:
    """Up to `batch_max` of the oldest items when that many wait, the oldest waited `wait_s`, or
    `everything` is due (closing); else nothing. The one batching rule of every background thread."""
    items = pending.items
    if not items or not (everything or len(items) >= batch_max or now - pending.since >= wait_s):
        return []
    taken = [items.popleft() for _ in range(min(batch_max, len(items)))]
    pending.since = now
    return taken


def seconds_to_due(pending: Pending[T], now: float, wait_s: float) -> float | None:
    """How long until `take_due` has something; None (wait for new items) when nothing is pending."""
    if not pending.items:
        return None
    return max(pending.since + wait_s - now, 0.0)


class _ShutdownHook:
    """Runs the process's one shutdown hook once, from SIGTERM's watcher thread or from atexit."""

    def __init__(self) -> None:
        self.hook: Callable[[float], None] | None = None
        self.wait_s = 0.0
        self.registering = threading.Lock()
        self._lock = threading.Lock()
        self._started_in = 0  # the pid that ran (or runs) the hook
        self._done = threading.Event()

    def run(self, started: float) -> None:
        """Run the hook in this thread unless this process already did; then wait for it to finish."""
        with self._lock:
            first = self._started_in != os.getpid()
            if first:
                self._started_in = os.getpid()
                self._done = threading.Event()
            done = self._done
        if not first:
            done.wait(self.wait_s)
            return
        try:
            if self.hook is not None:
                self.hook(started)
        finally:
            done.set()

    def after_fork(self) -> None:
        """In the new process: hold SIGTERM for the watcher thread (threads inherit the mask)."""
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        threading.Thread(target=self._watch, name="sigterm-watcher", daemon=True).start()

    def _watch(self) -> None:
        signal.sigwait({signal.SIGTERM})
        started = time.monotonic()
        previous = signal.getsignal(signal.SIGTERM)
        if callable(previous):
            previous(signal.SIGTERM, None)  # gunicorn's: stop accepting, let the requests in flight end
        self.run(started)
        if previous == signal.SIG_DFL:  # not a gunicorn worker: end as SIGTERM would have
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
            os.kill(os.getpid(), signal.SIGTERM)


_SHUTDOWN = _ShutdownHook()


def on_shutdown(hook: Callable[[float], None], budget_s: float) -> None:
    """Make `hook(started)` the process's shutdown: run at SIGTERM (in processes forked after this
    call) or at exit, once per process, `started` being the monotonic time of the signal. Its body
    states the order; it must end within `budget_s`, which exit then waits for at most."""
    with _SHUTDOWN.registering:
        if _SHUTDOWN.hook is None:
            # A blocked signal survives exec: a master gunicorn re-executes (SIGUSR2) from a forked
            # child would start with SIGTERM blocked, and never see it.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
            os.register_at_fork(after_in_child=_SHUTDOWN.after_fork)
            atexit.register(lambda: _SHUTDOWN.run(time.monotonic()))
        _SHUTDOWN.hook = hook
        _SHUTDOWN.wait_s = budget_s + 1.0
