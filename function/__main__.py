"""`python -m function logs|replay|report|drain|probe`: read the log store the environment (or the last
`make dev`) configures, re-send failures, report match quality, deliver what pubsub delivery queued,
probe Pinterest with a test-mode event per ad account."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from function.app import build_deliverer, open_store, probe_accounts, run_drain, run_probes, table_journal
from function.credentials.secret_manager import SecretManager
from function.delivery.drain import subscriber_client
from function.delivery.pubsub import decode
from function.delivery.replay import ContinuedAttempts, Replayed, last_attempts, run, triage
from function.errors import ConfigError
from function.limits import AD_ACCOUNT_ID_RULE, EVENTS_PER_CALL, MAX_EVENT_AGE_S, is_ad_account_id
from function.logs.console import ConsoleLog
from function.logs.journal import ConsoleJournal, Journals
from function.logs.query import LogQuery, parse_since
from function.logs.report import figures, findings, render
from function.logs.sqlite import CHECKOUT
from function.logs.store import LogStore, StoreUnavailable
from function.outcomes import JOURNALED, Outcome
from function.pipeline.options import AccountAllowlist
from function.settings import Settings, variables

# Columns of the `logs` table: (heading, row column, widest cell kept).
_LOG_COLUMNS = (
    ("TIME (UTC)", "timestamp", 19), ("OUTCOME", "outcome", 9), ("EVENT", "event_name", 18),
    ("EVENT ID", "event_id", 36), ("TRY", "attempt", 3), ("HTTP", "response_status_code", 4),
    ("MS", "latency_ms", 7), ("DELIVERY", "delivery", 10), ("REASON", "reason", 60),
    ("WARNED", "warned", 40),
)
_REPLAY_COLUMNS = (("EVENT ID", "event_id", 36), ("EVENT", "event_name", 18), ("RESULT", "result", 10),
                   ("DETAIL", "detail", 80))
_TIMESTAMP_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
# Exit codes: 0 done, 1 some replayed events failed, 2 the command could not run.
_FAILED, _UNUSABLE = 1, 2
# How far back `replay` looks in the log by default: Pinterest's 7 days.
_REPLAY_SINCE = "7d"
# 5 s: how long `replay --dead-letters --dry-run` waits for one pull (the emulator holds an empty one ~4 s).
_PEEK_PULL_S = 5.0
# What `make dev` (tools/dev.py) writes once its function answers: the settings that function runs with.
DEV_SETTINGS = CHECKOUT / ".local" / "dev.env"


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str, int]]) -> str:
    """A plain-text table, each cell cut to its column's width."""
    cells = [[_cell(row.get(key), width) for _, key, width in columns] for row in rows]
    widths = [max([len(head)] + [len(line[i]) for line in cells]) for i, (head, _, _) in enumerate(columns)]
    lines = [[head for head, _, _ in columns], *cells]
    return "\n".join("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
                     for line in lines)


def _cell(value: Any, width: int) -> str:
    """Empty for null; timestamps to the second ('2026-05-01 12:00:00'); long texts cut with '…'.

    Ids and reasons come from callers and from Pinterest: a newline, a terminal escape or a bidi
    override in them could forge or hide a row, so every non-printable character is shown escaped.
    """
    text = "" if value is None else "".join(c if c.isprintable() else ascii(c)[1:-1] for c in str(value))
    if _TIMESTAMP_PREFIX.match(text):
        text = text[:19].replace("T", " ")
    return text if len(text) <= width else text[:width - 1] + "…"


def _logs(args: argparse.Namespace, settings: Settings, store: LogStore, now: datetime) -> int:
    rows = store.recent(LogQuery(parse_since(args.since, now), args.event_id, args.outcome, args.event_name,
                                 args.limit))
    if args.json:
        for row in rows:
            print(json.dumps(row, separators=(",", ":")))
    else:
        shown = [{**row, "warned": ", ".join(w.get("field", "") for w in row.get("warnings") or ())}
                 for row in rows]  # the fields warned of; --json has the reasons
        print(table(shown, _LOG_COLUMNS) if rows else f"no rows in the {store.name} log since {args.since}")
    return 0


def _replay(args: argparse.Namespace, settings: Settings, store: LogStore, now: datetime) -> int:
    if args.dead_letters:
        return _dead_letters(args, settings, now)
    since = args.since or _REPLAY_SINCE
    rows = store.replayable(LogQuery(parse_since(since, now), args.event_id, limit=args.limit))
    chosen = triage(rows, now.timestamp(), AccountAllowlist(settings.ad_account_id, settings.ad_account_ids))
    if args.dry_run:
        results = [Replayed(str(item.payload.get("event_id")), item.payload.get("event_name"), "would send",
                            f"attempt {last + 1}") for item, last in chosen.send]
    else:
        log = ConsoleLog(settings.log_console, settings.project, stream=sys.stderr)
        rows_journal = table_journal(settings, log)
        journal = ContinuedAttempts(Journals(ConsoleJournal(log), rows_journal), last_attempts(chosen.send))
        secrets = SecretManager(settings.secret_manager_endpoint or "")
        deliverer = build_deliverer(settings, log, journal, secrets, pool_size=1)
        try:
            results = run(chosen.send, deliverer)
        finally:
            rows_journal.close()
    results += chosen.refused
    return _results(args, results)


