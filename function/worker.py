"""A background thread for the process that serves requests, closed from that process's atexit.

functions-framework imports `main.py` in gunicorn's master and then forks the worker, so a
thread started at import would live in the master and never see a request: threads start on
first use instead, and again if the process changed. gunicorn replaces SIGTERM handlers, so the
final flush runs from `atexit`, which the master runs too: the hook acts only in the process
whose thread did the work. Threads are daemons, or exit would wait for them and atexit never run.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable


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
        if thread is None or not thread.is_alive():
            return True
        thread.join(timeout=max(timeout_s, 0.0))
        return not thread.is_alive()

    def on_exit(self, close: Callable[[], None]) -> None:
        """Run `close` at interpreter exit, in the process that started the thread only."""
        atexit.register(self._close_if_owner, close)

    def _close_if_owner(self, close: Callable[[], None]) -> None:
        if self._pid == os.getpid():
            close()
