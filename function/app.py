"""Wires the gateway from the environment: settings, Pinterest client, token, sender, log."""

from __future__ import annotations

from collections.abc import Mapping

from function.console_log import ConsoleLog
from function.delivery import AwaitedSender
from function.handler import Gateway
from function.pinterest import PinterestClient
from function.settings import Settings
from function.tokens import StaticToken


def create_gateway(environ: Mapping[str, str]) -> Gateway:
    """Reads the settings once per instance; a bad setting stops the start-up by name."""
    settings = Settings.from_env(environ)
    client = PinterestClient(settings.api_url, settings.timeout_s)
    sender = AwaitedSender(client, StaticToken(settings.access_token))
    return Gateway(settings, sender, ConsoleLog(settings.log_console, settings.project))