def _results(args: argparse.Namespace, results: Sequence[Replayed]) -> int:
    """The results as a table (or JSON lines) on stdout, their counts on stderr; 1 when any failed."""
    if args.json:
        for result in results:
            print(json.dumps(asdict(result), separators=(",", ":")))
    elif results:
        print(table([asdict(result) for result in results], _REPLAY_COLUMNS))
    counts = Counter(result.result for result in results)
    print(", ".join(f"{count} {word}" for word, count in counts.items()) or "nothing to replay",
          file=sys.stderr)
    return _FAILED if counts.get(Outcome.FAILED) else 0


def _dead_letters(args: argparse.Namespace, settings: Settings, now: datetime) -> int:
    """`replay --dead-letters`: the messages of PUBSUB_DEAD_LETTER_SUBSCRIPTION, up to --limit, drained
    as the drain does (over 7 days old, or poison: failed on record); with --dry-run only listed."""
    name = settings.pubsub_dead_letter_subscription
    if not name:
        raise ConfigError("--dead-letters needs PUBSUB_DEAD_LETTER_SUBSCRIPTION")
    if args.event_id is not None or args.since is not None:
        raise ValueError("--event-id and --since choose logged failures; --dead-letters takes the "
                         "dead-letter subscription's messages as they come, up to --limit")
    if args.dry_run:
        return _results(args, _peek(settings, name, args.limit, now.timestamp()))
    dead = run_drain(settings, subscription=name, retry_window_s=MAX_EVENT_AGE_S, max_events=args.limit)
    print(json.dumps(asdict(dead), separators=(",", ":")))
    print(f"dead-letter subscription: {dead.pulled} pulled, {dead.delivered} delivered, {dead.failed} "
          f"failed, {dead.retrying} left for another run", file=sys.stderr)
    return _FAILED if dead.failed else 0


def _peek(settings: Settings, subscription: str, limit: int, now_s: float) -> list[Replayed]:
    """What up to `limit` messages of the subscription would give, each given back at once (nacked)."""
    from google.api_core.exceptions import DeadlineExceeded

    client = subscriber_client(settings.pubsub_emulator_host)
    held: list[str] = []
    found: list[Replayed] = []
    try:
        while len(held) < limit:
            try:
                answer = client.pull(subscription=subscription, timeout=_PEEK_PULL_S,
                                     max_messages=min(limit - len(held), EVENTS_PER_CALL))
            except DeadlineExceeded:
                break
            if not answer.received_messages:
                break
            for received in answer.received_messages:
                held.append(received.ack_id)
                found.append(_would(received.message, now_s))
    finally:
        for start in range(0, len(held), EVENTS_PER_CALL):
            client.modify_ack_deadline(subscription=subscription, ack_ids=held[start:start + EVENTS_PER_CALL],
                                       ack_deadline_seconds=0)
        client.close()
    return found


def _would(message: Any, now_s: float) -> Replayed:
    """What draining one dead-lettered message would do with it: send it, or fail it and why."""
    try:
        queued = decode(message.data)
    except ValueError as exc:
        return Replayed(str(message.attributes.get("event_id", "")), None, "would fail",
                        f"poison Pub/Sub message: {exc}")
    event_id, name = str(queued.item.payload.get("event_id")), queued.item.payload.get("event_name")
    if now_s - queued.accepted_at > MAX_EVENT_AGE_S:
        return Replayed(event_id, name, "would fail", "accepted more than Pinterest's 7 days ago")
    return Replayed(event_id, name, "would send", "from the dead-letter subscription")


def _report(args: argparse.Namespace, settings: Settings, store: LogStore, now: datetime) -> int:
    if args.ad_account is not None and not is_ad_account_id(args.ad_account):
        raise ValueError(f"--ad-account {args.ad_account!r}: an ad account id is {AD_ACCOUNT_ID_RULE}")
    found = figures(store.delivered(LogQuery(parse_since(args.since, now), ad_account_id=args.ad_account)))
    if args.json:
        print(json.dumps({"since": args.since, "findings": [finding.text for finding in findings(found)],
                          "figures": [asdict(f) for f in found]}, separators=(",", ":")))
    else:
        print(render(found, args.since))
    return 0


