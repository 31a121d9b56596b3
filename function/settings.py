"""Deployment settings: every environment variable the function reads, declared once.

Each field of `Settings` names its variable, parser, default and documentation side by
side; `from_env` is the only place that reads the environment, and the README
configuration table is checked against `SETTINGS_DOC`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from function.errors import ConfigError, GatewayError
from function.identifiers import API_KEY_MIN_CHARS, api_keys, parse_one_secret_name, parse_secret_name
from function.limits import AD_ACCOUNT_ID_RULE, EVENTS_PER_CALL, MAX_EVENT_AGE_S, is_ad_account_id
from function.pipeline import event_names
from function.pipeline.coerce import choice, switch
from function.pipeline.options import (
    ACTION_SOURCES,
    CONSENT_MODES,
    DELIVERY_MODES,
    EVENT_NAME_SETUPS,
    DeliveryMode,
)

LOG_CONSOLE_MODES = ("no", "debug", "always")
AUTH_MODES = ("keys", "iam", "none")
# Values of LOG_SQLITE_PATH that switch the local store off.
_SQLITE_OFF = frozenset({"none", "off"})
# project.dataset.table; a domain-scoped project ("example.com:proj") may hold dots, the others may not.
_TABLE_ID = re.compile(r"[a-z0-9][a-z0-9.:-]{0,99}\.[A-Za-z0-9_]{1,1024}\.[A-Za-z0-9_-]{1,1024}")


def parse_ad_account_id(value: str) -> str:
    """An ad account id as limits.py spells the rule: 1-18 digits."""
    value = value.strip()
    if not is_ad_account_id(value):
        raise ValueError(f"must be {AD_ACCOUNT_ID_RULE}")
    return value


def parse_ad_account_ids(value: str) -> tuple[str, ...]:
    """Comma-separated ad account ids; blanks and repeats are dropped."""
    ids = parse_list(value)
    if not all(is_ad_account_id(item) for item in ids):
        raise ValueError(f"must be comma-separated ad account ids, each {AD_ACCOUNT_ID_RULE}")
    return ids


def parse_list(value: str) -> tuple[str, ...]:
    """Comma-separated items, trimmed, in order; blanks and repeats are dropped."""
    return tuple(dict.fromkeys(item.strip() for item in value.split(",") if item.strip()))


def parse_bool(value: str) -> bool:
    """A switch word (coerce.switch), unset meaning false; anything else is a mistake worth reporting."""
    found = switch(value) if value.strip() else False
    if found is None:
        raise ValueError("must be true or false")
    return found


def parse_url(value: str) -> str:
    """An absolute http(s) URL without a trailing slash: the only host we ever call."""
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http:// or https:// URL")
    if "?" in value or "#" in value or parts.username or parts.password:
        raise ValueError("must not carry a query, fragment or credentials")
    return value


def parse_api_url(value: str) -> str:
    """parse_url, and https: the token travels with every call; plain http only to this machine."""
    value = parse_url(value)
    parts = urlsplit(value)
    if parts.scheme != "https" and not _is_loopback((parts.hostname or "").lower()):
        raise ValueError("must be an https:// URL (plain http:// only to a loopback host)")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_api_keys(value: str) -> tuple[str, ...]:
    """Comma-separated caller keys, checked as api_keys checks them."""
    return api_keys(value.split(","))


def parse_table_id(value: str) -> str:
    """A fully qualified BigQuery table id, as LOG_BIGQUERY_TABLE spells it."""
    value = value.strip()
    if not _TABLE_ID.fullmatch(value):
        raise ValueError("must be project.dataset.table (letters, digits, _; the table may hold -)")
    return value


def parse_path(value: str) -> str:
    """A file path; none (or off) keeps no local rows, spelt as ''."""
    value = value.strip()
    return "" if value.lower() in _SQLITE_OFF else value


def parse_text(value: str) -> str:
    """Free text, trimmed."""
    return value.strip()


def parse_region(value: str) -> str:
    """An ISO-3166 alpha-2 region code, as phonenumbers expects it."""
    value = value.strip().upper()
    if value and not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError("must be a two-letter ISO-3166 country code such as US or GB")
    return value


def parse_seconds(value: str) -> float:
    """A positive, finite number of seconds."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError("must be a positive number of seconds")
    return seconds


