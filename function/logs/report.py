"""Match quality from delivered log rows: why Pinterest matches or deduplicates an event name poorly; pure.

Per ad account and Pinterest event name: events delivered, the share carrying each match key, the share
whose event_id the site gave (a generated one never deduplicates with the Pinterest tag), warnings by
field, and how late events arrive. `match_quality.sql` beside this file computes the same figures in
BigQuery (the terraform module's view); the tests hold the two to the same numbers.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from function.logs.quality import MATCH_KEYS
from function.logs.schema import TIMESTAMP_FORMAT
from function.outcomes import Outcome
from function.pipeline.request import SITE_GIVEN

# IP address and user agent count as one key: Pinterest matches on the pair, not on either alone.
_PAIR = ("client_ip_address", "client_user_agent")
PAIR_LABEL = "client_ip_address_and_user_agent"


def _reported() -> Iterator[tuple[str, tuple[str, ...]]]:
    for key in MATCH_KEYS:
        if key == _PAIR[0]:
            yield PAIR_LABEL, _PAIR
        elif key != _PAIR[1]:
            yield key, (key,)


# The key figures, each a share of delivered events: its name, and the match keys an event needs for it.
REPORTED_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(_reported())
# Nearest-rank percentiles of lateness; match_quality.sql takes the same ranks.
P50, P95 = 0.5, 0.95
# Lateness worth fixing: Pinterest attributes late conversions poorly, and refuses them after 7 days.
LATE_S = 3600
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Figures:
    """One ad account's one Pinterest event name, over the delivered events of the window."""

    ad_account_id: str | None
    event_name: str | None
    delivered: int
    site_event_id: float  # share with an event_id the site gave
    em_or_ph: float  # share with an e-mail or a phone number
    keys: dict[str, float]  # share carrying each of REPORTED_KEYS
    warnings: dict[str, int] = field(default_factory=dict)  # events with a warning, by field
    lateness_p50_s: int | None = None
    lateness_p95_s: int | None = None
    late: int = 0  # events delivered more than LATE_S after their event_time


def counted(row: Mapping[str, Any]) -> bool:
    """Only delivered events count: retries, refusals and probe rows (outcome `probe`) never do."""
    return row.get("outcome") == Outcome.DELIVERED and row.get("match_keys") is not None


def figures(rows: Iterable[Mapping[str, Any]]) -> list[Figures]:
    """Figures per (ad account, event name), in that order, the most delivered name first per account."""
    groups: dict[tuple[str | None, str | None], list[Mapping[str, Any]]] = {}
    for row in rows:
        if counted(row):
            groups.setdefault((row.get("ad_account_id"), row.get("event_name")), []).append(row)
    found = [_group(account, name, members) for (account, name), members in groups.items()]
    return sorted(found, key=lambda f: (f.ad_account_id or "", -f.delivered, f.event_name or ""))


def _group(account: str | None, name: str | None, rows: Sequence[Mapping[str, Any]]) -> Figures:
    keys = [set(_list(row.get("match_keys"))) for row in rows]
    total = len(rows)
    lateness = sorted(late for late in map(lateness_s, rows) if late is not None)
    return Figures(
        ad_account_id=account, event_name=name, delivered=total,
        site_event_id=sum(row.get("event_id_source") in SITE_GIVEN for row in rows) / total,
        em_or_ph=sum(bool(carried & {"em", "ph"}) for carried in keys) / total,
        keys={label: sum(set(needed) <= carried for carried in keys) / total
              for label, needed in REPORTED_KEYS},
        warnings=warnings_by_field(rows),
        lateness_p50_s=percentile(lateness, P50), lateness_p95_s=percentile(lateness, P95),
        late=sum(late > LATE_S for late in lateness),
    )


