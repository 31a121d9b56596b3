"""The HTTP layer: request in, answer out; where errors become status codes."""
