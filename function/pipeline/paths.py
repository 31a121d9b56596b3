"""Reads a value from a GA4 event by dotted path, in nested or Stape "flattened" form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, final


def flat_key(path: str) -> str:
    """Stape's "flatten keys": nested keys joined with '_' and '-' replaced by '_'."""
    return path.replace(".", "_").replace("-", "_")


@final  # build.py tells sources apart by `type(source) is EventPath`, exact only for final classes
@dataclass(frozen=True)
class EventPath:
    """A dotted source path with its parts and flattened alias computed once."""

    dotted: str
    parts: tuple[str, ...] = field(init=False, repr=False, compare=False)
    flat: str = field(init=False, repr=False, compare=False)
    has_flat: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(self.dotted.split(".")))
        object.__setattr__(self, "flat", flat_key(self.dotted))
        object.__setattr__(self, "has_flat", self.flat != self.dotted)

    def read(self, event: Mapping[str, Any]) -> Any:
        """The nested form wins over the flattened one when both are present."""
        value = _walk(event, self.parts)
        if value is None and self.has_flat:
            value = event.get(self.flat)
        return value


def _walk(node: Any, parts: tuple[str, ...]) -> Any:
    """Follow keys; a list is indexed by a numeric part, otherwise its first element is used."""
    for part in parts:
        if type(node) is not dict:  # fast path: parsed JSON objects are dicts (the ABC check is slow)
            if node is None:
                return None
            if isinstance(node, list):
                if part.isdigit():
                    index = int(part)
                    node = node[index] if index < len(node) else None
                    continue
                node = node[0] if node else None
            if not isinstance(node, Mapping):
                return None
        node = node.get(part)
    return node


def read(event: Mapping[str, Any], dotted: str) -> Any:
    """One-off lookup for code outside the field table."""
    return EventPath(dotted).read(event)