def seconds_up_to(high: float) -> Callable[[str], float]:
    """A parser for a positive number of seconds no larger than `high`."""

    def parse(value: str) -> float:
        seconds = parse_seconds(value)
        if seconds > high:
            raise ValueError(f"must be a positive number of seconds up to {high:g}")
        return seconds

    return parse


def pubsub_name(kind: str) -> Callable[[str], str]:
    """A parser for a Pub/Sub resource name, projects/P/<kind>/NAME, as Pub/Sub spells it."""
    pattern = re.compile(rf"projects/[a-z][-a-z0-9.:]{{4,62}}/{kind}/[A-Za-z][-A-Za-z0-9_.~+%]{{2,254}}")

    def parse(value: str) -> str:
        value = value.strip()
        if value and not pattern.fullmatch(value):
            raise ValueError(f"must be projects/PROJECT/{kind}/NAME (a name of 3-255 letters, digits and "
                             "-_.~+%, starting with a letter)")
        return value

    return parse


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """A parser for a whole number in [low, high]."""

    def parse(value: str) -> int:
        text = value.strip()
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return int(text)

    return parse


def setting(env: str, parse: Callable[[str], Any], default: str, doc: str, *, secret: bool = False,
            local: bool = False) -> Any:
    """Declare one setting: its variable, parser, default (as the variable would spell it) and doc.

    `secret` keeps the value out of repr; `local` marks settings for local runs and tests only,
    which a deployment never sets.
    """
    meta = {"env": env, "parse": parse, "default": default, "doc": doc, "secret": secret, "local": local}
    return field(default=parse(default) if default else _empty(parse), metadata=meta, repr=not secret)


def _empty(parse: Callable[[str], Any]) -> Any:
    """The value of an unset optional setting."""
    try:
        return parse("")
    except ValueError:
        return None


