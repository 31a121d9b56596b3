"""The data path: body bytes to built Pinterest events or refusals; pure functions driven by tables.

Imports nothing of ours but errors, limits and outcomes: no settings, no adapter, no I/O
(tests/unit/test_imports.py).
"""
