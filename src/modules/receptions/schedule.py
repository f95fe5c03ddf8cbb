"""The reception calendar as pure date arithmetic (no database): which days a station receives the people.

- `month_days` rules list days of the month (逢十: 10, 20, 30). A listed day past the end of a month means
  that month's last day: "the 30th" of February is 28 or 29 February, "the 31st" of April is 30 April.
  Two listed days falling on the same last day give one reception day.
- `weekdays` rules list ISO weekdays (1 = Monday … 7 = Sunday).
- A rule counts from `valid_from` to `valid_to` (inclusive; open-ended if none).
- A station with no calendar rule at all uses its `Station.reception_days` (the simple rule, as on the
  organisation pages); once it has rules, they decide (and `reception_days` mirrors them).
- Exceptions then apply: `cancelled` removes a day, `extra` adds one. A station's own exception wins over an
  office-wide one (station_id empty) for the same day.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

CALENDAR_KINDS = frozenset({"month_days", "weekdays"})
# How far ahead "the next reception days" looks before giving up (a station with no days at all).
HORIZON_DAYS = 400


class RuleLike(Protocol):
    kind: str
    days: list[int]
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class StationCalendar:
    """Everything that decides one station's reception days."""

    active: bool
    fallback_days: Sequence[int]  # Station.reception_days, used when there is no calendar rule
    rules: Sequence[RuleLike]
    exceptions: dict[date, str]  # the station's own: day → cancelled | extra
    office_exceptions: dict[date, str]  # office-wide


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def month_day_matches(days: Iterable[int], day: date) -> bool:
    """Whether `day` is one of the listed days of its month (a day past the month's end = its last day)."""
    last = last_day(day.year, day.month)
    return any(min(d, last) == day.day for d in days)


def rule_matches(rule: RuleLike, day: date) -> bool:
    if day < rule.valid_from or (rule.valid_to is not None and day > rule.valid_to):
        return False
    if rule.kind == "month_days":
        return month_day_matches(rule.days, day)
    if rule.kind == "weekdays":
        return day.isoweekday() in rule.days
    return False


def rule_matches_period(rule: RuleLike, start: date, end: date) -> bool:
    """Whether the rule is valid on some day from `start` to `end`."""
    return rule.valid_from <= end and (rule.valid_to is None or rule.valid_to >= start)


def scheduled(cal: StationCalendar, day: date) -> bool:
    """Whether the rules (before exceptions) make `day` a reception day."""
    rules = [r for r in cal.rules if r.kind in CALENDAR_KINDS]
    if not rules:
        return month_day_matches(cal.fallback_days, day)
    return any(rule_matches(r, day) for r in rules)


def is_reception_day(cal: StationCalendar, day: date) -> bool:
    if not cal.active:
        return False
    exception = cal.exceptions.get(day) or cal.office_exceptions.get(day)
    if exception == "cancelled":
        return False
    if exception == "extra":
        return True
    return scheduled(cal, day)


def dates(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def reception_days(cal: StationCalendar, start: date, end: date) -> list[date]:
    return [d for d in dates(start, end) if is_reception_day(cal, d)]


def next_days(cal: StationCalendar, from_date: date, count: int) -> list[date]:
    found: list[date] = []
    for day in dates(from_date, from_date + timedelta(days=HORIZON_DAYS)):
        if len(found) >= count:
            break
        if is_reception_day(cal, day):
            found.append(day)
    return found


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, last_day(year, month))


def quarter_bounds(day: date) -> tuple[date, date]:
    first_month = (day.month - 1) // 3 * 3 + 1
    return date(day.year, first_month, 1), month_bounds(day.year, first_month + 2)[1]


def days_label(kind: str, days: Sequence[int]) -> str:
    if kind == "month_days":
        label = "每月" + "、".join(f"{d}日" for d in days)
        return label + "(逢十接待日)" if list(days) == [10, 20, 30] else label
    if kind == "weekdays":
        names = "一二三四五六日"
        return "每周" + "、".join(f"周{names[d - 1]}" for d in days)
    return ""