@dataclass(frozen=True)
class Settings:
    """The instance-wide defaults; requests may override the per-tag ones."""

    ad_account_id: str = setting(
        "PINTEREST_AD_ACCOUNT_ID", parse_ad_account_id, "",
        "Pinterest ad account that receives the events (1-18 digits). Required.")
    ad_account_ids: tuple[str, ...] = setting(
        "PINTEREST_AD_ACCOUNT_IDS", parse_ad_account_ids, "",
        "Other ad accounts a request may pick with pinterest.ad_account_id (comma-separated digits); "
        "any other is refused with 403. PINTEREST_AD_ACCOUNT_ID is always allowed.")
    access_token: str = setting(
        "PINTEREST_ACCESS_TOKEN", parse_text, "",
        "Pinterest conversion access token, for local use.", secret=True, local=True)
    access_token_secret: str = setting(
        "PINTEREST_ACCESS_TOKEN_SECRET", parse_secret_name, "",
        "Secret Manager secret holding the Pinterest token: projects/P/secrets/S (its latest version) or "
        "projects/P/secrets/S/versions/V; {ad_account_id} in it selects one secret per account. "
        "Wins over PINTEREST_ACCESS_TOKEN.")
    token_ttl_s: float = setting(
        "PINTEREST_TOKEN_TTL_S", parse_seconds, "300",
        "Seconds a secret read from Secret Manager is reused (token and API keys); a 401 from Pinterest "
        "re-reads the token at once, and an outage serves the last value for up to 1 h more.")
    api_url: str = setting(
        "PINTEREST_API_URL", parse_api_url, "https://api.pinterest.com/v5",
        "Base URL of the Pinterest API v5; the only host the function calls. https:// (http:// only to a "
        "loopback host).")
    event_name_setup: str = setting(
        "PINTEREST_EVENT_NAME_SETUP", choice(*EVENT_NAME_SETUPS), "inherit",
        "How the Pinterest event name is chosen: inherit (map the GA4 name), standard or custom.")
    event_name: str = setting(
        "PINTEREST_EVENT_NAME", parse_text, "",
        "The Pinterest event name used when the setup is standard or custom.")
    action_source: str = setting(
        "PINTEREST_ACTION_SOURCE", choice(*ACTION_SOURCES), "web",
        "Where the conversions happen: web, offline, app_ios or app_android.")
    test_mode: bool = setting(
        "PINTEREST_TEST_MODE", parse_bool, "false",
        "Send with ?test=true: Pinterest validates the events but does not record them.")
    consent: str = setting(
        "PINTEREST_CONSENT", choice(*CONSENT_MODES), "optional",
        "required: send only events whose consent grants ad_storage.")
    partner_name: str = setting(
        "PINTEREST_PARTNER_NAME", parse_text, "",
        "partner_name sent with each event; omitted when unset (set it only if you are the partner).")
    default_phone_country: str = setting(
        "PINTEREST_DEFAULT_PHONE_COUNTRY", parse_region, "",
        "Country (ISO-3166 alpha-2) for national phone numbers when the user's country is unknown.")
    timeout_s: float = setting(
        "PINTEREST_TIMEOUT_S", parse_seconds, "10",
        "Read timeout, in seconds, of one call to Pinterest (connect timeout: 3 s).")
    delivery: str = setting(
        "PINTEREST_DELIVERY", choice(*DELIVERY_MODES), DeliveryMode.AWAITED,
        "awaited: answer with Pinterest's result; optimistic: answer 202 at once and send in batches; "
        "pubsub: answer 202 once Pub/Sub holds the events (PUBSUB_TOPIC), delivered by the drain.")
    await_deadline_s: float = setting(
        "PINTEREST_AWAIT_DEADLINE_S", parse_seconds, "2.5",
        "Awaited delivery answers within this many seconds, waits and calls included (2.5: under the 3 s "
        "default timeout of Stape's tag); events whose retries do not fit go on in the background, "
        "answered queued.")
    batch_max: int = setting(
        "PINTEREST_BATCH_MAX", bounded_int(1, EVENTS_PER_CALL), str(EVENTS_PER_CALL),
        "Optimistic delivery sends a batch once it holds this many events (1000: Pinterest's maximum).")
    batch_wait_ms: int = setting(
        "PINTEREST_BATCH_WAIT_MS", bounded_int(0, 60_000), "1000",
        "...or once its oldest event has waited this many milliseconds.")
    max_attempts: int = setting(
        "PINTEREST_MAX_ATTEMPTS", bounded_int(1, 20), "5",
        "Calls per batch at most, retries included (429, 5xx, timeouts and connection errors are retried).")
    queue_max: int = setting(
        "PINTEREST_QUEUE_MAX", bounded_int(1, 1_000_000), "10000",
        "Events the optimistic queue holds at most; beyond it requests fall back to awaited delivery.")
    queue_max_bytes: int = setting(
        "PINTEREST_QUEUE_MAX_BYTES", bounded_int(1, 1 << 40), "33554432",
        "...and bytes, each event counted as its JSON as sent. In memory an event takes 1 to 5 times that "
        "(5 for a typical 1 KB event, 1 for one long URL): 32 MiB stays under 170 MB, within a 512 MiB "
        "instance.")
    pubsub_topic: str = setting(
        "PUBSUB_TOPIC", pubsub_name("topics"), "",
        "Pub/Sub topic (projects/P/topics/T) that pubsub delivery publishes each event to. Required when "
        "PINTEREST_DELIVERY is pubsub; without it a request's pinterest.delivery \"pubsub\" goes awaited.")
    pubsub_subscription: str = setting(
        "PUBSUB_SUBSCRIPTION", pubsub_name("subscriptions"), "",
        "Pub/Sub subscription (projects/P/subscriptions/S) of PUBSUB_TOPIC that the drain delivers from "
        "(main.pinterest_capi_drain, PUBSUB_STREAM, python -m function drain).")
    pubsub_dead_letter_subscription: str = setting(
        "PUBSUB_DEAD_LETTER_SUBSCRIPTION", pubsub_name("subscriptions"), "",
        "Subscription of the dead-letter topic, which `python -m function replay --dead-letters` sends "
        "again.")
    pubsub_retry_window_s: float = setting(
        "PUBSUB_RETRY_WINDOW_S", seconds_up_to(MAX_EVENT_AGE_S), "43200",
        "Seconds from acceptance during which a queued event that Pinterest could not take is retried "
        "(Pub/Sub redelivers it); then it is recorded failed. At most 604800 (Pinterest's 7 days).")
    pubsub_max_delivery_attempts: int = setting(
        "PUBSUB_MAX_DELIVERY_ATTEMPTS", bounded_int(5, 100), "100",
        "The subscription's dead-letter max_delivery_attempts: at its last delivery a queued event the "
        "drain would leave for later is recorded failed (with its payload) and acked, not dead-lettered.")
    pubsub_publish_timeout_s: float = setting(
        "PUBSUB_PUBLISH_TIMEOUT_S", seconds_up_to(10), "3",
        "Seconds a request waits for Pub/Sub to acknowledge its events; past it (or on an error) they are "
        "delivered awaited instead of being answered queued.")
    pubsub_drain_budget_s: float = setting(
        "PUBSUB_DRAIN_BUDGET_S", seconds_up_to(3600), "45",
        "Seconds one scheduled drain run (main.pinterest_capi_drain) pulls and delivers; keep it 15 s under "
        "the drain function's timeout.")
    pubsub_stream: bool = setting(
        "PUBSUB_STREAM", parse_bool, "false",
        "true in a Cloud Run service (CPU always allocated): each instance also drains PUBSUB_SUBSCRIPTION "
        "by streaming pull, so events leave within about a second.")
    pubsub_emulator_host: str = setting(
        "PUBSUB_EMULATOR_HOST", parse_text, "",
        "host:port of the Pub/Sub emulator, reached without credentials, for local runs and tests only.",
        local=True)
    shutdown_budget_s: float = setting(
        "SHUTDOWN_BUDGET_S", seconds_up_to(10), "8",
        "Seconds from SIGTERM by which every queued event is delivered or recorded as dropped (the first "
        "80 %) and the log rows are written (the rest); Cloud Run kills the instance 10 s after SIGTERM.")
    threads: int | None = setting(
        "THREADS", bounded_int(1, 1000), "",
        "Request threads per instance (functions-framework's own setting); sizes the connection pool. "
        "Default: 4 per CPU, as functions-framework.")
    body_timeout_s: float = setting(
        "GATEWAY_BODY_TIMEOUT_S", parse_seconds, "5",
        "Seconds a caller has to send the request body, from the end of its headers; a slower one gets 408 "
        "and the connection is closed.")
    log_console: str = setting(
        "LOG_CONSOLE", choice(*LOG_CONSOLE_MODES), "debug",
        "Console log: no, debug (only requests with X-Debug: true or pinterest.debug) or always. Every "
        "delivered, failed or dropped event is one line in any mode (the alerts count them).")
    log_bigquery_table: str | None = setting(
        "LOG_BIGQUERY_TABLE", parse_table_id, "",
        "BigQuery table (project.dataset.table) that keeps one row per event per attempt; unset: the "
        "SQLite file LOG_SQLITE_PATH keeps them.")
    log_batch_max: int = setting(
        "LOG_BIGQUERY_BATCH_MAX", bounded_int(1, 10_000), "500",
        "Log rows written per insert at most, to BigQuery or SQLite (500: BigQuery's advice per streaming "
        "insert).")
    log_flush_ms: int = setting(
        "LOG_BIGQUERY_FLUSH_MS", bounded_int(1, 60_000), "1000",
        "...or once the oldest queued log row has waited this many milliseconds.")
    log_sqlite_path: str = setting(
        "LOG_SQLITE_PATH", parse_path, ".local/pinterest_capi_log.sqlite3",
        "SQLite file that keeps the log rows when LOG_BIGQUERY_TABLE is unset; none keeps no rows. A "
        "relative path starts at the checkout (the directory holding function/), whatever the current one.")
    bigquery_api_endpoint: str | None = setting(
        "BIGQUERY_API_ENDPOINT", parse_url, "",
        "BigQuery REST endpoint reached without credentials (an emulator), for local runs and tests only.",
        local=True)

    project: str = setting(
        "GOOGLE_CLOUD_PROJECT", parse_text, "",
        "Project id that links console log lines to Cloud Trace; optional.")
    auth: str = setting(
        "GATEWAY_AUTH", choice(*AUTH_MODES), "keys",
        "How callers prove who they are: keys (an API key in Authorization: Bearer or X-Api-Key), iam "
        "(Cloud Run's invoker check on a private function) or none (no check at all; local use only).")
    api_keys_secret: str = setting(
        "GATEWAY_API_KEYS_SECRET", parse_one_secret_name, "",
        "Secret Manager secret holding the callers' API keys, one per line (two during a rotation); each at "
        f"least {API_KEY_MIN_CHARS} visible ASCII characters.")
    api_keys: tuple[str, ...] = setting(
        "GATEWAY_API_KEYS", parse_api_keys, "",
        f"Comma-separated caller API keys, for local use; each at least {API_KEY_MIN_CHARS} visible ASCII "
        "characters.", secret=True, local=True)
    secret_manager_endpoint: str | None = setting(
        "SECRET_MANAGER_API_ENDPOINT", parse_url, "",
        "Secret Manager REST endpoint reached without credentials, for local runs and tests only.",
        local=True)
    platform_service: str = setting(
        "K_SERVICE", parse_text, "",
        "Set by Cloud Run / Cloud Functions, never by hand: marks a deployed instance.", local=True)
    platform_revision: str = setting(
        "K_REVISION", parse_text, "",
        "Set by Cloud Run / Cloud Functions, never by hand: the revision named in each log row.", local=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, require_account: bool = True) -> Settings:
        """Parse every variable, reporting all bad ones at once by name, never by value.

        `require_account=False` is for commands that only read the logs.
        """
        values: dict[str, Any] = {}
        problems: list[str] = []
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is None or raw.strip() == "":
                continue
            try:
                values[f.name] = f.metadata["parse"](raw)
            except ValueError as exc:
                problems.append(f"{f.metadata['env']} {exc}")
        if require_account and "ad_account_id" not in values:
            problems.append("PINTEREST_AD_ACCOUNT_ID is required")
        setup = values.get("event_name_setup", "inherit")
        problems += _event_name_problems(setup, values.get("event_name", ""))
        problems += _pubsub_problems(values)
        if problems:
            raise ConfigError("invalid configuration: " + "; ".join(problems))
        return cls(**values)


