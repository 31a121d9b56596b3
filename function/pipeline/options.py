"""Per-request settings: the deployment defaults, overridden by the event's `pinterest` object.

Also which ad accounts the deployment may send to: the option picks one, the allowlist checks it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from functools import partial
from types import MappingProxyType
from typing import Any, NamedTuple, NoReturn, Protocol

from function import limits
from function.errors import BadRequest, Forbidden
from function.limits import AD_ACCOUNT_ID_RULE, is_ad_account_id
from function.pipeline import coerce
from function.pipeline.fields import FIELDS, OVERRIDE_PREFIX
from function.pipeline.memo import RequestMemo
from function.pipeline.parse import FLAT_PREFIX, RESERVED, quoted
from function.pipeline.paths import EventPath


class DeliveryMode(StrEnum):
    """How an event goes to Pinterest: the words of pinterest.delivery and PINTEREST_DELIVERY, and of
    the log rows' `delivery` column (replay marks its re-sends with its own word)."""

    AWAITED = "awaited"
    OPTIMISTIC = "optimistic"
    PUBSUB = "pubsub"


# The words each deployment-wide option may take; settings.py reads the same vocabularies.
EVENT_NAME_SETUPS = ("inherit", "standard", "custom")
ACTION_SOURCES = ("web", "offline", "app_ios", "app_android")
DELIVERY_MODES = tuple(mode.value for mode in DeliveryMode)
CONSENT_MODES = ("optional", "required")


def _one_of(allowed: tuple[str, ...]) -> Callable[[Any], str]:
    """A text option limited to `allowed`: the deployment setting's rule, for any JSON value."""
    check = coerce.choice(*allowed)
    return lambda value: check(coerce.to_text(value) or "")


def _event_map(value: Any) -> dict[str, str]:
    """GA4 name → Pinterest name, as an object or a JSON string holding one; bounded: read per event."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise ValueError("must be an object of GA4 name to Pinterest name") from None
    if not isinstance(value, Mapping):
        raise ValueError("must be an object of GA4 name to Pinterest name")
    if len(value) > limits.EVENT_MAP_ENTRIES:
        raise ValueError(f"holds {len(value)} entries; at most {limits.EVENT_MAP_ENTRIES} are accepted")
    found = {str(k): text for k, v in value.items() if (text := coerce.to_text(v)) is not None}
    longest = max((len(name) for pair in found.items() for name in pair if name), default=0)
    if longest > limits.EVENT_MAP_NAME_CHARS:
        raise ValueError(f"holds a name of {longest} characters; "
                         f"at most {limits.EVENT_MAP_NAME_CHARS} are accepted")
    return found


def _bounded_text(max_chars: int) -> Callable[[Any], str | None]:
    """Text of at most `max_chars` characters."""

    def parse(value: Any) -> str | None:
        text = coerce.to_text(value)
        if text is not None and len(text) > max_chars:
            raise ValueError(f"holds {len(text)} characters; at most {max_chars} are accepted")
        return text

    return parse


def pixel_tag_id_option(value: object) -> str:
    """pinterest.pixel_tag_id: the Pinterest Tag ID, digits only, so it cannot change the pixel URL."""
    text = coerce.to_text(value) or ""
    if not (text.isascii() and text.isdigit() and len(text) <= limits.PIXEL_TAG_ID_DIGITS):
        raise ValueError(f"must be digits only, {limits.PIXEL_TAG_ID_DIGITS} at most "
                         "(Pinterest Tag IDs look like 26XXXXXXXXXXX)")
    return text


def ad_account_option(value: object) -> str:
    """pinterest.ad_account_id: digits only, so it can never change the URL it is placed in."""
    text = coerce.to_text(value) or ""
    if not is_ad_account_id(text):
        raise ValueError(f"must be {AD_ACCOUNT_ID_RULE}")
    return text


class AccountAllowlist:
    """The deployment's own ad account plus PINTEREST_AD_ACCOUNT_IDS; any other is refused with 403."""

    def __init__(self, default: str, others: Iterable[str] = ()) -> None:
        self._allowed = frozenset({default, *others})

    def allows(self, ad_account_id: str) -> bool:
        return ad_account_id in self._allowed

    def check(self, ad_account_id: str) -> None:
        """'' means the deployment's own account; an id not in the list is refused by name of the rule."""
        if ad_account_id and not self.allows(ad_account_id):
            raise Forbidden("pinterest.ad_account_id is not one of PINTEREST_AD_ACCOUNT_IDS")


class Options(NamedTuple):
    """How one event is named and sent. An event's overrides make a copy (`_replace`): a NamedTuple's
    costs a quarter of a frozen dataclass's (11 K instructions, not 42 K)."""

    event_name_setup: str
    event_name: str
    action_source: str
    test: bool
    delivery: str = DeliveryMode.AWAITED
    event_map: Mapping[str, str] = MappingProxyType({})
    debug: bool = False
    ad_account_id: str = ""  # '' = the deployment's PINTEREST_AD_ACCOUNT_ID
    tag_name: str = ""  # '' = the X-Tag-Name header, if any; only written to the log rows
    consent: str = "optional"  # required: skip without ad_storage, even where the deployment does not
    pixel_tag_id: str = ""  # a Pinterest Tag ID: answer each sent or queued event with its pixel URL
    report_click_id: bool = False  # answer each sent or queued event with the click id it carries


