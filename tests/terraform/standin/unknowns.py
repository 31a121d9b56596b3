"""What a provider plans for a new object: the proposed state, each unset computed value unknown.

Pure, with the unknown sentinel passed in, so the main test venv can test it without tf.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def planned_state(block: Mapping[str, Any], value: Any, unknown: object) -> Any:
    """`value` (an object of `block`) with every computed attribute it leaves null unknown, nested too."""
    if value is None or value is unknown:
        return value
    out = dict(value)
    for name, attr in block.get("attributes", {}).items():
        if attr.get("computed") and out.get(name) is None:
            out[name] = unknown
    for name, nested in block.get("block_types", {}).items():
        inner, given = nested["block"], out.get(name)
        if given is None or given is unknown:
            continue
        if nested["nesting_mode"] in ("single", "group"):
            out[name] = planned_state(inner, given, unknown)
        elif nested["nesting_mode"] == "map":
            out[name] = {key: planned_state(inner, element, unknown) for key, element in given.items()}
        else:
            out[name] = [planned_state(inner, element, unknown) for element in given]
    return out
