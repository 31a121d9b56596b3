"""Build plans: the rows and sources an event's shape can fill, and nothing it can fill left out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from function.errors import GatewayError
from function.pipeline import build, derive, plans
from function.pipeline.build import Context, Skip, build_event
from function.pipeline.fields import FIELDS
from function.pipeline.options import Options
from function.pipeline.paths import EventPath

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
NOW = 1764000000


def _planned(event: dict[str, Any]) -> dict[str, plans.Step]:
    return {step.row.key: step for step in plans.plan(event, derive.values(event))}


def test_only_rows_whose_sources_the_event_has_are_planned() -> None:
    planned = _planned({"email": "a@b.co", "currency": "EUR"})
    assert set(planned) == {"em", "currency"}
    assert [s.dotted for s in planned["em"].sources] == ["email"]  # the absent user_data.* paths are not read
    assert not planned["em"].may_override


def test_nested_and_flattened_paths_both_plan_their_row() -> None:
    nested = _planned({"user_data": {"address": {"first_name": "Ana"}}})
    flattened = _planned({"user_data_address_first_name": "Ana"})
    assert "fn" in nested
    assert "fn" in flattened
    assert [s.dotted for s in flattened["fn"].sources] == ["user_data.address.first_name"]


def test_derived_sources_are_planned_only_when_derived() -> None:
    with_items = _planned({"items": [{"item_id": "A", "price": 2, "item_name": "Shoe"}]})
    assert {"contents", "content_ids", "num_items", "value", "content_name"} <= set(with_items)
    assert with_items["value"].sources == (derive.ITEMS_VALUE,)
    assert "contents" not in _planned({"items": []})


def test_a_section_object_plans_every_row_of_its_section_for_overrides() -> None:
    planned = _planned({"pinterest": {"custom_data": {"order_id": "X"}}})
    custom = {row.key for row in FIELDS if row.section == "custom_data"}
    assert set(planned) == custom
    assert all(step.may_override and not step.sources for step in planned.values())


def test_a_flattened_override_plans_its_row_alone() -> None:
    planned = _planned({"pinterest_user_data_external_id": "u-1"})
    assert set(planned) == {"external_id"}
    assert planned["external_id"].may_override


def test_steps_keep_the_table_order() -> None:
    event = json.loads((GOLDEN / "purchase-input.json").read_text(encoding="utf-8"))
    event = event[0] if isinstance(event, list) else event
    order = [row.key for row in FIELDS]
    keys = list(_planned(event))
    assert keys == sorted(keys, key=order.index)


def test_events_of_one_shape_share_one_plan() -> None:
    first = plans.plan({"email": "a@b.co", "value": 1}, {})
    second = plans.plan({"value": 2, "email": "c@d.co"}, {})
    assert first is second


def test_keys_the_table_never_reads_do_not_make_a_new_shape() -> None:
    # The cache is keyed by the keys the table reads: a caller's own keys (any number, any
    # length) are never held by it.
    plans.plan({"email": "a@b.co"}, {})
    before = plans._plan.cache_info()
    for n in range(50):
        plans.plan({"email": "a@b.co", f"client-key-{n}-" + "x" * 1000: n}, {})
    after = plans._plan.cache_info()
    assert (after.misses, after.currsize) == (before.misses, before.currsize)


# Every key a source or an override can read, nested and flattened, with values of every kind.
_PATHS = sorted({source.dotted for row in FIELDS for source in row.sources if isinstance(source, EventPath)}
                | {row.override.dotted for row in FIELDS})
_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2_000_000_000_000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", " ", "undefined", "a@b.co", "+1 650 555 0101", "US", "1990-01-02", "12.50", "web",
                     "x" * 64, "https://s.example/?epik=e1"]),
    st.lists(st.sampled_from(["a@b.co", "", "7"]), max_size=3),
    st.just([{"item_id": "A", "price": "2.5", "quantity": 2}]),
)


def _place(event: dict[str, Any], dotted: str, value: Any, flattened: bool) -> None:
    if flattened:
        event[EventPath(dotted).flat] = value
        return
    *parents, leaf = dotted.split(".")
    node = event
    for part in parents:
        child = node.get(part)
        node[part] = child = child if isinstance(child, dict) else {}
        node = child
    node[leaf] = value


@st.composite
def _events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = {"event_name": "purchase", "ip_override": "203.0.113.1", "user_agent": "UA"}
    for dotted in draw(st.lists(st.sampled_from(_PATHS), max_size=12)):
        if ".0." not in dotted:
            _place(event, dotted, draw(_VALUES), draw(st.booleans()))
    if draw(st.booleans()):
        event["items"] = draw(st.lists(st.fixed_dictionaries({"item_id": st.text(max_size=3),
                                                               "price": _VALUES}), max_size=3))
    return event


def _outcome(event: dict[str, Any]) -> Any:
    ctx = Context(Options("inherit", "", "web", False), NOW, lambda: "id-1", default_phone_country="DE")
    try:
        return build_event(event, ctx)
    except (GatewayError, Skip) as exc:
        return type(exc).__name__, str(exc)


def _every_row(event: Any, derived: Any) -> tuple[plans.Step, ...]:
    """The plan that reads every source and override of every row, as if no shape were known."""
    return tuple(plans.Step(row, row.sources, True) for row in FIELDS)


@hypothesis_settings(max_examples=300, deadline=None)
@given(_events())
def test_the_plan_leaves_out_nothing_a_full_read_would_find(event: dict[str, Any]) -> None:
    planned = _outcome(event)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build.plans, "plan", _every_row)
        assert _outcome(event) == planned
