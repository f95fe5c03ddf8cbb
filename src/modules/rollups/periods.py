"""Reporting periods: calendar years, quarters and months in local (Asia/Shanghai) dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from renda.core.errors import InvalidInput

KINDS = {"year": "年度", "quarter": "季度", "month": "月度"}
_PATTERN = re.compile(r"^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$")


@dataclass(frozen=True, order=True)
class Period:
    kind: str  # year | quarter | month
    key: str  # 2026 | 2026-Q4 | 2026-11
    start: date
    end: date  # the last day

    def as_of(self, today: date) -> date:
        """The day a stock figure (deputies in office) is read on: the period's end, or today."""
        return min(self.end, today)

    @property
    def label(self) -> str:
        year, _, rest = self.key.partition("-")
        if not rest:
            return f"{year}年"
        if rest.startswith("Q"):
            return f"{year}年第{rest[1]}季度"
        return f"{year}年{int(rest)}月"

    def previous(self) -> Period:
        return containing(self.kind, self.start - timedelta(days=1))


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def containing(kind: str, day: date) -> Period:
    if kind == "year":
        return Period(kind, f"{day.year}", date(day.year, 1, 1), date(day.year, 12, 31))
    if kind == "quarter":
        quarter = (day.month - 1) // 3 + 1
        first = 3 * quarter - 2
        return Period(kind, f"{day.year}-Q{quarter}", date(day.year, first, 1), _month_end(day.year, first + 2))
    if kind == "month":
        return Period(kind, f"{day:%Y-%m}", date(day.year, day.month, 1), _month_end(day.year, day.month))
    raise InvalidInput(f"不支持的统计期间类型“{kind}”,应为年度、季度或月度", code="invalid_period_kind")


def parse(key: str) -> Period:
    match = _PATTERN.match(key.strip())
    if not match:
        raise InvalidInput(f"统计期间“{key}”格式不正确,应为 2026、2026-Q4 或 2026-11", code="invalid_period")
    year, quarter, month = int(match[1]), match[2], match[3]
    if quarter:
        return containing("quarter", date(year, 3 * int(quarter), 1))
    if month:
        return containing("month", date(year, int(month), 1))
    return containing("year", date(year, 1, 1))


def current(today: date) -> list[Period]:
    """The periods running today: its year, quarter and month."""
    return [containing(kind, today) for kind in KINDS]


def recent(today: date, months: int) -> list[Period]:
    """Every month, quarter and year that overlaps the last `months` months up to today."""
    found: set[Period] = set()
    month = containing("month", today)
    for _ in range(months):
        found |= {month, containing("quarter", month.start), containing("year", month.start)}
        month = month.previous()
    return sorted(found, key=lambda p: (p.start, p.kind))


def series(last: Period, count: int) -> list[Period]:
    """`count` consecutive periods of `last`'s kind, ending with it, oldest first."""
    periods = [last]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods[::-1]
