"""What happened to each event: the journal, console lines, the log table and its stores, scrubbing.

Takes plain values: never imports settings, app or web (tests/unit/test_imports.py).
"""
