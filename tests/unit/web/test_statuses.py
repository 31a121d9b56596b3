"""The one table from errors to the caller's answer: diagnoses keep their status, adapters' are translated."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import InternalServerError, NotFound

from function.credentials.secret_manager import SecretDenied
from function.credentials.tokens import TokenUnavailable
from function.errors import Forbidden, RequestTimeout
from function.web.statuses import Refusal, refusal, refused_status


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(Forbidden("ad account not allowed"), Refusal(403, "ad account not allowed"),
                     id="a diagnosis keeps its status and message"),
        pytest.param(RequestTimeout("slow"), Refusal(408, "slow"), id="408"),
        pytest.param(TokenUnavailable("secret projects/p/secrets/token denied"),
                     Refusal(503, "token unavailable", {"Retry-After": "1"}),
                     id="no token: 503, the adapter's message replaced"),
        pytest.param(SecretDenied("projects/p/secrets/keys: denied"),
                     Refusal(503, "caller API keys unavailable", {"Retry-After": "1"}),
                     id="caller keys unreadable: 503, the secret not named"),
        pytest.param(NotFound(), Refusal(404, "not found"), id="a path the framework answers: its own code"),
        pytest.param(InternalServerError(), Refusal(500, "internal error"), id="a crash: 500"),
        pytest.param(KeyError("x"), Refusal(500, "internal error"), id="an error no row names: 500"),
    ],
)
def test_each_error_is_told_once(error: BaseException, expected: Refusal) -> None:
    assert refusal(error) == expected


@pytest.mark.parametrize(("http_status", "word"), [(400, "invalid"), (401, "invalid"), (413, "invalid"),
                                                    (422, "invalid"), (500, "failed"), (503, "failed")])
def test_a_request_refused_whole_is_invalid_for_the_caller_s_faults_and_failed_for_ours(
        http_status: int, word: str) -> None:
    assert refused_status(http_status) == word
    assert Refusal(http_status, "x").body == {"status": word, "error": "x"}
