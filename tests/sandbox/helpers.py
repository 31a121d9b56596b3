"""Shared builders for the sandbox tests: hashed identifiers, valid events, the spec's schemas."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from openapi_schema_validator import OAS30Validator

from tests import pinterest_spec

AD_ACCOUNT = "549755885175"
TOKEN = "test-token"


def sha(text: str) -> str:
    """The SHA-256 hex digest Pinterest expects for personal data."""
    return hashlib.sha256(text.encode()).hexdigest()


def make_event(now: float | None = None, **overrides: Any) -> dict[str, Any]:
    """A minimal valid web event; keyword arguments replace or add top-level fields."""
    event: dict[str, Any] = {
        "event_name": "checkout",
        "action_source": "web",
        "event_time": int(time.time() if now is None else now),
        "event_id": "order-1",
        "user_data": {"em": [sha("someone@example.com")]},
    }
    event.update(overrides)
    return event


def schema(name: str) -> dict[str, Any]:
    """A component schema by name."""
    return pinterest_spec.spec()["components"]["schemas"][name]


def assert_matches(instance: object, name: str) -> None:
    """Fail unless `instance` satisfies the named schema of the spec."""
    OAS30Validator(schema(name)).validate(instance)
