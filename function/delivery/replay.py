"""Sends events whose last outcome was failed or dropped again, from their logged hashed payload.

Each keeps its original event_id (Pinterest deduplicates), and the new rows number their attempts
after the event's last one. Pinterest refuses events older than 7 days, so those are only reported.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from function.credentials.tokens import TokenUnavailable
from function.delivery.deliverer import Deliverer, Outgoing, batches
from function.limits import EVENTS_PER_CALL, MAX_EVENT_AGE_S, is_ad_account_id
from function.logs.journal import EventRecord, Journal
from function.logs.payload import REDUCED, loggable
from function.outcomes import Outcome
from function.pipeline import validate
from function.pipeline.options import AccountAllowlist
from function.pipeline.request import EVENT_ID_SOURCES

# 30 s: how long one replayed batch may keep retrying, as the optimistic sender allows itself.
REPLAY_DEADLINE_S = 30.0
# How replayed attempts are marked in the `delivery` column.
MODE = "replay"


@dataclass(frozen=True)
class Replayed:
    """What happened to one event: delivered, failed, too old, unusable, refused, or would send (dry run)."""

    event_id: str
    event_name: str | None
    result: str
    detail: str | None = None


@dataclass(frozen=True)
class Triage:
    """The events to send (each with the attempt number it reached) and those that cannot be sent."""

    send: tuple[tuple[Outgoing, int], ...]
    refused: tuple[Replayed, ...]


def triage(rows: Sequence[Mapping[str, Any]], now_s: float, accounts: AccountAllowlist) -> Triage:
    """Split the last rows of failed events into what can be sent again and what cannot, and why.

    The table is read as untrusted input: a row is sent only to an allowed account, with a payload
    that passes the checks a request's events pass and holds nothing the logs never keep.
    """
    send, refused = [], []
    for row in rows:
        payload = row.get("request_body")
        event_id, name = str(row.get("event_id")), row.get("event_name")
        account = row.get("ad_account_id")
        if not isinstance(payload, Mapping) or not account:
            refused.append(Replayed(event_id, name, "unusable", "the row holds no payload or ad account"))
            continue
        event_time = payload.get("event_time")
        if not isinstance(event_time, int | float) or now_s - event_time > MAX_EVENT_AGE_S:
            refused.append(Replayed(event_id, name, "too old", "event_time is outside Pinterest's 7 days"))
            continue
        problem = _account_problem(account, accounts) or _payload_problem(payload, event_id, int(now_s))
        if problem:
            refused.append(Replayed(event_id, name, "refused", problem))
            continue
        item = Outgoing(_sendable(payload), account, bool(row.get("test_mode")),
                    trace_id=row.get("trace_id"), ga4_event_name=row.get("ga4_event_name"),
                    tag_name=row.get("tag_name"), event_id_source=_event_id_source(row))
        send.append((item, int(row.get("last_attempt") or 0)))
    return Triage(tuple(send), tuple(refused))


def _event_id_source(row: Mapping[str, Any]) -> str | None:
    """The source the original row names, when it is one of the words the function writes."""
    source = row.get("event_id_source")
    return source if source in EVENT_ID_SOURCES else None


def _account_problem(account: Any, accounts: AccountAllowlist) -> str | None:
    """The account goes into the URL the token is sent to: digits only, and one this deployment may use."""
    if not isinstance(account, str) or not is_ad_account_id(account):
        return "ad_account_id is not 1-18 digits"
    if not accounts.allows(account):
        return "ad_account_id is neither PINTEREST_AD_ACCOUNT_ID nor in PINTEREST_AD_ACCOUNT_IDS"
    return None


def _payload_problem(payload: Mapping[str, Any], event_id: str, now: int) -> str | None:
    """Why the logged event may not be sent, or None."""
    if payload.get("event_id") != event_id:
        return "the payload's event_id is not the row's"
    if loggable(payload) != payload:
        return "the payload holds a value the logs never keep (raw personal data?)"
    sendable = _sendable(payload)
    user_data = sendable.get("user_data")
    if isinstance(user_data, Mapping) and not (user_data.get("em") or user_data.get("hashed_maids")):
        return ("no em or hashed_maids: the logs keep the IP address and user agent only reduced, "
                "so they are not sent again and Pinterest could not match the event")
    return validate.built_event_problem(sendable, now)


def _sendable(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The logged event without the values the logs keep only reduced (not the user's, so never sent)."""
    return {key: {k: v for k, v in value.items() if k not in REDUCED} if isinstance(value, Mapping) else value
            for key, value in payload.items() if key not in REDUCED}


class ContinuedAttempts:
    """Numbers a replay's attempts after the last one each event reached."""

    def __init__(self, journal: Journal, last: Mapping[tuple[str, str], int]) -> None:
        self._journal = journal
        self._last = last

    def record(self, records: Sequence[EventRecord]) -> None:
        self._journal.record([
            dataclasses.replace(rec, attempt=(rec.attempt or 0) + self._last.get(_key(rec), 0))
            for rec in records
        ])


def last_attempts(send: Sequence[tuple[Outgoing, int]]) -> dict[tuple[str, str], int]:
    """(ad account, event id) → the attempt number its history reached."""
    return {(item.ad_account_id, str(item.payload.get("event_id"))): last for item, last in send}


def run(send: Sequence[tuple[Outgoing, int]], deliverer: Deliverer, *,
        clock: Callable[[], float] = time.monotonic) -> list[Replayed]:
    """Deliver the events in batches of up to 1000 per (ad account, test mode), one result each."""
    results = []
    for batch in batches([item for item, _ in send], EVENTS_PER_CALL):
        deadline = clock() + REPLAY_DEADLINE_S
        try:
            attempt = deliverer.deliver(batch, MODE, _fixed(deadline))
        except TokenUnavailable as exc:
            results += [Replayed(_event_id(item), item.payload.get("event_name"), Outcome.FAILED,
                                 f"token unavailable: {exc}") for item in batch.items]
            continue
        for item, outcome in zip(batch.items, attempt.outcomes, strict=True):
            result = Outcome.DELIVERED if outcome.delivered else Outcome.FAILED
            results.append(Replayed(_event_id(item), item.payload.get("event_name"), result, outcome.error))
    return results


def _fixed(at: float) -> Callable[[], float]:
    """A deadline that does not move: each batch gets its own."""
    return lambda: at


def _event_id(item: Outgoing) -> str:
    return str(item.payload.get("event_id"))


def _key(record: EventRecord) -> tuple[str, str]:
    return (str(record.ad_account_id), str(record.event_id))
