"""Decides whether an event may be sent when the deployment requires consent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from function.pipeline import coerce
from function.pipeline.paths import EventPath

_AD_STORAGE = EventPath("consent_state.ad_storage")
_GCS = EventPath("x-ga-gcs")
# GA4's x-ga-gcs is "G1" + ad_storage + analytics_storage; this index is ad_storage.
_GCS_AD_STORAGE_INDEX = 2
_GRANTED = frozenset({True, "true", "granted", "1"})  # True also matches 1


def ad_storage_granted(event: Mapping[str, Any]) -> bool:
    """consent_state.ad_storage wins; without it, the GA4 consent string decides."""
    state = _AD_STORAGE.read(event)
    if not coerce.is_empty(state):
        if isinstance(state, str):
            state = state.strip().lower()
        return isinstance(state, str | bool | int) and state in _GRANTED
    gcs = _GCS.read(event)
    return isinstance(gcs, str) and gcs[_GCS_AD_STORAGE_INDEX:_GCS_AD_STORAGE_INDEX + 1] == "1"
