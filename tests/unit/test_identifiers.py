"""The spelling of secret names and caller keys, checked once for settings and adapters alike."""

from __future__ import annotations

import pytest

from function.identifiers import api_keys, for_account, parse_one_secret_name, parse_secret_name

SECRET = "projects/demo/secrets/pinterest-token"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(SECRET, SECRET + "/versions/latest", id="a bare secret means its latest version"),
        pytest.param(SECRET + "/versions/3", SECRET + "/versions/3", id="a numbered version is kept"),
        pytest.param(f" {SECRET}/versions/latest\n", SECRET + "/versions/latest", id="the name is trimmed"),
        pytest.param("projects/123456789/secrets/tok_{ad_account_id}", "projects/123456789/secrets/"
                     "tok_{ad_account_id}/versions/latest", id="the ad account placeholder is allowed"),
        pytest.param("", "", id="unset stays unset"),
    ],
)
def test_parse_secret_name_accepts(value: str, expected: str) -> None:
    assert parse_secret_name(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("pinterest-token", id="a bare id without its project is refused"),
        pytest.param("projects/demo/secrets/", id="an empty secret id is refused"),
        pytest.param("projects/demo/secrets/a/b", id="a stray path segment is refused"),
        pytest.param("projects/demo/secrets/tok/versions/1:access", id="a method suffix is refused"),
        pytest.param("projects/demo/secrets/{account}", id="an unknown placeholder is refused"),
        pytest.param("projects/../secrets/tok", id="a dotted segment is refused"),
    ],
)
def test_parse_secret_name_refuses(value: str) -> None:
    with pytest.raises(ValueError, match="must be projects/PROJECT/secrets/SECRET"):
        parse_secret_name(value)


def test_a_secret_shared_by_every_account_may_not_hold_the_placeholder() -> None:
    with pytest.raises(ValueError, match="must name one secret"):
        parse_one_secret_name("projects/demo/secrets/keys-{ad_account_id}")


def test_for_account_fills_in_the_ad_account_id() -> None:
    assert for_account("projects/p/secrets/t-{ad_account_id}/versions/latest", "549") == \
        "projects/p/secrets/t-549/versions/latest"


def test_caller_keys_are_trimmed_of_ascii_whitespace_only_and_repeats_dropped() -> None:
    assert api_keys([" key-0123456789abcdef\t", "", "key-0123456789abcdef", "key-fedcba9876543210"]) == \
        ("key-0123456789abcdef", "key-fedcba9876543210")


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        pytest.param(["short"], "key 1 is shorter than 16 characters", id="a short key"),
        pytest.param(["key-0123456789abcdef", "key 0123456789abcdef"], "key 2 must be visible ASCII",
                     id="an inner space"),
        pytest.param(["key-0123456789abcdef\u00a0"], "key 1 must be visible ASCII",
                     id="a trailing no-break space is refused, not trimmed"),
    ],
)
def test_caller_keys_are_refused_by_position_never_quoted(keys: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        api_keys(keys)
    assert "0123456789" not in str(caught.value)
