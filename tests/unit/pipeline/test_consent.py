"""Whether an event grants ad_storage: consent_state first, else GA4's x-ga-gcs string."""

from __future__ import annotations

from typing import Any

import pytest

from function.pipeline import consent


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param({"consent_state": {"ad_storage": True}}, True, id="ad_storage true grants"),
        pytest.param({"consent_state": {"ad_storage": "granted"}}, True, id="ad_storage granted grants"),
        pytest.param(
            {"consent_state": {"ad_storage": " Granted "}}, True, id="granted is trimmed and case-insensitive"
        ),
        pytest.param({"consent_state": {"ad_storage": "true"}}, True, id="the string true grants"),
        pytest.param({"consent_state": {"ad_storage": "1"}}, True, id="the string 1 grants"),
        pytest.param({"consent_state": {"ad_storage": 1}}, True, id="the number 1 grants"),
        pytest.param({"consent_state": {"ad_storage": False}}, False, id="ad_storage false denies"),
        pytest.param({"consent_state": {"ad_storage": "denied"}}, False, id="ad_storage denied denies"),
        pytest.param({"consent_state": {"ad_storage": 0}}, False, id="the number 0 denies"),
        pytest.param({"consent_state": {"ad_storage": 2}}, False, id="the number 2 denies"),
        pytest.param({"consent_state": {"ad_storage": 1.0}}, False, id="a float does not grant"),
        pytest.param({"consent_state": {"ad_storage": ["granted"]}}, False, id="a list does not grant"),
        pytest.param(
            {"consent_state": {"ad_storage": {"granted": True}}}, False, id="an object does not grant"
        ),
        pytest.param({"consent_state": {"ad_storage": "yes"}}, False, id="other words do not grant"),
        pytest.param({"consent_state_ad_storage": "granted"}, True, id="the flattened consent key is read"),
        pytest.param(
            {"consent_state": {"ad_storage": "denied"}, "x-ga-gcs": "G111"},
            False,
            id="consent_state wins over a granting consent string",
        ),
        pytest.param(
            {"consent_state": {"ad_storage": "granted"}, "x-ga-gcs": "G101"},
            True,
            id="consent_state wins over a denying consent string",
        ),
        pytest.param(
            {"consent_state": {"analytics_storage": "granted"}, "x-ga-gcs": "G111"},
            True,
            id="consent_state without ad_storage leaves the decision to the consent string",
        ),
        pytest.param(
            {"consent_state": {"ad_storage": None}, "x-ga-gcs": "G111"},
            True,
            id="a null ad_storage leaves the decision to the consent string",
        ),
        pytest.param({"x-ga-gcs": "G111"}, True, id="G111 grants ad_storage"),
        pytest.param({"x-ga-gcs": "G110"}, True, id="G110 grants ad_storage without analytics"),
        pytest.param({"x-ga-gcs": "G101"}, False, id="G101 denies ad_storage"),
        pytest.param({"x-ga-gcs": "G100"}, False, id="G100 denies everything"),
        pytest.param({"x-ga-gcs": "G1"}, False, id="a consent string without ad_storage denies"),
        pytest.param({"x-ga-gcs": ""}, False, id="an empty consent string denies"),
        pytest.param({"x-ga-gcs": 111}, False, id="a numeric consent string denies"),
        pytest.param({"x_ga_gcs": "G111"}, True, id="the flattened consent string is read"),
        pytest.param({}, False, id="no consent at all denies"),
    ],
)
def test_ad_storage_granted(event: dict[str, Any], expected: bool) -> None:
    assert consent.ad_storage_granted(event) is expected


@pytest.mark.parametrize("placeholder", ["undefined", "", "null"])
def test_a_placeholder_ad_storage_falls_back_to_the_consent_string(placeholder: str) -> None:
    granted = {"consent_state": {"ad_storage": placeholder}, "x-ga-gcs": "G111"}
    denied = {"consent_state": {"ad_storage": placeholder}, "x-ga-gcs": "G101"}
    assert consent.ad_storage_granted(granted) is True
    assert consent.ad_storage_granted(denied) is False