def _drain(args: argparse.Namespace, settings: Settings, store: LogStore, now: datetime) -> int:
    """Runs of PUBSUB_DRAIN_BUDGET_S each; with --once one run, ended early once the subscription is empty.

    Ctrl-C or SIGTERM ends it after the round under way: its calls' outcomes are acked and logged,
    so the rows say what Pinterest got; what was not pulled yet stays in the subscription.
    """
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    left = args.max_events
    while not stop.is_set():
        summary = run_drain(settings, max_events=left, stopping=stop.is_set)
        print(json.dumps(asdict(summary), separators=(",", ":")), flush=True)
        if left is not None:
            left -= summary.pulled
        if args.once or (left is not None and left <= 0):
            return _FAILED if summary.failed else 0
        if not summary.pulled:
            stop.wait(1.0)
    return 0


def _probe(args: argparse.Namespace, settings: Settings, store: LogStore, now: datetime) -> int:
    """What the scheduled probe does, on demand: one JSON result per account; 1 when any failed."""
    configured = probe_accounts(settings)
    if not settings.ad_account_id:
        raise ConfigError("PINTEREST_AD_ACCOUNT_ID is required to probe")
    if args.ad_account is not None and args.ad_account not in configured:
        raise ValueError(f"--ad-account {args.ad_account!r} is not one of the configured ad accounts")
    results = run_probes(settings, (args.ad_account,) if args.ad_account else configured, console=sys.stderr)
    for result in results:
        print(json.dumps(asdict(result), separators=(",", ":")))
    return 0 if all(result.passed for result in results) else _FAILED


def dev_settings(environ: Mapping[str, str], path: Path = DEV_SETTINGS) -> Mapping[str, str]:
    """The settings of the last `make dev` when the environment sets none of the function's own.

    All or nothing: a shell configured for a deployment never borrows the sandbox's URL or token, and
    a bare shell in the checkout replays to the same sandbox, account and log file `make dev` used.
    """
    if any(environ.get(name, "").strip() for name in variables()) or not path.is_file():
        return environ
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 1 and "=" in words[0]:
            name, _, value = words[0].partition("=")
            found[name] = value
    print(f"python -m function: the settings of `make dev`, from {path}", file=sys.stderr)
    return {**environ, **{name: value for name, value in found.items() if name in variables()}}


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m function", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)
    logs = commands.add_parser("logs", help="recent rows of the log table (BigQuery or the SQLite file)")
    logs.add_argument("--since", default="1d", help="how far back: 30m, 1h, 2d, 1w (default 1d)")
    logs.add_argument("--event-id")
    logs.add_argument("--outcome", choices=JOURNALED)
    logs.add_argument("--event-name", help="Pinterest event name, e.g. checkout")
    logs.add_argument("--limit", type=int, default=50)
    logs.add_argument("--json", action="store_true", help="one JSON row per line")
    logs.set_defaults(run=_logs)
    replay = commands.add_parser("replay", help="send events whose last outcome is failed or dropped again")
    replay.add_argument("--since", help=f"how far back (default {_REPLAY_SINCE}, Pinterest's window)")
    replay.add_argument("--event-id")
    replay.add_argument("--dead-letters", action="store_true",
                        help="send what PUBSUB_DEAD_LETTER_SUBSCRIPTION holds instead of the logged failures")
    replay.add_argument("--dry-run", action="store_true", help="list what would be sent; send nothing")
    replay.add_argument("--limit", type=int, default=1000, help="events at most (default 1000)")
    replay.add_argument("--json", action="store_true", help="one JSON result per line")
    replay.set_defaults(run=_replay)
    report = commands.add_parser("report", help="match quality of delivered events, per ad account and name")
    report.add_argument("--since", default="7d", help="how far back (default 7d)")
    report.add_argument("--ad-account", help="one ad account id (default: every account in the log)")
    report.add_argument("--json", action="store_true", help="one JSON object: findings and figures")
    report.set_defaults(run=_report)
    drain = commands.add_parser("drain", help="deliver what pubsub delivery queued (PUBSUB_SUBSCRIPTION)")
    drain.add_argument("--once", action="store_true", help="one run: until the subscription is empty or "
                       "PUBSUB_DRAIN_BUDGET_S is spent (default: run until interrupted)")
    drain.add_argument("--max-events", type=int, help="stop after pulling this many events")
    drain.set_defaults(run=_drain)
    probe = commands.add_parser("probe", help="send a test-mode event (never recorded by Pinterest) per ad "
                                "account with the deployed token; its rows have outcome probe")
    probe.add_argument("--ad-account", help="one configured ad account id (default: all of them)")
    probe.set_defaults(run=_probe)
    return main


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None,
         now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env(dev_settings(os.environ) if environ is None else environ,
                                     require_account=False)
        store = open_store(settings)
        if store is None:
            raise ConfigError("no log store: LOG_SQLITE_PATH is none and LOG_BIGQUERY_TABLE is unset")
        code: int = args.run(args, settings, store, now())
        return code
    except (ConfigError, StoreUnavailable, ValueError) as exc:
        print(f"python -m function {args.command}: {exc}", file=sys.stderr)
        return _UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
