"""The process-bound background thread: started once per process, closed only by its own process."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable

import pytest

from function import worker
from function.worker import ProcessThread


def test_the_thread_starts_once_and_is_a_daemon() -> None:
    release = threading.Event()
    runs: list[str] = []

    def target() -> None:
        runs.append(threading.current_thread().name)
        release.wait(5)

    thread = ProcessThread("test-worker", target)
    thread.ensure_started()
    thread.ensure_started()
    assert thread.alive
    release.set()
    assert thread.join(5)
    assert runs == ["test-worker"]
    assert not thread.alive


def test_a_forked_process_starts_its_own_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    starts: list[int] = []
    thread = ProcessThread("test-worker", lambda: (starts.append(1), release.wait(5)))
    thread.ensure_started()
    monkeypatch.setattr(worker.os, "getpid", lambda: -1)  # as in gunicorn's forked worker
    assert not thread.alive
    thread.ensure_started()
    release.set()
    assert thread.join(5)
    assert len(starts) == 2


def test_the_exit_hook_closes_only_in_the_process_that_started_the_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    hooks: list[tuple[Callable[..., None], tuple]] = []
    monkeypatch.setattr(atexit, "register", lambda hook, *args: hooks.append((hook, args)))
    closed: list[int] = []
    thread = ProcessThread("test-worker", lambda: None)
    thread.on_exit(lambda: closed.append(1))
    [(hook, args)] = hooks
    hook(*args)  # the master: the thread never started here
    assert closed == []
    thread.ensure_started()
    thread.join(5)
    hook(*args)
    assert closed == [1]


def test_join_reports_a_thread_that_is_still_running() -> None:
    release = threading.Event()
    thread = ProcessThread("test-worker", lambda: release.wait(5))
    thread.ensure_started()
    assert not thread.join(0.05)
    release.set()
    assert thread.join(5)
