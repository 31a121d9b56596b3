"""The Outcome vocabulary: each word once, the sets derived from it, and the caller's words."""

from __future__ import annotations

import json

from function.outcomes import FINAL_FAILURES, JOURNALED, TAKEN, WITH_ERROR_DETAIL, Outcome, caller_word


def test_the_words_are_the_ones_rows_answers_and_the_command_line_always_carried() -> None:
    assert [str(o) for o in Outcome] == ["delivered", "failed", "retrying", "skipped", "invalid", "dropped",
                                        "queued", "probe"]
    assert json.dumps({"outcome": Outcome.DROPPED}) == '{"outcome": "dropped"}'
    assert [str(o) for o in JOURNALED] == ["delivered", "failed", "retrying", "skipped", "invalid", "dropped",
                                           "probe"]


def test_the_derived_sets() -> None:
    assert {Outcome.FAILED, Outcome.DROPPED} == FINAL_FAILURES
    assert {Outcome.FAILED, Outcome.DROPPED, Outcome.RETRYING, Outcome.PROBE} == WITH_ERROR_DETAIL
    assert {Outcome.DELIVERED, Outcome.QUEUED, Outcome.SKIPPED} == TAKEN
    assert Outcome.PROBE not in FINAL_FAILURES | TAKEN  # never replayed, never counted as an event taken
    assert Outcome.QUEUED not in JOURNALED


def test_the_caller_hears_sent_for_delivered_and_the_same_word_otherwise() -> None:
    same = (Outcome.RETRYING, Outcome.DROPPED, Outcome.PROBE)
    assert {o: caller_word(o) for o in Outcome if o not in same} == {
        Outcome.DELIVERED: "sent", Outcome.QUEUED: "queued", Outcome.SKIPPED: "skipped",
        Outcome.FAILED: "failed", Outcome.INVALID: "invalid"}
