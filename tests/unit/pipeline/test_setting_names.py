"""Unknown per-request settings are refused: a typo in a `pinterest` name is a 400 with the closest name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from function.errors import BadRequest
from function.pipeline import options
from function.pipeline.build import Context
from function.pipeline.fields import FIELDS
from function.pipeline.request import Built, Refused, build_request

BASE = options.Options(event_name_setup="inherit", event_name="", action_source="web", test=False)
SECRET = "s3cr3t-value@example.com"


def context(opts: options.Options) -> Context:
    return Context(options=opts, now=1764000000, new_event_id=lambda: "generated")


def run(body: Any) -> list[Built | Refused]:
    return build_request(json.dumps(body).encode(), BASE, context)


def event(**fields: Any) -> dict[str, Any]:
    return {"event_name": "purchase", "email": "jane@example.com", **fields}


NO_CLOSE_NAME = " (see README, Per-request settings)"


@pytest.mark.parametrize(
    ("body", "name", "meant"),
    [
        pytest.param(event(pinterest={"tset": SECRET}), "pinterest.tset", "pinterest.test", id="nested"),
        pytest.param(event(**{"pinterest.tset": SECRET}), "pinterest.tset", "pinterest.test", id="dotted"),
        pytest.param(event(pinterest_tset=SECRET), "pinterest_tset", "pinterest_test", id="flattened"),
        pytest.param(event(pinterest={"user_data": {"emm": SECRET}}),
                     "pinterest.user_data.emm", "pinterest.user_data.em", id="nested user_data"),
        pytest.param(event(**{"pinterest.custom_data.vlaue": SECRET}),
                     "pinterest.custom_data.vlaue", "pinterest.custom_data.value", id="dotted custom_data"),
        pytest.param(event(pinterest={"server_event_data": {"event_tim": SECRET}}),
                     "pinterest.server_event_data.event_tim", "pinterest.server_event_data.event_time",
                     id="nested server_event_data"),
        pytest.param(event(pinterest_user_data_emm=SECRET),
                     "pinterest_user_data_emm", "pinterest_user_data_em", id="flattened user_data"),
        pytest.param(event(pinterest={"nothing_like_it": SECRET}), "pinterest.nothing_like_it", None,
                     id="no close name"),
        pytest.param({"events": [event()], "pinterest": {"user_data": {"emaill": SECRET}}},
                     "pinterest.user_data.emaill", None, id="shared settings"),
    ],
)
def test_an_unknown_setting_is_a_400_naming_it_and_the_closest_name_never_the_value(
        body: Any, name: str, meant: str | None) -> None:
    [refused] = run(body)
    assert isinstance(refused, Refused)
    hint = f"; did you mean {meant}?" if meant else NO_CLOSE_NAME
    assert (refused.status, refused.http_status) == ("invalid", 400)
    assert refused.reason == f"{name} is not a per-request setting{hint}"
    assert SECRET not in refused.reason


def test_a_long_unknown_name_is_quoted_shortened() -> None:
    [refused] = run(event(pinterest={"x" * 5000: 1}))
    assert isinstance(refused, Refused)
    assert refused.http_status == 400
    assert len(refused.reason) < 200


def test_every_documented_name_is_accepted_in_every_form() -> None:
    """The names come from the option and field tables: each of them passes, nested, dotted and flattened."""
    names = [f"pinterest.{name}" for name in ("event_name_setup", "event_name", "action_source", "test",
                                              "delivery", "event_map", "debug", "ad_account_id", "tag_name")]
    names += [row.override.dotted for row in FIELDS]
    for name in names:
        flat = name.replace(".", "_")
        for form in ({name: None}, {flat: None}, {"pinterest": _nested(name.split(".")[1:])}):
            options.refuse_unknown_names(form)  # raises on an unknown name


def _nested(parts: list[str]) -> dict[str, Any]:
    return {parts[0]: _nested(parts[1:]) if len(parts) > 1 else None}


def test_keys_outside_pinterest_are_not_settings() -> None:
    """GA4's own keys, flattened or not, are never taken for settings, even when they mention pinterest."""
    [built] = run(event(x_ga_mp1_ev=1, user_data_email_address="a@example.com", my_pinterest_tag="x",
                        pinterestish=1, pinterest={}))
    assert isinstance(built, Built)


def test_one_event_s_typo_does_not_sink_the_others() -> None:
    found = run({"events": [event(event_id="a"), event(event_id="b", **{"pinterest.tset": True})]})
    assert [type(item).__name__ for item in found] == ["Built", "Refused"]
    assert isinstance(found[1], Refused)
    assert found[1].reason == ("events[1]: pinterest.tset is not a per-request setting; "
                               "did you mean pinterest.test?")


def test_the_readme_documents_exactly_the_names_accepted() -> None:
    """Every name the tables accept is in README's Per-request settings table, and nothing else is."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section_text = readme.split("### Per-request settings", 1)[1]
    table = section_text[section_text.index("\n|") + 1:].split("\n\n", 1)[0]
    documented = set()
    for row in table.splitlines()[2:]:
        first, second = row.split("|")[1:3]
        section = re.fullmatch(r" `(\w+)\.\*` ", first)
        if section:
            documented |= {f"pinterest.{section[1]}.{key}" for key in re.findall(r"`(\w+)`", second)}
        else:
            documented |= {f"pinterest.{name}" for name in re.findall(r"`(\w+)`", first)}
    # The options are the fields of Options; the overrides, the field table's rows.
    accepted = ({f"pinterest.{name}" for name in options.Options._fields}
                | {row.override.dotted for row in FIELDS})
    assert documented == accepted
    assert all(_accepted(name) for name in documented)


def _accepted(dotted: str) -> bool:
    try:
        options.refuse_unknown_names({dotted.replace(".", "_"): None})
    except BadRequest:
        return False
    return True