def _pubsub_problems(values: Mapping[str, Any]) -> list[str]:
    """What pubsub delivery needs, named before any event is accepted."""
    problems = []
    if values.get("delivery") == DeliveryMode.PUBSUB and not values.get("pubsub_topic"):
        problems.append("PUBSUB_TOPIC is required when PINTEREST_DELIVERY is pubsub")
    if values.get("pubsub_stream") and not values.get("pubsub_subscription"):
        problems.append("PUBSUB_SUBSCRIPTION is required when PUBSUB_STREAM is true")
    return problems


def _event_name_problems(setup: str, name: str) -> list[str]:
    """A standard or custom setup needs a valid PINTEREST_EVENT_NAME, checked before any event arrives."""
    if setup == "inherit":
        return []
    try:
        if setup == "standard":
            event_names.check_standard(name, "PINTEREST_EVENT_NAME")
        else:
            event_names.check_custom(name, "PINTEREST_EVENT_NAME")
    except GatewayError as exc:
        return [f"{exc} when PINTEREST_EVENT_NAME_SETUP is {setup}"]
    return []


def variables() -> list[str]:
    """Every variable the function reads, local-only settings included."""
    return [f.metadata["env"] for f in dataclasses.fields(Settings)]


def deployed_variables() -> list[str]:
    """Every variable a deployment sets (local-only settings left out)."""
    return [f.metadata["env"] for f in dataclasses.fields(Settings) if not f.metadata["local"]]


def settings_doc() -> list[tuple[str, str, str]]:
    """(variable, default, description) rows for the README configuration table."""
    return [
        (f.metadata["env"], f.metadata["default"], f.metadata["doc"])
        for f in dataclasses.fields(Settings)
    ]
