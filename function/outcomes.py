"""What happened to an event, in one vocabulary shared by every wing, and the sets derived from it.

A sibling of errors.py and limits.py rather than part of logs/: the pure pipeline names the
outcome of a refused event, delivery names an attempt's, the logs keep it and the web layer
answers with it, so it must import nothing of ours. Members are `str`, so rows, JSON and the
command line carry the same words they always did.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """One event's outcome at one step; the order is the one `python -m function logs` lists."""

    DELIVERED = "delivered"
    FAILED = "failed"
    RETRYING = "retrying"
    SKIPPED = "skipped"
    INVALID = "invalid"
    DROPPED = "dropped"
    QUEUED = "queued"  # accepted for later delivery: said to the caller, never journaled
    PROBE = "probe"  # the scheduled test-mode probe (delivery/probe.py): passed or not, never an event's


# Outcomes a journal record may carry (queued is only ever an answer; its delivery is journaled).
JOURNALED: tuple[Outcome, ...] = tuple(outcome for outcome in Outcome if outcome is not Outcome.QUEUED)
# Outcomes that end an event's story badly: always written, and what `replay` sends again.
FINAL_FAILURES: frozenset[Outcome] = frozenset({Outcome.FAILED, Outcome.DROPPED})
# Outcomes whose reason is a failure category, with the scrubbed detail beside it (a passed probe's
# reason is `passed`, and it has no detail). Probes are no final failure: never replayed, never counted.
WITH_ERROR_DETAIL: frozenset[Outcome] = FINAL_FAILURES | {Outcome.RETRYING, Outcome.PROBE}
# Outcomes the caller's answer counts as taken: all of them taken is a 200 (or 202 when queued).
TAKEN: frozenset[Outcome] = frozenset({Outcome.DELIVERED, Outcome.QUEUED, Outcome.SKIPPED})


def caller_word(outcome: Outcome) -> str:
    """The word the caller's answer uses: `sent` for delivered (the README's status table), else the same."""
    return "sent" if outcome == Outcome.DELIVERED else str(outcome)
