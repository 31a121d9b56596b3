"""Hypothesis fuzzing of the HTTP handler (fast profile in `make test`, long in `make fuzz`)."""
