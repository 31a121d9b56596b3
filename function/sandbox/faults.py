"""Fault injection: which failure, if any, the next Conversions API call suffers.

A configuration is a JSON object (all keys optional):

    {"probability": 0.2, "kinds": ["429", "503"], "retry_after": 1, "latency_ms": 0,
     "timeout_s": 30, "seed": 1, "script": ["503", "503", "200"], "ad_accounts": ["549000000001"]}

The script is consumed one entry per call ("200" = behave normally) and wins while it lasts;
afterwards each call draws a kind from `kinds` with `probability`. With `ad_accounts`, only
calls for those ad accounts suffer faults (Pinterest rate-limits per account); others pass.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

# What each fault kind does to a call; the HTTP layer acts on these names.
FAULT_KINDS = {
    "401": "answer 401 as if the token had been revoked",
    "429": "answer 429 with a Retry-After header (retry_after seconds)",
    "500": "answer 500",
    "503": "answer 503",
    "slow": "sleep latency_ms, then answer normally",
    "timeout": "sleep timeout_s so the client's read times out, then close without answering",
    "drop": "close the connection without answering",
    "partial": "answer 200 with the batch's last event failed and not recorded",
    "partial422": "answer 422 with the batch's last event failed and not recorded",
}

# A script entry that lets the call through untouched.
NO_FAULT = "200"

_KEYS = frozenset({"probability", "kinds", "script", "retry_after", "latency_ms", "timeout_s", "seed",
                   "ad_accounts"})


@dataclass(frozen=True)
class FaultConfig:
    """A validated fault configuration; the default injects nothing."""

    probability: float = 0.0
    kinds: tuple[str, ...] = ()
    script: tuple[str, ...] = ()
    retry_after: int = 1
    latency_ms: int = 0
    timeout_s: float = 30.0
    seed: int | None = None
    ad_accounts: tuple[str, ...] = ()


def _number(raw: Mapping[str, object], key: str, default: float, *, integer: bool) -> float:
    """A non-negative number (an integer where `integer`), or the default when absent."""
    value = raw.get(key, default)
    allowed = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, allowed) or value < 0:
        kind = "integer" if integer else "number"
        raise ValueError(f"{key} must be a non-negative {kind}")
    return value


def _kinds(raw: Mapping[str, object], key: str, allowed: frozenset[str]) -> tuple[str, ...]:
    """A list of known fault kinds."""
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
        raise ValueError(f"{key} must be an array of strings")
    unknown = [kind for kind in value if kind not in allowed]
    if unknown:
        raise ValueError(f"{key}[{value.index(unknown[0])}] must be one of: {', '.join(sorted(allowed))}")
    return tuple(value)


def parse_fault_config(raw: object) -> FaultConfig:
    """Validate a configuration from JSON, CLI flags or the environment; ValueError says what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("the fault configuration must be a JSON object")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ValueError(f"{unknown[0]} is not a fault setting (known: {', '.join(sorted(_KEYS))})")
    probability = _number(raw, "probability", 0.0, integer=False)
    if probability > 1:
        raise ValueError("probability must be between 0 and 1")
    kinds = _kinds(raw, "kinds", frozenset(FAULT_KINDS))
    if probability > 0 and not kinds:
        raise ValueError("kinds must name at least one fault when probability is above 0")
    accounts = raw.get("ad_accounts", [])
    if not isinstance(accounts, list) or not all(isinstance(account, str) for account in accounts):
        raise ValueError("ad_accounts must be an array of strings")
    seed = raw.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError("seed must be an integer or null")
    return FaultConfig(
        probability=float(probability),
        kinds=kinds,
        script=_kinds(raw, "script", frozenset(FAULT_KINDS) | {NO_FAULT}),
        retry_after=int(_number(raw, "retry_after", 1, integer=True)),
        latency_ms=int(_number(raw, "latency_ms", 0, integer=True)),
        timeout_s=float(_number(raw, "timeout_s", 30.0, integer=False)),
        seed=seed,
        ad_accounts=tuple(accounts),
    )


@dataclass(frozen=True)
class Fault:
    """One injected fault, with the configuration it was drawn under (it may change meanwhile)."""

    kind: str
    config: FaultConfig


@dataclass
class FaultPlan:
    """The live configuration plus what is left of its script; safe to share between threads."""

    config: FaultConfig = field(default_factory=FaultConfig)
    _remaining: list[str] = field(init=False, default_factory=list)
    _random: random.Random = field(init=False, default_factory=random.Random)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        """Start with the given configuration's script and seed."""
        self.configure(self.config)

    def configure(self, config: FaultConfig) -> None:
        """Replace the configuration; the script and the random sequence start over."""
        with self._lock:
            self.config = config
            self._remaining = list(config.script)
            self._random = random.Random(config.seed)  # noqa: S311 - chaos testing, not cryptography

    def clear(self) -> None:
        """Back to injecting nothing."""
        self.configure(FaultConfig())

    def draw(self, ad_account_id: str | None = None) -> Fault | None:
        """The fault for the next call (for `ad_account_id`), or None to behave normally."""
        with self._lock:
            config = self.config
            if config.ad_accounts and ad_account_id not in config.ad_accounts:
                return None
            if self._remaining:
                kind = self._remaining.pop(0)
                return None if kind == NO_FAULT else Fault(kind, config)
            if config.probability > 0 and self._random.random() < config.probability:
                return Fault(self._random.choice(config.kinds), config)
            return None

    def describe(self) -> dict[str, object]:
        """The configuration as JSON, with the part of the script not yet consumed."""
        with self._lock:
            view = asdict(self.config)
            view["kinds"] = list(self.config.kinds)
            view["script"] = list(self._remaining)
            view["ad_accounts"] = list(self.config.ad_accounts)
            return view
