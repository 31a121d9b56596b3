"""Per-request options: deployment defaults, the event's `pinterest` overrides, the ad-account allowlist."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from function.errors import BadRequest, ConfigError, Forbidden
from function.pipeline import options
from function.pipeline.options import AccountAllowlist, Options
from function.settings import Settings, parse_ad_account_ids

BASE = Options(event_name_setup="inherit", event_name="", action_source="web", test=False)
SECRET = "s3cr3t-value"


def test_defaults_come_from_the_deployment_settings() -> None:
    settings = Settings.from_env(
        {
            "PINTEREST_AD_ACCOUNT_ID": "549000000001",
            "PINTEREST_EVENT_NAME_SETUP": "custom",
            "PINTEREST_EVENT_NAME": "my_event",
            "PINTEREST_ACTION_SOURCE": "offline",
            "PINTEREST_TEST_MODE": "true",
        }
    )
    assert options.defaults(settings) == Options(
        event_name_setup="custom",
        event_name="my_event",
        action_source="offline",
        test=True,
        event_map={},
        debug=False,
    )


@pytest.mark.parametrize(
    ("pinterest", "expected"),
    [
        pytest.param(
            {"event_name_setup": "standard"},
            {"event_name_setup": "standard"},
            id="the event name setup can be overridden",
        ),
        pytest.param(
            {"event_name_setup": " Custom "},
            {"event_name_setup": "custom"},
            id="the event name setup is trimmed and case-insensitive",
        ),
        pytest.param(
            {"event_name": "checkout"}, {"event_name": "checkout"}, id="the event name can be overridden"
        ),
        pytest.param({"event_name": " lead "}, {"event_name": "lead"}, id="the event name is trimmed"),
        pytest.param({"event_name": 42}, {"event_name": "42"}, id="a numeric event name becomes text"),
        pytest.param(
            {"action_source": "offline"},
            {"action_source": "offline"},
            id="the action source can be overridden",
        ),
        pytest.param(
            {"action_source": "APP_IOS"},
            {"action_source": "app_ios"},
            id="the action source is case-insensitive",
        ),
        pytest.param(
            {"action_source": "app_android"},
            {"action_source": "app_android"},
            id="app_android is an action source",
        ),
        pytest.param({"test": True}, {"test": True}, id="test mode can be switched on"),
        pytest.param({"test": "yes"}, {"test": True}, id="test mode accepts yes"),
        pytest.param({"test": "TRUE"}, {"test": True}, id="test mode accepts true in any case"),
        pytest.param({"test": 1}, {"test": True}, id="test mode accepts 1"),
        pytest.param({"debug": "true"}, {"debug": True}, id="debug can be switched on"),
        pytest.param({"debug": False}, {}, id="debug false keeps the default"),
        pytest.param(
            {"event_map": {"purchase": "lead"}},
            {"event_map": {"purchase": "lead"}},
            id="an event map object is taken",
        ),
        pytest.param(
            {"event_map": '{"purchase": "lead"}'},
            {"event_map": {"purchase": "lead"}},
            id="an event map may be a JSON string",
        ),
        pytest.param(
            {"event_map": {"purchase": " lead ", "login": ""}},
            {"event_map": {"purchase": "lead"}},
            id="event map names are trimmed and empty ones dropped",
        ),
        pytest.param(
            {"event_map": {"purchase": 5}},
            {"event_map": {"purchase": "5"}},
            id="a numeric event map name becomes text",
        ),
        pytest.param(
            {
                "action_source": "offline",
                "test": "1",
                "event_name_setup": "standard",
                "event_name": "checkout",
            },
            {
                "action_source": "offline",
                "test": True,
                "event_name_setup": "standard",
                "event_name": "checkout",
            },
            id="several options are overridden at once",
        ),
    ],
)
def test_resolve_overrides(pinterest: dict[str, Any], expected: dict[str, Any]) -> None:
    resolved = options.resolve(BASE, {"event_name": "purchase", "pinterest": pinterest})
    changed = {name: getattr(resolved, name) for name in expected}
    assert changed == expected
    untouched = set(BASE._fields) - set(expected)
    assert all(getattr(resolved, name) == getattr(BASE, name) for name in untouched)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"event_name": "purchase"}, id="an event without pinterest keeps the defaults"),
        pytest.param({"pinterest": {}}, id="an empty pinterest object keeps the defaults"),
        pytest.param({"pinterest": {"action_source": ""}}, id="an empty string keeps the default"),
        pytest.param(
            {"pinterest": {"action_source": "undefined"}},
            id="a tag manager's undefined placeholder keeps the default",
        ),
        pytest.param(
            {"pinterest": {"test": None, "event_map": {}}}, id="null and empty objects keep the defaults"
        ),
    ],
)
def test_resolve_without_overrides_returns_the_base(event: dict[str, Any]) -> None:
    assert options.resolve(BASE, event) is BASE


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param({"pinterest_action_source": "offline"}, "offline", id="the Stape flattened key is read"),
        pytest.param(
            {"pinterest": {"action_source": "app_ios"}, "pinterest_action_source": "offline"},
            "app_ios",
            id="the nested form wins over the flattened key",
        ),
        pytest.param(
            {"pinterest": {"action_source": None}, "pinterest_action_source": "offline"},
            "offline",
            id="a null nested option falls back to the flattened key",
        ),
        pytest.param(
            {"pinterest": [{"action_source": "app_ios"}]},
            "app_ios",
            id="a pinterest list is read through its first object, like any path",
        ),
    ],
)
def test_resolve_reads_flattened_keys(event: dict[str, Any], expected: str) -> None:
    assert options.resolve(BASE, event).action_source == expected


@pytest.mark.parametrize(
    ("pinterest", "message"),
    [
        pytest.param(
            {"action_source": SECRET},
            r"^pinterest\.action_source must be one of web, offline",
            id="an unknown action source names pinterest.action_source",
        ),
        pytest.param(
            {"action_source": True},
            r"^pinterest\.action_source must be text or a number",
            id="a boolean action source is refused",
        ),
        pytest.param(
            {"event_name_setup": SECRET},
            r"^pinterest\.event_name_setup must be one of inherit",
            id="an unknown event name setup names pinterest.event_name_setup",
        ),
        pytest.param(
            {"event_name": [SECRET]},
            r"^pinterest\.event_name must be text or a number",
            id="a list as event name names pinterest.event_name",
        ),
        pytest.param(
            {"test": SECRET},
            r"^pinterest\.test must be true or false",
            id="a test flag that is not a switch names pinterest.test",
        ),
        pytest.param(
            {"test": 2}, r"^pinterest\.test must be true or false", id="a test flag of 2 is refused"
        ),
        pytest.param(
            {"debug": SECRET},
            r"^pinterest\.debug must be true or false",
            id="a debug flag that is not a switch names pinterest.debug",
        ),
        pytest.param(
            {"event_map": SECRET},
            r"^pinterest\.event_map must be an object",
            id="an event map string that is not JSON names pinterest.event_map",
        ),
        pytest.param(
            {"event_map": f'["{SECRET}"]'},
            r"^pinterest\.event_map must be an object",
            id="an event map JSON array is refused",
        ),
        pytest.param(
            {"event_map": [SECRET]},
            r"^pinterest\.event_map must be an object",
            id="an event map list is refused",
        ),
        pytest.param(
            {"event_map": {"purchase": [SECRET]}},
            r"^pinterest\.event_map must be text or a number",
            id="an event map name that is a list is refused",
        ),
        pytest.param(
            {"event_map": {"purchase": True}},
            r"^pinterest\.event_map must be text or a number",
            id="an event map name that is a boolean is refused",
        ),
        pytest.param(
            {"event_map": '{"a": NaN}'},
            r"^pinterest\.event_map must be a finite number",
            id="an event map name that is NaN is refused",
        ),
    ],
)
def test_resolve_refuses_bad_overrides_naming_the_path_not_the_value(
    pinterest: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadRequest, match=message) as caught:
        options.resolve(BASE, {"pinterest": pinterest})
    assert caught.value.status == 400
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "event_map",
    [
        pytest.param("[" * 100_000, id="a deeply nested event map array string is a bad request"),
        pytest.param('{"a":' * 100_000, id="a deeply nested event map object string is a bad request"),
    ],
)
def test_resolve_refuses_a_deeply_nested_event_map_string(event_map: str) -> None:
    with pytest.raises(BadRequest, match=r"^pinterest\.event_map "):
        options.resolve(BASE, {"pinterest": {"event_map": event_map}})


def test_resolve_does_not_change_the_event_or_the_base() -> None:
    event = {"pinterest": {"event_map": {"purchase": " lead "}, "action_source": "OFFLINE"}}
    before = copy.deepcopy(event)
    resolved = options.resolve(BASE, event)
    assert event == before
    assert resolved.action_source == "offline"
    assert Options(event_name_setup="inherit", event_name="", action_source="web", test=False) == BASE



@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("111, 222 ,333", ("111", "222", "333"), id="comma-separated ids are trimmed"),
        pytest.param("111,,222,111,", ("111", "222"), id="blanks and repeats are dropped"),
        pytest.param("", (), id="unset is an empty list"),
    ],
)
def test_parse_ad_account_ids(value: str, expected: tuple[str, ...]) -> None:
    assert parse_ad_account_ids(value) == expected


@pytest.mark.parametrize("value", ["111,22a", "111;222", "../333", "١٢٣"])
def test_the_allowlist_setting_refuses_anything_but_digits_by_name(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": "111", "PINTEREST_AD_ACCOUNT_IDS": value})
    assert str(caught.value) == ("invalid configuration: PINTEREST_AD_ACCOUNT_IDS must be comma-separated "
                                 "ad account ids, each digits only, 18 at most (Pinterest advertiser ids "
                                 "look like 549XXXXXXXXX)")


def test_the_request_option_picks_an_account() -> None:
    event = {"event_name": "purchase", "pinterest": {"ad_account_id": "549000000002"}}
    assert options.resolve(BASE, event).ad_account_id == "549000000002"


def test_a_numeric_option_is_read_as_digits() -> None:
    assert options.ad_account_option(549000000002) == "549000000002"


def test_without_the_option_the_deployment_account_is_meant() -> None:
    assert options.resolve(BASE, {"event_name": "purchase"}).ad_account_id == ""


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("549/../../users", id="a path is refused"),
        pytest.param("549 000", id="a space is refused"),
        pytest.param("549?test=false", id="a query is refused"),
        pytest.param(-549, id="a negative number is refused"),
        pytest.param(True, id="a boolean is refused"),
        pytest.param("5" * 19, id="over 18 digits is refused"),
    ],
)
def test_an_option_that_is_not_digits_is_a_400_naming_the_path(value: object) -> None:
    with pytest.raises(BadRequest) as caught:
        options.resolve(BASE, {"event_name": "purchase", "pinterest": {"ad_account_id": value}})
    assert caught.value.status == 400
    assert str(caught.value).startswith("pinterest.ad_account_id must be ")
    assert str(value) not in str(caught.value)


def test_the_allowlist_holds_the_default_and_the_listed_accounts() -> None:
    allowlist = AccountAllowlist("111", ("222", "333"))
    for account in ("", "111", "222", "333"):
        allowlist.check(account)


def test_an_account_outside_the_allowlist_is_a_403_naming_the_setting() -> None:
    with pytest.raises(Forbidden) as caught:
        AccountAllowlist("111", ("222",)).check("444")
    assert caught.value.status == 403
    assert "PINTEREST_AD_ACCOUNT_IDS" in str(caught.value)
    assert "444" not in str(caught.value)
