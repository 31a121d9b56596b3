"""Response bodies shaped like Pinterest's (Error, DetailedError and ConversionApiResponse schemas)."""

from __future__ import annotations

# Error codes and messages from the v5 OpenAPI description's examples; the sandbox's own choices
# (no example in the spec) are marked as such.
AUTH_FAILED = (2, "Authentication failed.")
INVALID_PARAMETERS = 1  # "Invalid request: ..." examples elsewhere in the spec
METHOD_NOT_ALLOWED = (5, "Method not allowed")
RATE_LIMITED = (
    8,
    "This request exceeded a rate limit. This can happen if the client exceeds one\n"
    "of the published rate limits within a short time window.",
)
RAMPED_DOWN = (4197, "The endpoint has been ramped down and is currently not accepting any traffic.")
PARTIAL_FAILURE = (1, "Not all events were successfully processed.")  # code: sandbox's choice
INTERNAL_ERROR = (500, "Internal error (injected by the sandbox).")  # sandbox's choice
NOT_FOUND = 404  # sandbox's choice

# error_message of an event failed by a "partial" fault.
INJECTED_EVENT_FAILURE = "Event not processed (failure injected by the sandbox)."


def error(code: int, message: str) -> dict[str, object]:
    """Pinterest's Error schema."""
    return {"code": code, "message": message}


def invalid_request(detail: str) -> dict[str, object]:
    """A 400 naming what is wrong with the request and where."""
    return error(INVALID_PARAMETERS, f"Invalid request: {detail}")


def batch_summary(outcomes: list[str | None]) -> dict[str, object]:
    """ConversionApiResponse: one entry per event in request order; None means processed."""
    return {
        "num_events_received": len(outcomes),
        "num_events_processed": sum(outcome is None for outcome in outcomes),
        "events": [
            {
                "status": "processed" if outcome is None else "failed",
                "error_message": outcome,
                "warning_message": None,
            }
            for outcome in outcomes
        ],
    }


def partial_failure(summary: dict[str, object]) -> dict[str, object]:
    """DetailedError wrapping the per-event summary, as Pinterest's 422 does."""
    code, message = PARTIAL_FAILURE
    return {"code": code, "message": message, "details": summary}
