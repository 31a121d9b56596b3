"""Secrets and who may call: Secret Manager, the cached secrets, the Pinterest token, caller keys.

Takes plain values: never imports settings, app or web (tests/unit/test_imports.py).
"""
