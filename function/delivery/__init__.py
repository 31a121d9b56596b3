"""Getting built events to Pinterest behind one `send` (base.py): the HTTP client, retries, awaited and
optimistic sending (modes.py picks per event), replay.

Takes plain values: never imports settings, app or web (tests/unit/test_imports.py).
"""