def warnings_by_field(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Events with at least one warning per field, from each row's `warnings` ([{field, reason}, ...]).

    The column may be JSON or JSON text; rows without it, or with anything else in it, carry none.
    """
    counts: Counter[str] = Counter()
    for row in rows:
        items = _list(_parsed(row.get("warnings")))
        fields = {item.get("field") for item in items if isinstance(item, Mapping)}
        counts.update(name for name in fields if isinstance(name, str))
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def percentile(ordered: Sequence[int], fraction: float) -> int | None:
    """Nearest rank: the value at rank ceil(fraction * n) of the ascending values; None without any."""
    if not ordered:
        return None
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]


def lateness_s(row: Mapping[str, Any]) -> int | None:
    """Whole seconds from the event's event_time to its delivery's row, truncated as BigQuery's
    TIMESTAMP_DIFF truncates; None when either is missing."""
    event_time, stamp = row.get("event_time"), row.get("timestamp")
    if isinstance(event_time, bool) or not isinstance(event_time, int) or not isinstance(stamp, str):
        return None
    written = datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    micros = (written - _EPOCH) // _MICROSECOND - event_time * 1_000_000
    return micros // 1_000_000 if micros >= 0 else -(-micros // 1_000_000)


@dataclass(frozen=True)
class Finding:
    """Something to fix, and how many delivered events it touches (the first line names the largest)."""

    events: int
    text: str


def findings(found: Sequence[Figures]) -> list[Finding]:
    """What to fix, most events touched first: missing e-mail or phone, generated ids, warnings, lateness."""
    accounts = {f.ad_account_id for f in found}
    result = []
    for f in found:
        account = f" of ad account {f.ad_account_id}" if len(accounts) > 1 else ""
        name = f"{f.event_name or 'unnamed'} events{account}"
        missing = f.delivered - round(f.em_or_ph * f.delivered)
        if missing:
            result.append(Finding(missing, f"{_percent(1 - f.em_or_ph)} of {name} have no e-mail or phone"
                                           " (em, ph): Pinterest matches them poorly"))
        generated = f.delivered - round(f.site_event_id * f.delivered)
        if generated:
            result.append(Finding(generated, f"{_percent(1 - f.site_event_id)} of {name} have a generated"
                                             " event_id: Pinterest cannot deduplicate them with the tag's"))
        for field_name, count in f.warnings.items():
            result.append(Finding(count, f"{count} of {f.delivered} {name} carry a warning on {field_name}"))
        if f.late:
            p95 = _duration(f.lateness_p95_s)
            result.append(Finding(f.late, f"{f.late} of {f.delivered} {name} reached Pinterest more than an"
                                          f" hour after their event_time (p95 {p95})"))
    return sorted(result, key=lambda finding: -finding.events)


def render(found: Sequence[Figures], since: str) -> str:
    """The text `report` prints: what to fix first, the rest of the findings, then one line per event name."""
    if not found:
        return f"no delivered events since {since}"
    todo = findings(found)
    lines = [f"To fix first: {todo[0].text}." if todo else
             "Nothing to fix: every delivered event carries an e-mail or phone and a site-given event_id."]
    lines += [f"Then: {finding.text}." for finding in todo[1:6]]
    head = ["ACCOUNT", "EVENT", "DELIVERED", "SITE ID", "EM|PH",
            *(_heading(label) for label, _ in REPORTED_KEYS), "LATE P50", "LATE P95", "WARNINGS"]
    cells = [[f.ad_account_id or "", f.event_name or "", str(f.delivered), _percent(f.site_event_id),
              _percent(f.em_or_ph), *(_percent(f.keys[label]) for label, _ in REPORTED_KEYS),
              _duration(f.lateness_p50_s), _duration(f.lateness_p95_s),
              ", ".join(f"{name} {count}" for name, count in f.warnings.items())] for f in found]
    widths = [max(len(line[i]) for line in [head, *cells]) for i in range(len(head))]
    lines += ["", *("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
                    for line in [head, *cells])]
    return "\n".join(lines)


def _heading(label: str) -> str:
    return "IP+UA" if label == PAIR_LABEL else label.upper()


def _percent(share: float) -> str:
    """'62 %'; a share above 0 that rounds to 0 is '<1 %', one below 1 that rounds to 100 is '>99 %'."""
    value = round(share * 100)
    if value == 0 and share > 0:
        return "<1 %"
    if value == 100 and share < 1:
        return ">99 %"
    return f"{value} %"


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if abs(seconds) < 120:
        return f"{seconds} s"
    return f"{seconds // 60} min" if abs(seconds) < 7200 else f"{seconds // 3600} h"


def _parsed(value: Any) -> Any:
    """JSON text parsed (a STRING column); anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