# Option → its parser; each is read from `pinterest.<option>` of the event.
_OPTION_PARSERS: dict[str, Callable[[Any], Any]] = {
    "event_name_setup": _one_of(EVENT_NAME_SETUPS),
    "event_name": _bounded_text(limits.CUSTOM_EVENT_NAME_CHARS),
    "action_source": _one_of(ACTION_SOURCES),
    "test": coerce.to_bool,
    "delivery": _one_of(DELIVERY_MODES),
    "event_map": _event_map,
    "debug": coerce.to_bool,
    "ad_account_id": ad_account_option,
    "tag_name": _bounded_text(limits.TAG_NAME_CHARS),
    "consent": _one_of(CONSENT_MODES),
    "pixel_tag_id": pixel_tag_id_option,
    "report_click_id": coerce.to_bool,
}
_OPTION_PATHS = {name: EventPath(f"{RESERVED}.{name}") for name in _OPTION_PARSERS}
# The options as Stape's "flatten keys" writes them at the top of the event (pinterest_test).
_FLAT_OPTIONS = frozenset(path.flat for path in _OPTION_PATHS.values())

# The names a `pinterest` object may hold, from the two tables that read them: each option
# (None: any value) and each override section (the field table's keys of that section).
_SECTION_KEYS = {prefix[len(RESERVED) + 1:-1]: frozenset(row.key for row in FIELDS if row.section == section)
                 for section, prefix in OVERRIDE_PREFIX.items()}
_NAMES: dict[str, frozenset[str] | None] = {**dict.fromkeys(_OPTION_PARSERS), **_SECTION_KEYS}
# The same names as Stape's "flatten keys" writes them at the top of the event (pinterest_user_data_em).
_FLAT_NAMES = _FLAT_OPTIONS | {row.override.flat for row in FIELDS}


class Deployment(Protocol):
    """What `defaults` reads of the deployment's settings (settings.Settings has it)."""

    @property
    def event_name_setup(self) -> str: ...
    @property
    def event_name(self) -> str: ...
    @property
    def action_source(self) -> str: ...
    @property
    def test_mode(self) -> bool: ...
    @property
    def delivery(self) -> str: ...


def defaults(deployment: Deployment) -> Options:
    """The deployment's options, before any request override."""
    return Options(
        event_name_setup=deployment.event_name_setup,
        event_name=deployment.event_name,
        action_source=deployment.action_source,
        test=deployment.test_mode,
        delivery=deployment.delivery,
    )


def resolve(base: Options, event: Mapping[str, Any], memo: RequestMemo | None = None) -> Options:
    """Apply the event's overrides; a bad one is a 400 naming its path. Shared ones: parsed once per memo."""
    memo = memo or RequestMemo()
    refuse_unknown_names(event)
    changes = {}
    for name in _named(event):
        path = _OPTION_PATHS[name]
        value = path.read(event)
        if coerce.is_empty(value):
            continue
        try:
            changes[name] = memo.get(path.dotted, value, partial(_OPTION_PARSERS[name], value))
        except ValueError as exc:
            raise BadRequest(f"{path.dotted} {exc}") from None
    return base._replace(**changes) if changes else base


def _named(event: Mapping[str, Any]) -> Iterable[str]:
    """The options the event may set: those its `pinterest` object names, and flattened ones.

    Most events set none, and then no option path is read.
    """
    reserved = event.get(RESERVED)
    if reserved is None and _FLAT_OPTIONS.isdisjoint(event):  # one set operation for the usual event
        return ()
    if reserved is not None and not isinstance(reserved, dict):
        return _OPTION_PARSERS  # an unusual shape: every path is read, as always
    return [name for name, path in _OPTION_PATHS.items()
            if (reserved is not None and name in reserved) or path.flat in event]


def refuse_unknown_names(event: Mapping[str, Any]) -> None:
    """A 400 for a `pinterest` name no table reads, nested, dotted or flattened: a typo must not be ignored.

    (`pinterest.tset` left an event meant for test mode to go live.) The answer names the key, never
    its value, and the closest valid name. Keys outside `pinterest` and `pinterest_…` are GA4's own.
    """
    reserved = event.get(RESERVED)
    if type(reserved) is dict:  # parse.split_events refuses any other shape; dotted keys are merged in
        for name, value in reserved.items():
            if name not in _NAMES:
                _refuse(f"{RESERVED}.", name, _NAMES)
            keys = _NAMES[name]
            if keys is not None and type(value) is dict:
                for key in value:
                    if key not in keys:
                        _refuse(f"{RESERVED}.{name}.", key, keys)
    for key in event:
        if key.startswith(FLAT_PREFIX) and key not in _FLAT_NAMES:
            _refuse(FLAT_PREFIX, key[len(FLAT_PREFIX):],
                    [name[len(FLAT_PREFIX):] for name in _FLAT_NAMES])


def _refuse(prefix: str, name: str, valid: Iterable[str]) -> NoReturn:
    """`prefix + name` is no setting: say so, with the closest of `valid` when one is close."""
    name = quoted(name)
    close = difflib.get_close_matches(name, sorted(valid), n=1)
    hint = f"; did you mean {prefix}{close[0]}?" if close else " (see README, Per-request settings)"
    raise BadRequest(f"{prefix}{name} is not a per-request setting{hint}")
