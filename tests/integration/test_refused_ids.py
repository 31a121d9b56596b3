"""Every answer entry and log row names its event: refused and skipped events keep their ids.

Through the real functions-framework server, with consent required so a refused consent is a skip;
the SQLite log rows are read back from the server's own store.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from function.sandbox.server import Sandbox
from tests.processes import (
    AD_ACCOUNT,
    SANDBOX_TOKEN,
    FunctionServer,
    sqlite_rows,
    start_function,
    stop_process,
    wait_until,
)

EMAIL = {"email_address": "jane@example.com"}
TOO_OLD = {"event_name": "purchase", "transaction_id": "T-old-1", "event_time": 1700000000,
           "consent_state": {"ad_storage": "granted"}, "user_data": EMAIL}
NO_CONSENT = {"event_name": "purchase", "event_id": "E-noconsent-1", "transaction_id": "T-noconsent-1",
              "consent_state": {"ad_storage": "denied"}, "user_data": EMAIL}


@pytest.fixture(scope="module")
def server(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FunctionServer]:
    env = {"PINTEREST_AD_ACCOUNT_ID": AD_ACCOUNT, "PINTEREST_ACCESS_TOKEN": SANDBOX_TOKEN,
           "PINTEREST_API_URL": sandbox.url, "PINTEREST_CONSENT": "required"}
    running = start_function(env, tmp_path_factory.mktemp("refused-ids") / "server.log")
    yield running
    stop_process(running.process)


def _rows(server: FunctionServer, count: int) -> list[tuple[object, ...]]:
    """The log rows of the refused events, once the server has written them (bounded wait)."""
    found: list[tuple[object, ...]] = []

    def written() -> bool:
        found[:] = sqlite_rows(server, "SELECT outcome, event_id, event_name, ga4_event_name FROM events "
                                       "WHERE outcome IN ('invalid', 'skipped') ORDER BY event_id")
        return len(found) >= count

    wait_until(written)
    return found


def test_refused_and_skipped_events_are_answered_and_logged_with_their_ids(server: FunctionServer) -> None:
    answer = server.post({"events": [TOO_OLD, NO_CONSENT]})
    assert answer.status_code == 207, answer.text  # one skipped (taken), one invalid
    entries = [{key: entry[key] for key in ("event_id", "event_name", "ga4_event_name", "status")}
               for entry in answer.json()["events"]]
    assert entries == [
        {"event_id": "T-old-1", "event_name": "checkout", "ga4_event_name": "purchase", "status": "invalid"},
        {"event_id": "E-noconsent-1", "event_name": "checkout", "ga4_event_name": "purchase",
         "status": "skipped"},
    ]
    assert _rows(server, 2) == [("skipped", "E-noconsent-1", "checkout", "purchase"),
                                ("invalid", "T-old-1", "checkout", "purchase")]
