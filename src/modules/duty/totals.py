"""A deputy's points of a year: the ledger's sums, capped by rule and by category (the read side
the store's balance, the rating and the archive share)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.duty import defaults
from renda.modules.duty.models import POINT_CATEGORIES, PointCategory, PointEntry, PointRule


@dataclass(frozen=True)
class YearCaps:
    categories: dict[str, defaults.CategoryDefault]
    rules: dict[str, Decimal | None]  # event kind → cap of the live rule


async def year_caps(session: AsyncSession, year: int) -> YearCaps:
    """The caps of the year's rules: the office's own rows, or the defaults while it has none."""
    rows = (await session.execute(select(PointCategory).where(PointCategory.year == year))).scalars().all()
    categories = (
        {row.code: defaults.CategoryDefault(row.cap, row.is_bonus) for row in rows}
        if rows
        else dict(defaults.CATEGORIES)
    )
    live = select(PointRule.event_kind, PointRule.cap).where(PointRule.year == year, PointRule.superseded_at.is_(None))
    rules = dict((await session.execute(live)).all()) or {k: r.cap for k, r in defaults.RULES.items()}
    return YearCaps(categories, rules)


@dataclass
class CategoryPoints:
    code: str
    label: str
    earned: Decimal  # what the entries add up to
    counted: Decimal  # after the caps
    cap: Decimal | None
    is_bonus: bool


@dataclass
class PersonPoints:
    person_id: uuid.UUID
    year: int
    categories: list[CategoryPoints] = field(default_factory=list)

    @property
    def base(self) -> Decimal:
        return sum((c.counted for c in self.categories if not c.is_bonus), Decimal(0))

    @property
    def bonus(self) -> Decimal:
        return sum((c.counted for c in self.categories if c.is_bonus), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.base + self.bonus


def _capped(value: Decimal, cap: Decimal | None) -> Decimal:
    return value if cap is None else min(value, cap)


async def points_of(session: AsyncSession, year: int, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, PersonPoints]:
    """Each person's points of the year (every person asked for is in the answer, at zero if need be)."""
    caps = await year_caps(session, year)
    query = (
        select(PointEntry.person_id, PointEntry.category, PointEntry.event_kind, func.sum(PointEntry.points))
        .where(PointEntry.year == year, PointEntry.person_id.in_(person_ids))
        .group_by(PointEntry.person_id, PointEntry.category, PointEntry.event_kind)
    )
    by_category: dict[uuid.UUID, dict[str, list[Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: [Decimal(0), Decimal(0)])
    )
    for person_id, category, kind, earned in (await session.execute(query)).all():
        sums = by_category[person_id][category]
        sums[0] += earned
        sums[1] += _capped(earned, caps.rules.get(kind))
    found = {}
    for person_id in person_ids:
        points = PersonPoints(person_id, year)
        for code, label in POINT_CATEGORIES.items():
            setting = caps.categories.get(code, defaults.CategoryDefault(None))
            earned, within_rules = by_category[person_id][code] if code in by_category.get(person_id, {}) else (0, 0)
            counted = max(_capped(Decimal(within_rules), setting.cap), Decimal(0))
            points.categories.append(
                CategoryPoints(code, label, Decimal(earned), counted, setting.cap, setting.is_bonus)
            )
        found[person_id] = points
    return found
