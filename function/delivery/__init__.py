"""Getting built events to Pinterest: the HTTP client, retries, awaited and optimistic sending, replay.

Takes plain values: never imports settings, app or web (tests/unit/test_imports.py).
"""
