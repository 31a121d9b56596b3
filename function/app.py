"""Wires the gateway from the environment: settings, token, caller check, delivery, journal and log store.

It also registers the instance's one shutdown hook (`shut_down` below), whose body states the order.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TextIO

from function.credentials.cache import SecretCache
from function.credentials.callers import (
    ApiKeys,
    CallerCheck,
    PlatformChecked,
    Unconfigured,
    keys_from_payload,
)
from function.credentials.secret_manager import SecretManager, SecretReader
from function.credentials.tokens import SecretManagerToken, StaticToken, TokenProvider
from function.delivery.awaited import Awaited
from function.delivery.base import Delivery
from function.delivery.deliverer import Deliverer
from function.delivery.modes import ByMode
from function.delivery.optimistic import BackgroundSender
from function.delivery.pinterest import PinterestClient
from function.errors import ConfigError
from function.logs.console import ConsoleLog
from function.logs.journal import ConsoleJournal, Journal, Journals
from function.logs.rows import InstanceFacts
from function.logs.sqlite import SqliteStore
from function.logs.store import LogStore
from function.logs.table_journal import TableJournal
from function.logs.writer import LogWriter
from function.pipeline import options as request_options
from function.pipeline.build import Context
from function.pipeline.options import AccountAllowlist, DeliveryMode
from function.process_thread import on_shutdown
from function.settings import Settings
from function.web.handler import Gateway

# What only some instances run (a pubsub topic or stream, the drain, the probe, BigQuery as the log
# store) is imported where it is first used: a cold start is a tag waiting (bench/RESULTS.md).
if TYPE_CHECKING:
    from function.delivery.drain import Drainer, Stream, Summary
    from function.delivery.probe import ProbeResult

# Seconds a drain or probe run may take, after its calls, to write its log rows.
_RUN_ROWS_S = 10.0

# functions-framework's default request threads per CPU when THREADS is unset.
_THREADS_PER_CPU = 4
# Awaited calls under way at once per request thread: the one its request waits for, and one left
# going on after its caller was answered at the deadline (awaited.py); beyond, batches are handed off.
_CALLS_PER_THREAD = 2
# The part of the shutdown budget for deliveries; the rest is for writing their log rows.
_DELIVERY_SHARE = 0.8


def create_gateway(environ: Mapping[str, str]) -> Gateway:
    """Reads the settings once per instance; a bad setting stops the start-up by name."""
    settings = Settings.from_env(environ)
    log = ConsoleLog(settings.log_console, settings.project)
    rows = table_journal(settings, log)
    journal = Journals(ConsoleJournal(log), rows)
    threads = settings.threads or (os.cpu_count() or 1) * _THREADS_PER_CPU
    secrets = SecretManager(settings.secret_manager_endpoint or "")  # one client for token and keys
    # One pooled connection per awaited call slot, plus one per sending lane (one per allowed account):
    # Awaited makes no more calls at once than its slots, so continuing calls cannot exhaust the pool.
    lanes = len({settings.ad_account_id, *settings.ad_account_ids})
    calls = threads * _CALLS_PER_THREAD
    deliverer = build_deliverer(settings, log, journal, secrets, pool_size=calls + lanes)
    delivery = build_delivery(settings, deliverer, journal, max_calls=calls)
    stream = streaming_drain(settings, log, journal, secrets) if settings.pubsub_stream else None
    on_shutdown(shutdown_hook(delivery, rows, settings.shutdown_budget_s, stream), settings.shutdown_budget_s)
    return Gateway(settings, delivery, journal, log, caller_check(settings, secrets, log))


def build_delivery(settings: Settings, deliverer: Deliverer, journal: Journal, *, max_calls: int) -> ByMode:
    """Awaited delivery, and one entry per background mode a request may choose with pinterest.delivery
    (pubsub when PUBSUB_TOPIC is set); awaited events whose retries do not fit in the deadline go on
    in the optimistic sender, as do those beyond `max_calls` awaited calls under way, but never those
    pubsub declined (durable: memory cannot keep its promise)."""
    optimistic = BackgroundSender(deliverer, journal, batch_max=settings.batch_max,
                                  batch_wait_s=settings.batch_wait_ms / 1000, queue_max=settings.queue_max,
                                  queue_max_bytes=settings.queue_max_bytes)
    background: dict[str, Delivery] = {DeliveryMode.OPTIMISTIC: optimistic}
    if settings.pubsub_topic:
        from function.delivery.pubsub import Publisher, publisher_client

        background[DeliveryMode.PUBSUB] = Publisher(
            settings.pubsub_topic, client=lambda: publisher_client(settings.pubsub_emulator_host),
            timeout_s=settings.pubsub_publish_timeout_s)
    awaited = Awaited(deliverer, settings.await_deadline_s, hand_off=optimistic.take_over,
                      max_calls=max_calls)
    return ByMode(awaited, background, durable={DeliveryMode.PUBSUB})


def shutdown_hook(delivery: Delivery, rows: TableJournal, budget_s: float,
                  stream: Stream | None = None) -> Callable[[float], None]:
    """What the instance does from SIGTERM on, in this order, all within the budget."""

    def shut_down(started: float) -> None:
        deliveries_end = started + budget_s * _DELIVERY_SHARE
        if stream is not None:  # first: pull no more; the batch it sends ends by then
            stream.stop(deliveries_end)
        delivery.close(deliveries_end)  # every event delivered, in Pub/Sub, or dropped on record
        if stream is not None:  # what it has not delivered by then, Pub/Sub delivers again
            stream.close(deliveries_end)  # wait for its batch; nack the rest (failed at the last delivery)
        rows.close(started + budget_s)  # then the log rows, the dropped ones included

    return shut_down


def build_deliverer(settings: Settings, log: ConsoleLog, journal: Journal, secrets: SecretManager, *,
                    pool_size: int, retry_later: bool = False) -> Deliverer:
    """The Pinterest client, token and delivery engine, as the function, the drain and `replay` use them."""
    client = PinterestClient(settings.api_url, settings.timeout_s, pool_size=pool_size)
    tokens = token_provider(settings, secrets, log)
    return Deliverer(client, tokens, journal, log, settings.max_attempts, retry_later=retry_later)


def build_drainer(settings: Settings, log: ConsoleLog, journal: Journal, secrets: SecretManager, *,
                  retry_window_s: float | None = None) -> Drainer:
    """The consumer of pubsub delivery; Pub/Sub's redelivery, not the deliverer, makes later attempts."""
    from function.delivery.drain import Drainer

    deliverer = build_deliverer(settings, log, journal, secrets, pool_size=1, retry_later=True)
    allowed = AccountAllowlist(settings.ad_account_id, settings.ad_account_ids).allows
    return Drainer(deliverer, journal, retry_window_s=retry_window_s or settings.pubsub_retry_window_s,
                   allowed=allowed, max_delivery_attempts=settings.pubsub_max_delivery_attempts)


