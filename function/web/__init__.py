"""The HTTP layer: request in, answer out; statuses.py is the one table from errors to status codes."""
