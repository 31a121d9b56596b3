"""Wires the gateway from the environment: settings, Pinterest client, token, delivery, journal."""

from __future__ import annotations

import os
from collections.abc import Mapping

from function.auth import caller_check
from function.background import BackgroundSender
from function.console_log import ConsoleLog
from function.delivery import Deliverer
from function.handler import Gateway
from function.journal import ConsoleJournal, Journal, Journals
from function.log_journal import table_journal
from function.pinterest import PinterestClient
from function.secret_manager import SecretManager
from function.settings import Settings
from function.token_cache import token_provider

# functions-framework's default request threads per CPU when THREADS is unset.
_THREADS_PER_CPU = 4


def create_gateway(environ: Mapping[str, str]) -> Gateway:
    """Reads the settings once per instance; a bad setting stops the start-up by name."""
    settings = Settings.from_env(environ)
    log = ConsoleLog(settings.log_console, settings.project)
    # Built before any request, so its exit hook runs after the sender's (see log_writer.py).
    journal = Journals(ConsoleJournal(log), table_journal(settings, log))
    threads = settings.threads or (os.cpu_count() or 1) * _THREADS_PER_CPU
    secrets = SecretManager(settings.secret_manager_endpoint or "")  # one client for token and keys
    # One pooled connection per request thread, plus one for the background sender.
    deliverer = build_deliverer(settings, log, journal, secrets, pool_size=threads + 1)
    background = BackgroundSender(deliverer, journal, batch_max=settings.batch_max,
                                  batch_wait_s=settings.batch_wait_ms / 1000, queue_max=settings.queue_max)
    return Gateway(settings, deliverer, background, journal, log, caller_check(settings, secrets, log))


def build_deliverer(settings: Settings, log: ConsoleLog, journal: Journal, secrets: SecretManager, *,
                    pool_size: int) -> Deliverer:
    """The Pinterest client, token and delivery engine, as the function and `replay` use them."""
    client = PinterestClient(settings.api_url, settings.timeout_s, pool_size=pool_size)
    tokens = token_provider(settings, secrets, log)
    return Deliverer(client, tokens, journal, log, settings.max_attempts)
