"""The background threads' skeleton: process-bound threads, the batching rule, the shutdown hook."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from function import process_thread
from function.process_thread import Pending, ProcessThread, Workers, seconds_to_due, take_due

ROOT = Path(__file__).resolve().parents[2]


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
    monkeypatch.setattr(process_thread.os, "getpid", lambda: -1)  # as in gunicorn's forked worker
    assert not thread.alive
    thread.ensure_started()
    release.set()
    assert thread.join(5)
    assert len(starts) == 2


def test_join_reports_a_thread_that_is_still_running() -> None:
    release = threading.Event()
    thread = ProcessThread("test-worker", lambda: release.wait(5))
    thread.ensure_started()
    assert not thread.join(0.05)
    release.set()
    assert thread.join(5)


def test_workers_refuse_beyond_their_bound_and_reuse_their_threads() -> None:
    release, done = threading.Event(), threading.Semaphore(0)
    names: list[str] = []

    def task() -> None:
        names.append(threading.current_thread().name)
        release.wait(5)
        done.release()

    workers = Workers("test-calls", 2)
    assert workers.run(task)
    assert workers.run(task)
    assert not workers.run(task)  # the bound: refused, nothing started
    release.set()
    assert done.acquire(timeout=5)
    assert done.acquire(timeout=5)
    for _ in range(50):  # a finished task frees its slot moments after it returns
        if workers.run(task):
            break
        threading.Event().wait(0.01)
    else:
        pytest.fail("the slots were never freed")
    assert done.acquire(timeout=5)
    # No third thread; which of the two ran each task is the scheduler's choice.
    assert set(names) <= {"test-calls-0", "test-calls-1"}
    assert not [t for t in threading.enumerate() if t.name == "test-calls-2"]


def test_take_due_waits_for_a_full_batch_or_the_oldest_items_age() -> None:
    pending: Pending[int] = Pending()
    pending.add([1, 2], now=10.0)
    assert take_due(pending, 10.5, batch_max=3, wait_s=1.0) == []
    assert seconds_to_due(pending, 10.5, wait_s=1.0) == 0.5
    pending.add([3, 4], now=10.6)  # the batch's age is still its oldest item's
    assert take_due(pending, 10.7, batch_max=3, wait_s=1.0) == [1, 2, 3]  # full
    assert take_due(pending, 10.8, batch_max=3, wait_s=1.0) == []  # the rest starts a new wait
    assert take_due(pending, 11.7, batch_max=3, wait_s=1.0) == [4]
    assert seconds_to_due(pending, 11.7, wait_s=1.0) is None


def test_take_due_takes_everything_when_closing_in_batches_of_the_maximum() -> None:
    pending: Pending[int] = Pending()
    pending.add(list(range(5)), now=0.0)
    assert take_due(pending, 0.0, batch_max=2, wait_s=60.0, everything=True) == [0, 1]
    assert take_due(pending, 0.0, batch_max=2, wait_s=60.0, everything=True) == [2, 3]
    assert take_due(pending, 0.0, batch_max=2, wait_s=60.0, everything=True) == [4]
    assert take_due(pending, 0.0, batch_max=2, wait_s=60.0, everything=True) == []


# A parent that registers the hook and forks a child that, as gunicorn's worker does, installs its
# own SIGTERM handler after the fork and then waits in its main thread for the requests in flight.
_FORKING_PARENT = textwrap.dedent("""
    import os, signal, sys, time
    from function.process_thread import on_shutdown

    out = sys.argv[1]

    def note(text):
        with open(out, "a") as file:
            file.write(text + "\\n")

    on_shutdown(lambda started: note(f"hook {os.getpid()} {time.monotonic() - started:.3f}"), budget_s=2)
    child = os.fork()
    if child == 0:
        state = {"alive": True}
        def handle_exit(sig, frame):  # what gunicorn's worker installs
            state["alive"] = False
            note("previous handler")
        signal.signal(signal.SIGTERM, handle_exit)
        note("ready")
        while state["alive"]:
            time.sleep(0.01)
        time.sleep(0.5)  # the requests in flight end; the hook has long run
        note("worker exits")
        sys.exit(0)
    while "ready" not in open(out).read() if os.path.exists(out) else True:
        time.sleep(0.01)
    os.kill(child, signal.SIGTERM)
    os.waitpid(child, 0)
""")


def test_sigterm_runs_the_hook_at_once_in_the_forked_worker_then_its_own_handler_once(tmp_path: Path) -> None:
    out = tmp_path / "notes"
    subprocess.run([sys.executable, "-c", _FORKING_PARENT, str(out)], cwd=ROOT, timeout=30, check=True)
    notes = out.read_text().splitlines()
    hooks = [line for line in notes if line.startswith("hook")]
    # Once in the worker, at SIGTERM (before its own wait ended), not again at its exit; once in the parent.
    assert len(hooks) == 2
    assert len({line.split()[1] for line in hooks}) == 2
    assert notes.index(hooks[0]) < notes.index("worker exits")
    assert "previous handler" in notes  # gunicorn's own handler still runs: the worker stops accepting


def test_without_a_handler_of_its_own_a_forked_child_still_ends_on_sigterm(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import os, signal, sys, time
        from function.process_thread import on_shutdown
        out = sys.argv[1]
        on_shutdown(lambda started: open(out, "a").write(f"hook {os.getpid()}\\n"), budget_s=2)
        child = os.fork()
        if child == 0:
            open(out, "a").write("ready\\n")
            time.sleep(30)
            os._exit(0)
        while not os.path.exists(out):
            time.sleep(0.01)
        os.kill(child, signal.SIGTERM)
        _, status = os.waitpid(child, 0)
        print(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM)
    """)
    out = tmp_path / "notes"
    done = subprocess.run([sys.executable, "-c", script, str(out)], cwd=ROOT, timeout=30, check=True,
                          capture_output=True, text=True)
    assert done.stdout.split()[0] == "True"
    assert sum(line.startswith("hook") for line in out.read_text().splitlines()) == 2
