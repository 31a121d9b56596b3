"""Deployment settings from environment variables: parsed, checked and reported by name."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from function import settings
from function.errors import ConfigError
from function.pipeline import coerce, options
from function.settings import Settings

ACCOUNT = {"PINTEREST_AD_ACCOUNT_ID": "549000000001"}
TOKEN = "pina_SECRET_TOKEN_value"


def test_only_the_ad_account_id_is_required_and_everything_else_has_a_default() -> None:
    assert Settings.from_env(ACCOUNT) == Settings(
        ad_account_id="549000000001",
        access_token="",
        api_url="https://api.pinterest.com/v5",
        event_name_setup="inherit",
        event_name="",
        action_source="web",
        test_mode=False,
        consent="optional",
        partner_name="",
        default_phone_country="",
        timeout_s=10.0,
        log_console="debug",
        project="",
    )


@pytest.mark.parametrize(
    ("env", "field", "expected"),
    [
        pytest.param(
            {"PINTEREST_AD_ACCOUNT_ID": " 549000000001\n"},
            "ad_account_id",
            "549000000001",
            id="the ad account id is trimmed",
        ),
        pytest.param(
            {"PINTEREST_ACCESS_TOKEN": f" {TOKEN} "}, "access_token", TOKEN, id="the token is trimmed"
        ),
        pytest.param(
            {"PINTEREST_API_URL": "http://localhost:8080/v5/"},
            "api_url",
            "http://localhost:8080/v5",
            id="an http URL is accepted without its trailing slash",
        ),
        pytest.param(
            {"PINTEREST_API_URL": "https://api-sandbox.pinterest.com/v5"},
            "api_url",
            "https://api-sandbox.pinterest.com/v5",
            id="an https URL is accepted",
        ),
        pytest.param(
            {"PINTEREST_EVENT_NAME_SETUP": " STANDARD ", "PINTEREST_EVENT_NAME": "lead"},
            "event_name_setup",
            "standard",
            id="a choice is trimmed and case-insensitive",
        ),
        pytest.param(
            {"PINTEREST_EVENT_NAME": " checkout "}, "event_name", "checkout", id="the event name is trimmed"
        ),
        pytest.param(
            {"PINTEREST_ACTION_SOURCE": "app_android"},
            "action_source",
            "app_android",
            id="app_android is an action source",
        ),
        pytest.param({"PINTEREST_TEST_MODE": "yes"}, "test_mode", True, id="yes switches test mode on"),
        pytest.param({"PINTEREST_TEST_MODE": "On"}, "test_mode", True, id="on switches test mode on"),
        pytest.param({"PINTEREST_TEST_MODE": "1"}, "test_mode", True, id="1 switches test mode on"),
        pytest.param({"PINTEREST_TEST_MODE": "TRUE"}, "test_mode", True, id="TRUE switches test mode on"),
        pytest.param({"PINTEREST_TEST_MODE": "off"}, "test_mode", False, id="off switches test mode off"),
        pytest.param({"PINTEREST_TEST_MODE": "no"}, "test_mode", False, id="no switches test mode off"),
        pytest.param(
            {"PINTEREST_TEST_MODE": "  "}, "test_mode", False, id="a blank variable keeps the default"
        ),
        pytest.param({"PINTEREST_CONSENT": "required"}, "consent", "required", id="consent can be required"),
        pytest.param(
            {"PINTEREST_PARTNER_NAME": "ss-acme"}, "partner_name", "ss-acme", id="the partner name is read"
        ),
        pytest.param(
            {"PINTEREST_DEFAULT_PHONE_COUNTRY": "gb"},
            "default_phone_country",
            "GB",
            id="the phone country is upper-cased",
        ),
        pytest.param({"PINTEREST_TIMEOUT_S": "2.5"}, "timeout_s", 2.5, id="a fractional timeout is accepted"),
        pytest.param(
            {"LOG_CONSOLE": "Always"}, "log_console", "always", id="the console log mode is a choice"
        ),
        pytest.param({"LOG_CONSOLE": "no"}, "log_console", "no", id="the console log can be switched off"),
        pytest.param(
            {"GOOGLE_CLOUD_PROJECT": "my-project"}, "project", "my-project", id="the project id is read"
        ),
    ],
)
def test_from_env_reads(env: dict[str, str], field: str, expected: Any) -> None:
    found = Settings.from_env(ACCOUNT | env)
    assert getattr(found, field) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({}, r"PINTEREST_AD_ACCOUNT_ID is required", id="a missing ad account id is reported"),
        pytest.param(
            {"PINTEREST_AD_ACCOUNT_ID": "   "},
            r"PINTEREST_AD_ACCOUNT_ID is required",
            id="a blank ad account id is reported as missing",
        ),
        pytest.param(
            {"PINTEREST_AD_ACCOUNT_ID": "549-000"},
            r"PINTEREST_AD_ACCOUNT_ID must be digits only",
            id="an ad account id with a dash is refused",
        ),
        pytest.param(
            {"PINTEREST_AD_ACCOUNT_ID": "../../users"},
            r"PINTEREST_AD_ACCOUNT_ID must be digits only",
            id="an ad account id that would change the URL path is refused",
        ),
        pytest.param(
            {"PINTEREST_AD_ACCOUNT_ID": "١٢٣"},
            r"PINTEREST_AD_ACCOUNT_ID must be digits only",
            id="non-ASCII digits are refused",
        ),
        pytest.param(
            {"PINTEREST_AD_ACCOUNT_ID": "1" * 19},
            r"PINTEREST_AD_ACCOUNT_ID must be digits only",
            id="an ad account id over 18 digits is refused",
        ),
    ],
)
def test_from_env_ad_account_id_problems(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=r"^invalid configuration: .*" + message) as caught:
        Settings.from_env(env)
    assert caught.value.status == 503


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        pytest.param(
            "PINTEREST_API_URL",
            "api.pinterest.com/v5",
            "must be an absolute http:// or https:// URL",
            id="a URL without a scheme is refused",
        ),
        pytest.param(
            "PINTEREST_API_URL",
            "ftp://api.pinterest.com/v5",
            "must be an absolute http:// or https:// URL",
            id="a non-http scheme is refused",
        ),
        pytest.param(
            "PINTEREST_API_URL",
            "https:///v5",
            "must be an absolute http:// or https:// URL",
            id="a URL without a host is refused",
        ),
        pytest.param(
            "PINTEREST_API_URL",
            "https://api.pinterest.com/v5?x=1",
            "must not carry a query, fragment or credentials",
            id="a URL with a query is refused",
        ),
        pytest.param(
            "PINTEREST_API_URL",
            "https://api.pinterest.com/v5#top",
            "must not carry a query, fragment or credentials",
            id="a URL with a fragment is refused",
        ),
        pytest.param(
            "PINTEREST_API_URL",
            "https://user:pw@api.pinterest.com/v5",
            "must not carry a query, fragment or credentials",
            id="a URL with credentials is refused",
        ),
        pytest.param(
            "PINTEREST_API_URL",
            "https://user@api.pinterest.com/v5",
            "must not carry a query, fragment or credentials",
            id="a URL with a user name is refused",
        ),
        pytest.param(
            "PINTEREST_EVENT_NAME_SETUP",
            "mapped",
            "must be one of inherit, standard, custom",
            id="an unknown event name setup is refused",
        ),
        pytest.param(
            "PINTEREST_ACTION_SOURCE",
            "email",
            "must be one of web, offline, app_ios, app_android",
            id="an unknown action source is refused",
        ),
        pytest.param(
            "PINTEREST_CONSENT",
            "always",
            "must be one of optional, required",
            id="an unknown consent mode is refused",
        ),
        pytest.param(
            "LOG_CONSOLE",
            "verbose",
            "must be one of no, debug, always",
            id="an unknown console log mode is refused",
        ),
        pytest.param(
            "PINTEREST_TEST_MODE", "maybe", "must be true or false", id="a switch that is not one is refused"
        ),
        pytest.param(
            "PINTEREST_DEFAULT_PHONE_COUNTRY",
            "USA",
            "must be a two-letter ISO-3166 country code such as US or GB",
            id="a three-letter country is refused",
        ),
        pytest.param(
            "PINTEREST_TIMEOUT_S", "0", "must be a positive number of seconds", id="a zero timeout is refused"
        ),
        pytest.param(
            "PINTEREST_TIMEOUT_S",
            "-5",
            "must be a positive number of seconds",
            id="a negative timeout is refused",
        ),
        pytest.param(
            "PINTEREST_TIMEOUT_S",
            "nan",
            "must be a positive number of seconds",
            id="a NaN timeout is refused",
        ),
    ],
)
def test_from_env_refuses_naming_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(ACCOUNT | {variable: value})
    assert str(caught.value) == f"invalid configuration: {variable} {message}"


def test_from_env_reports_every_problem_at_once() -> None:
    env = {
        "PINTEREST_ACCESS_TOKEN": TOKEN,
        "PINTEREST_ACTION_SOURCE": "email",
        "PINTEREST_TEST_MODE": "maybe",
        "PINTEREST_API_URL": f"https://user:{TOKEN}@api.pinterest.com",
    }
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    message = str(caught.value)
    for variable in (
        "PINTEREST_API_URL",
        "PINTEREST_ACTION_SOURCE",
        "PINTEREST_TEST_MODE",
        "PINTEREST_AD_ACCOUNT_ID is required",
    ):
        assert variable in message
    assert TOKEN not in message
    assert "email" not in message
    assert "maybe" not in message


def test_a_timeout_that_is_not_a_number_is_reported_by_name_not_value() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(ACCOUNT | {"PINTEREST_TIMEOUT_S": "ten-seconds"})
    assert (
        str(caught.value) == "invalid configuration: PINTEREST_TIMEOUT_S must be a positive number of seconds"
    )


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("inf", id="an infinite timeout is refused"),
        pytest.param("1e999", id="a timeout that overflows to infinity is refused"),
    ],
)
def test_an_infinite_timeout_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="PINTEREST_TIMEOUT_S"):
        Settings.from_env(ACCOUNT | {"PINTEREST_TIMEOUT_S": value})


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("https://api.pinterest.com/v5?", id="a URL ending in an empty query is refused"),
        pytest.param("https://api.pinterest.com/v5#", id="a URL ending in an empty fragment is refused"),
    ],
)
def test_an_api_url_with_an_empty_query_or_fragment_is_refused(value: str) -> None:
    with pytest.raises(
        ConfigError, match="PINTEREST_API_URL must not carry a query, fragment or credentials"
    ):
        Settings.from_env(ACCOUNT | {"PINTEREST_API_URL": value})


def test_repr_never_shows_the_access_token() -> None:
    found = Settings.from_env(ACCOUNT | {"PINTEREST_ACCESS_TOKEN": TOKEN})
    assert found.access_token == TOKEN
    assert TOKEN not in repr(found)
    assert TOKEN not in str(found)
    assert "549000000001" in repr(found)


def test_from_env_reads_only_the_mapping_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINTEREST_ACTION_SOURCE", "offline")
    assert Settings.from_env(ACCOUNT).action_source == "web"


def test_settings_doc_names_every_variable_once_with_its_default() -> None:
    rows = settings.settings_doc()
    variables = [row[0] for row in rows]
    assert len(variables) == len(set(variables)) == len(dataclasses.fields(Settings))
    assert ("PINTEREST_API_URL", "https://api.pinterest.com/v5") in [(row[0], row[1]) for row in rows]
    assert all(row[2] for row in rows)


@pytest.mark.parametrize(
    ("setup", "name", "ok"),
    [
        pytest.param("standard", "checkout", True, id="a standard setup with a standard name starts"),
        pytest.param("standard", "purchase", False, id="a standard setup with a GA4 name is refused"),
        pytest.param("standard", "", False, id="a standard setup without a name is refused"),
        pytest.param("custom", "my_event-1", True, id="a custom setup with a valid name starts"),
        pytest.param("custom", "my event", False, id="a custom setup with a space is refused"),
        pytest.param("inherit", "", True, id="inherit needs no name"),
    ],
)
def test_the_configured_event_name_is_checked_at_start_up(setup: str, name: str, ok: bool) -> None:
    env = {"PINTEREST_AD_ACCOUNT_ID": "549000000001", "PINTEREST_EVENT_NAME_SETUP": setup,
           "PINTEREST_EVENT_NAME": name}
    if ok:
        assert Settings.from_env(env).event_name_setup == setup
    else:
        with pytest.raises(ConfigError, match="PINTEREST_EVENT_NAME"):
            Settings.from_env(env)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://api.pinterest.com/v5", id="the real host in clear text"),
        pytest.param("http://10.0.0.8:8080/v5", id="a private address"),
        pytest.param("http://127.example.com/v5", id="a name that only starts like loopback"),
    ],
)
def test_a_plain_http_api_url_is_refused_unless_it_is_this_machine(url: str) -> None:
    with pytest.raises(ConfigError, match="PINTEREST_API_URL must be an https:// URL"):
        Settings.from_env({**ACCOUNT, "PINTEREST_API_URL": url})


@pytest.mark.parametrize("url", ["http://127.0.0.1:8899/v5", "http://localhost/v5", "http://[::1]:9/v5",
                                 "https://api-sandbox.pinterest.com/v5"])
def test_https_or_a_loopback_host_is_accepted(url: str) -> None:
    assert Settings.from_env({**ACCOUNT, "PINTEREST_API_URL": url}).api_url == url



@pytest.mark.parametrize("word", ["true", "TRUE", "1", "yes", "on", "On", "false", "0", "no", "off", "OFF"])
def test_a_switch_word_means_the_same_in_a_variable_and_in_a_request(word: str) -> None:
    variable = Settings.from_env({**ACCOUNT, "PINTEREST_TEST_MODE": word}).test_mode
    assert variable is coerce.to_bool(word)
    assert options.resolve(options.defaults(Settings.from_env(ACCOUNT)), {"pinterest": {"test": word}}).test \
        is variable


TOPIC = "projects/my-proj/topics/pinterest-capi-events"


@pytest.mark.parametrize(("env", "message"), [
    ({"PINTEREST_DELIVERY": "pubsub"}, "PUBSUB_TOPIC is required when PINTEREST_DELIVERY is pubsub"),
    ({"PUBSUB_STREAM": "true"}, "PUBSUB_SUBSCRIPTION is required when PUBSUB_STREAM is true"),
    ({"PUBSUB_TOPIC": "pinterest-capi-events"}, "PUBSUB_TOPIC must be projects/PROJECT/topics/NAME"),
    ({"PUBSUB_SUBSCRIPTION": TOPIC}, "PUBSUB_SUBSCRIPTION must be projects/PROJECT/subscriptions/NAME"),
    ({"PUBSUB_TOPIC": "projects/my-proj/topics/ab"}, "PUBSUB_TOPIC must be"),
    ({"PUBSUB_RETRY_WINDOW_S": "604801"},
     "PUBSUB_RETRY_WINDOW_S must be a positive number of seconds up to 604800"),
    ({"PUBSUB_PUBLISH_TIMEOUT_S": "11"},
     "PUBSUB_PUBLISH_TIMEOUT_S must be a positive number of seconds up to 10"),
])
def test_pubsub_settings_are_refused_by_name(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**ACCOUNT, **env})


def test_pubsub_delivery_reads_its_queue_and_retries_for_12_hours_by_default() -> None:
    found = Settings.from_env({**ACCOUNT, "PINTEREST_DELIVERY": "pubsub", "PUBSUB_TOPIC": TOPIC})
    assert (found.delivery, found.pubsub_topic, found.pubsub_retry_window_s) == ("pubsub", TOPIC, 43200.0)
