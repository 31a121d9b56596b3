"""Which field rows, and which of their sources, an event can fill: read off the event's shape.

A path source can only hold a value when the event has its first key or its flattened alias, a
derived source when it was derived, an override when the event carries the `pinterest` section
or the flattened key. A tag sends events of the same shape again and again, so the plan is
worked out once per shape and the build reads nothing else. A shape is told by the keys the
table can read, never by the event's other keys: the cache holds no caller-chosen strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from function.pipeline.derive import Derived
from function.pipeline.fields import FIELDS, OVERRIDE_PREFIX, Field, Source
from function.pipeline.parse import RESERVED
from function.pipeline.paths import EventPath

# Shapes remembered; a deployment's tags send a handful, a hostile caller churns them harmlessly.
_CACHED_SHAPES = 512
# Override section object (`pinterest.user_data`) → its section name.
_SECTIONS = tuple((EventPath(prefix.rstrip(".")), section) for section, prefix in OVERRIDE_PREFIX.items())
_NO_SECTIONS = (False,) * len(_SECTIONS)


def _top_level_keys(source: EventPath) -> tuple[str, ...]:
    """The event keys a path reads: its first part, and its flattened heads when it has them."""
    return (source.parts[0], *(head for head, _ in source.flat_heads))


# Every top-level key a source or an override can read: a plan depends on these alone.
_READ_KEYS = frozenset(
    [key for row in FIELDS for source in row.sources if isinstance(source, EventPath)
     for key in _top_level_keys(source)]
    + [row.override.flat for row in FIELDS]
)


class Step(NamedTuple):
    """One row to fill: the sources worth reading, in table order, and whether an override may be given."""

    row: Field
    sources: tuple[Source, ...]
    may_override: bool


def plan(event: Mapping[str, Any], derived: Mapping[str, Any]) -> tuple[Step, ...]:
    """The rows this event can fill, in table order."""
    if RESERVED in event:
        sections = tuple(path.read(event) is not None for path, _ in _SECTIONS)
    else:
        sections = _NO_SECTIONS
    return _plan(_READ_KEYS.intersection(event), frozenset(derived), sections)


@lru_cache(maxsize=_CACHED_SHAPES)
def _plan(present: frozenset[str], computed: frozenset[str], sections: tuple[bool, ...]) -> tuple[Step, ...]:
    overridden = {section for (_, section), given in zip(_SECTIONS, sections, strict=True) if given}
    steps = []
    for row in FIELDS:
        sources = tuple(source for source in row.sources if _can_hold(source, present, computed))
        may_override = row.section in overridden or row.override.flat in present
        if sources or may_override:
            steps.append(Step(row, sources, may_override))
    return tuple(steps)


def _can_hold(source: Source, keys: frozenset[str], derived: frozenset[str]) -> bool:
    """Whether the source can give a value: EventPath.read finds nothing without one of its top-level keys."""
    if isinstance(source, Derived):
        return source.name in derived
    return any(key in keys for key in _top_level_keys(source))