def streaming_drain(settings: Settings, log: ConsoleLog, journal: Journal, secrets: SecretManager) -> Stream:
    """PUBSUB_STREAM: a streaming pull in each serving process (gunicorn forks it), started after the fork."""
    from function.delivery.drain import Stream, subscriber_client

    stream = Stream(lambda: subscriber_client(settings.pubsub_emulator_host), settings.pubsub_subscription,
                    build_drainer(settings, log, journal, secrets), log, wait_s=settings.batch_wait_ms / 1000)
    os.register_at_fork(after_in_child=lambda: threading.Thread(target=stream.start, daemon=True).start())
    return stream


def run_drain(settings: Settings, *, subscription: str | None = None, budget_s: float | None = None,
              max_events: int | None = None, retry_window_s: float | None = None,
              stopping: Callable[[], bool] = lambda: False) -> Summary:
    """One drain run: the scheduled function, `python -m function drain` and `replay`'s dead letters.

    Its log rows are written before it returns, while a request-billed function still has its CPU.
    """
    from function.delivery.drain import drain, subscriber_client

    name = subscription or settings.pubsub_subscription
    if not name:
        raise ConfigError("PUBSUB_SUBSCRIPTION is required to drain")
    log = ConsoleLog(settings.log_console, settings.project)
    rows = table_journal(settings, log)
    secrets = SecretManager(settings.secret_manager_endpoint or "")
    drainer = build_drainer(settings, log, Journals(ConsoleJournal(log), rows), secrets,
                            retry_window_s=retry_window_s)
    client = subscriber_client(settings.pubsub_emulator_host)
    budget = settings.pubsub_drain_budget_s if budget_s is None else budget_s
    try:
        return drain(client, name, drainer, budget_s=budget, max_events=max_events, stopping=stopping)
    finally:
        client.close()
        rows.close(time.monotonic() + _RUN_ROWS_S)


