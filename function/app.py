"""Wires the gateway from the environment: settings, Pinterest client, token, delivery, journal.

It also registers the instance's one shutdown hook (`shut_down` below), whose body states the order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from function.credentials.callers import caller_check
from function.credentials.secret_manager import SecretManager
from function.credentials.tokens import token_provider
from function.delivery.deliverer import Deliverer
from function.delivery.optimistic import BackgroundSender
from function.delivery.pinterest import PinterestClient
from function.logs.console import ConsoleLog
from function.logs.journal import ConsoleJournal, Journal, Journals
from function.logs.table_journal import TableJournal, table_journal
from function.process_thread import on_shutdown
from function.settings import Settings
from function.web.handler import Gateway

# functions-framework's default request threads per CPU when THREADS is unset.
_THREADS_PER_CPU = 4
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
    # One pooled connection per request thread, plus one per sending lane (one per allowed account).
    lanes = len({settings.ad_account_id, *settings.ad_account_ids})
    deliverer = build_deliverer(settings, log, journal, secrets, pool_size=threads + lanes)
    background = BackgroundSender(deliverer, journal, batch_max=settings.batch_max,
                                  batch_wait_s=settings.batch_wait_ms / 1000, queue_max=settings.queue_max,
                                  queue_max_bytes=settings.queue_max_bytes)
    on_shutdown(shutdown_hook(deliverer, background, rows, settings.shutdown_budget_s),
                settings.shutdown_budget_s)
    return Gateway(settings, deliverer, background, journal, log, caller_check(settings, secrets, log))


def shutdown_hook(deliverer: Deliverer, background: BackgroundSender, rows: TableJournal,
                  budget_s: float) -> Callable[[float], None]:
    """What the instance does from SIGTERM on, in this order, all within the budget."""

    def shut_down(started: float) -> None:
        deliveries_end = started + budget_s * _DELIVERY_SHARE
        deliverer.stop_by(deliveries_end)  # awaited requests in flight: their calls end by then
        background.close(deliveries_end)  # no new optimistic work; deliver the queue or drop it on record
        deliverer.wait_idle(deliveries_end)  # the awaited requests have journaled their outcome
        rows.close(started + budget_s)  # then the log rows, the dropped ones included

    return shut_down


def build_deliverer(settings: Settings, log: ConsoleLog, journal: Journal, secrets: SecretManager, *,
                    pool_size: int) -> Deliverer:
    """The Pinterest client, token and delivery engine, as the function and `replay` use them."""
    client = PinterestClient(settings.api_url, settings.timeout_s, pool_size=pool_size)
    tokens = token_provider(settings, secrets, log)
    return Deliverer(client, tokens, journal, log, settings.max_attempts)
