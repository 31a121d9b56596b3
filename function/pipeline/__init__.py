"""The data path: body bytes to built Pinterest events or refusals; pure functions driven by tables."""
