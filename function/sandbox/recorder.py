"""What the sandbox received: processed events and call counters, for tests to inspect."""

from __future__ import annotations

import copy
import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Recorder:
    """Recorded events and counters behind one lock, since every call runs on its own thread."""

    _records: list[dict[str, object]] = field(default_factory=list)
    _calls: int = 0
    _received: int = 0
    _processed: int = 0
    _batch_sizes: list[int] = field(default_factory=list)
    _statuses: Counter[str] = field(default_factory=Counter)
    _faults: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def begin_call(self) -> int:
        """Count a Conversions API call and return its number (1 for the first)."""
        with self._lock:
            self._calls += 1
            return self._calls

    def count_fault(self, kind: str) -> None:
        """A fault was injected into a call."""
        with self._lock:
            self._faults[kind] += 1

    def count_status(self, status: int) -> None:
        """The call was answered with this HTTP status."""
        with self._lock:
            self._statuses[str(status)] += 1

    def record_batch(
        self, ad_account_id: str, test: bool, call: int, received: int, processed: list[object]
    ) -> None:
        """A validated batch: its size, and the events that were processed."""
        with self._lock:
            self._received += received
            self._processed += len(processed)
            self._batch_sizes.append(received)
            self._records += [
                {"ad_account_id": ad_account_id, "test": test, "call": call, "event": copy.deepcopy(event)}
                for event in processed
            ]

    def events(self) -> list[dict[str, object]]:
        """A copy of every processed event, oldest first."""
        with self._lock:
            return copy.deepcopy(self._records)

    def stats(self) -> dict[str, object]:
        """The counters as JSON."""
        with self._lock:
            return {
                "calls": self._calls,
                "events_received": self._received,
                "events_processed": self._processed,
                "batch_sizes": list(self._batch_sizes),
                "statuses": dict(self._statuses),
                "faults": dict(self._faults),
            }

    def reset(self) -> None:
        """Forget everything."""
        with self._lock:
            self._records.clear()
            self._calls = self._received = self._processed = 0
            self._batch_sizes.clear()
            self._statuses.clear()
            self._faults.clear()