def probe_accounts(settings: Settings) -> tuple[str, ...]:
    """The ad accounts a probe may test: the deployment's own, then PINTEREST_AD_ACCOUNT_IDS, each once."""
    return tuple(dict.fromkeys((settings.ad_account_id, *settings.ad_account_ids)))


def run_probes(settings: Settings, accounts: tuple[str, ...],
               console: TextIO | None = None) -> list[ProbeResult]:
    """The scheduled probe and `python -m function probe`: one test-mode event per account, within the
    awaited deadline each, its rows written before it returns; its lines on `console` (default stdout)."""
    from function.delivery.probe import ProbeJournal, run_probe

    log = ConsoleLog(settings.log_console, settings.project, stream=console)
    rows = table_journal(settings, log)
    journal = Journals(ConsoleJournal(log), rows)
    secrets = SecretManager(settings.secret_manager_endpoint or "")
    deliverer = build_deliverer(settings, log, ProbeJournal(journal), secrets, pool_size=1)

    def context(options: request_options.Options) -> Context:
        # No consent applies: the probe's event is about no person.
        return Context(options=options, now=int(time.time()), new_event_id=lambda: str(uuid.uuid4()),
                       partner_name=settings.partner_name,
                       default_phone_country=settings.default_phone_country)

    try:
        return [run_probe(account, deliverer, journal, log,
                          new_event_id=lambda: str(uuid.uuid4()), deadline_s=settings.await_deadline_s,
                          context=context) for account in accounts]
    finally:
        rows.close(time.monotonic() + _RUN_ROWS_S)


def open_store(settings: Settings) -> LogStore | None:
    """BigQuery when LOG_BIGQUERY_TABLE is set, else the SQLite file; None when LOG_SQLITE_PATH=none."""
    if settings.log_bigquery_table:
        from function.logs.bigquery import BigQueryStore

        return BigQueryStore(settings.log_bigquery_table, settings.bigquery_api_endpoint)
    if settings.log_sqlite_path:
        return SqliteStore(settings.log_sqlite_path)
    return None


def table_journal(settings: Settings, log: ConsoleLog) -> TableJournal:
    """The journal of the configured store, its writer sized by LOG_BIGQUERY_BATCH_MAX/_FLUSH_MS."""
    store = open_store(settings)
    writer = None if store is None else LogWriter(
        store, log, batch_max=settings.log_batch_max, flush_s=settings.log_flush_ms / 1000)
    return TableJournal(writer, InstanceFacts(settings.platform_revision), log)


def token_provider(settings: Settings, secrets: SecretReader, log: ConsoleLog) -> TokenProvider:
    """The secret when set (it wins), else the plain variable, which draws a warning on the platform."""
    if settings.access_token_secret:
        return SecretManagerToken(secrets, settings.access_token_secret, settings.token_ttl_s, log)
    if settings.access_token and settings.platform_service:
        log.write("WARNING", "PINTEREST_ACCESS_TOKEN is set in the environment of a deployed function, "
                  "where anyone who can view the configuration can read it; keep the token in Secret "
                  "Manager and set PINTEREST_ACCESS_TOKEN_SECRET instead")
    return StaticToken(settings.access_token)


def caller_check(settings: Settings, secrets: SecretReader, log: ConsoleLog, *,
                 clock: Callable[[], float] = time.monotonic) -> CallerCheck:
    """What GATEWAY_AUTH asks for; with keys, the secret wins over the plain variable."""
    if settings.auth == "none" and settings.platform_service:
        log.write("WARNING", "GATEWAY_AUTH=none on a deployed function: anyone who finds its URL can send "
                  "events; set GATEWAY_API_KEYS_SECRET, or GATEWAY_AUTH=iam on a private function")
    if settings.auth == "iam" and settings.platform_service:
        log.write("WARNING", "GATEWAY_AUTH=iam: the function checks no caller itself and relies on Cloud "
                  "Run's invoker check; make sure allUsers is not an invoker of this service")
    if settings.auth != "keys":
        return PlatformChecked()
    name = settings.api_keys_secret
    if name:
        cache: SecretCache[tuple[str, ...]] = SecretCache(
            lambda n: keys_from_payload(secrets.access(n), n), settings.token_ttl_s, log,
            connect=secrets.connect, clock=clock)
        return ApiKeys(lambda: cache.get(name))
    if settings.api_keys:
        return ApiKeys(lambda: settings.api_keys)
    return Unconfigured()
