"""Secrets and who may call: Secret Manager, the cached secrets, the Pinterest token, caller keys."""
