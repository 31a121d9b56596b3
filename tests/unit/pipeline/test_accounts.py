"""Several ad accounts: the allowlist setting, the request option and the 403 for an account not listed."""

from __future__ import annotations

import pytest

from function.errors import BadRequest, ConfigError, Forbidden
from function.pipeline import accounts, options
from function.pipeline.accounts import AccountAllowlist
from function.settings import Settings, parse_ad_account_ids

BASE = options.Options(event_name_setup="inherit", event_name="", action_source="web", test=False)


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
                                 "digits-only ad account ids")


def test_the_request_option_picks_an_account() -> None:
    event = {"event_name": "purchase", "pinterest": {"ad_account_id": "549000000002"}}
    assert options.resolve(BASE, event).ad_account_id == "549000000002"


def test_a_numeric_option_is_read_as_digits() -> None:
    assert accounts.parse_option(549000000002) == "549000000002"


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
