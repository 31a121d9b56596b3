"""The scrubber: personal data and credentials never reach a log text."""

from __future__ import annotations

import pytest

from function.logs.scrub import scrub, scrub_json

CASES = [
    ("an e-mail", "user jane.doe+x@mail.example.co.uk failed", "user [email] failed"),
    ("a bearer token", "sent Authorization: Bearer pina_AbC.123-xyz~= to Pinterest",
     "sent Authorization: Bearer [redacted] to Pinterest"),
    ("a token in a query", "GET /v5/x?access_token=s3cr3t&test=true",
     "GET /v5/x?access_token=[redacted]&test=true"),
    ("an api key in JSON", '{"api_key": "abc123"}', '{"api_key": "[redacted]"}'),
    ("a phone with punctuation", "call +1 (415) 555-0199 now", "call [digits] now"),
    ("a national phone", "tel (415) 555 0199", "tel [digits]"),
    ("a long digit run", "card 4111111111111111", "card [digits]"),
    ("a JSON path and a short number are kept", "data[0].user_data.em[0] must be 64 hex characters",
     "data[0].user_data.em[0] must be 64 hex characters"),
    ("a digest is kept whole", "em " + "1234567" + "a" * 57, "em " + "1234567" + "a" * 57),
    ("an HTTP status is kept", "Pinterest answered 503: busy", "Pinterest answered 503: busy"),
    # The rules match case-insensitively as Python's re folds; so must the cheap test before them.
    ("a long-s secret", "\u017fecret=abc", "\u017fecret=[redacted]"),
    ("a Kelvin-sign key", "api_\u212aey=abc", "api_\u212aey=[redacted]"),
    ("a dotted-I basic", "Bas\u0130c dXNlcjpwYXNz", "Bas\u0130c [redacted]"),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in CASES], ids=[c[0] for c in CASES])
def test_scrub_removes_personal_data_and_credentials_but_keeps_the_diagnosis(text: str,
                                                                            expected: str) -> None:
    assert scrub(text) == expected


def test_scrub_json_cleans_every_string_and_leaves_keys_and_numbers() -> None:
    value = {"error_message": "bad em jane@example.com", "events": [{"n": 4155550199, "m": "tel 4155550199"}]}
    assert scrub_json(value) == {"error_message": "bad em [email]",
                                 "events": [{"n": 4155550199, "m": "tel [digits]"}]}
