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
    """A dotted source path with its parts and flattened aliases computed once.

    `spread` reads every element of a list met on the way (`user_data.address` may hold several
    addresses) and gives the list of values found; without it the first element is read.
    """

    dotted: str
    spread: bool = False
    parts: tuple[str, ...] = field(init=False, repr=False, compare=False)
    flat: str = field(init=False, repr=False, compare=False)
    has_flat: bool = field(init=False, repr=False, compare=False)
    # Flattened heads with the nested rest: (`user_data_address_city`, ()), (`user_data_address`, ("city",)).
    flat_heads: tuple[tuple[str, tuple[str, ...]], ...] = field(init=False, repr=False, compare=False)
    # The one key of a path without dots or flattened aliases (`email`): read with one lookup.
    single: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = tuple(self.dotted.split("."))
        object.__setattr__(self, "parts", parts)
        object.__setattr__(self, "flat", flat_key(self.dotted))
        object.__setattr__(self, "has_flat", self.flat != self.dotted)
        heads = ((self.flat, ()), *((flat_key(".".join(parts[:end])), parts[end:])
                                    for end in range(len(parts) - 1, 1, -1)))
        object.__setattr__(self, "flat_heads", heads if self.has_flat else ())
        object.__setattr__(self, "single", parts[0] if len(parts) == 1 and not self.has_flat else None)

    def read(self, event: Mapping[str, Any]) -> Any:
        """The nested form wins over the flattened ones, the longest flattened head first.

        Stape's flattening leaves a list as it is (`user_data_address: [...]`), so the rest of
        the path is read inside what a flattened head holds.
        """
        if self.single is not None and type(event) is dict:  # what _walk finds, without its loop (hot path)
            return event.get(self.single)
        value = _walk(event, self.parts, self.spread)
        if value is None:
            for head, rest in self.flat_heads:
                node = event.get(head)
                if node is not None:
                    value = _walk(node, rest, self.spread)
                    if value is not None:
                        return value
        return value


def _walk(node: Any, parts: tuple[str, ...], spread: bool = False) -> Any:
    """Follow keys; a list is indexed by a numeric part, else its first (spread: every) element is read."""
    for at, part in enumerate(parts):
        if type(node) is not dict:  # fast path: parsed JSON objects are dicts (the ABC check is slow)
            if node is None:
                return None
            if isinstance(node, list):
                if part.isdigit():
                    index = int(part)
                    node = node[index] if index < len(node) else None
                    continue
                if spread:
                    return _spread(node, parts[at:])
                node = node[0] if node else None
            if not isinstance(node, Mapping):
                return None
        node = node.get(part)
    return node


def _spread(nodes: list[Any], parts: tuple[str, ...]) -> list[Any] | None:
    """The values `parts` reaches in each element, lists among them joined into one list.

    Lists inside the list are opened in a loop, not by recursion: a body may nest a thousand of
    them, deeper than Python's recursion limit.
    """
    found: list[Any] = []
    pending = nodes[::-1]
    while pending:
        node = pending.pop()
        if type(node) is list and not parts[0].isdigit():  # what _walk would do, without a frame per level
            pending += node[::-1]
            continue
        value = _walk(node, parts, spread=True)
        if isinstance(value, list):
            found.extend(value)
        elif value is not None:
            found.append(value)
    return found or None


def read(event: Mapping[str, Any], dotted: str) -> Any:
    """One-off lookup for code outside the field table."""
    return EventPath(dotted).read(event)
