"""What the points API and pages show: the year's rules, the ranking, and one deputy's points with every
entry and why it is there."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import NotFound
from renda.core.pagination import Page
from renda.modules.deputies.models import Person
from renda.modules.duty import defaults
from renda.modules.duty.common import DutyCaller, require_sees
from renda.modules.duty.events import SOURCES
from renda.modules.duty.models import (
    ENTRY_REASONS,
    EVENT_KINDS,
    POINT_CATEGORIES,
    RULE_UNITS,
    PointEntry,
    PointRule,
)
from renda.modules.duty.points_schemas import (
    CategoryOut,
    CategoryPointsOut,
    EntryOut,
    PersonPointsOut,
    RankingPage,
    RankItem,
    RuleOut,
    RulesOut,
    RuleVersionOut,
)
from renda.modules.duty.ranking import RankingFilter, RankRow, rank_of
from renda.modules.duty.rules import YearRules
from renda.modules.duty.totals import points_of

BASIS_LABELS = {
    "saved": "本机关已保存的规则",
    "previous_year": "沿用上一年度的规则(尚未保存)",
    "defaults": "默认规则(尚未保存)",
}
REASON_WHY = {
    "event": "按规则计分",
    "reversal": "该履职记录已撤销或更正,冲减此前的积分",
    "reprice": "计分规则调整后重新计分,补记差额",
}


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _points(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


def rule_text(event_kind: str, points: Decimal, unit: str, version: int | None) -> str:
    """「出席人民代表大会会议 每次 20 分(第 1 版)」"""
    kind = EVENT_KINDS[event_kind].removesuffix("(每学时)")
    edition = f"(第 {version} 版)" if version else ""
    return f"{kind} {RULE_UNITS[unit]} {_points(points)} 分{edition}"


def rules_out(rules: YearRules) -> RulesOut:
    return RulesOut(
        year=rules.year,
        saved=rules.saved,
        basis=rules.basis,
        basis_label=BASIS_LABELS[rules.basis],
        base=float(defaults.BASE),
        base_caps=float(rules.base_caps),
        categories=[
            CategoryOut(code, POINT_CATEGORIES[code], _float(c.cap), c.is_bonus)
            for code in POINT_CATEGORIES
            if (c := rules.categories.get(code)) is not None
        ],
        rules=[
            RuleOut(
                event_kind=kind,
                label=EVENT_KINDS[kind],
                category=r.category,
                category_label=POINT_CATEGORIES[r.category],
                points=float(r.points),
                unit=r.unit,
                unit_label=RULE_UNITS[r.unit],
                cap=_float(r.cap),
                id=r.id,
                version=r.version,
                created_by=r.created_by,
                created_at=r.created_at,
            )
            for kind in EVENT_KINDS
            if (r := rules.rules.get(kind)) is not None
        ],
    )


def versions_out(rows: list[PointRule]) -> list[RuleVersionOut]:
    return [
        RuleVersionOut(
            r.id,
            r.event_kind,
            EVENT_KINDS[r.event_kind],
            r.category,
            float(r.points),
            r.unit,
            _float(r.cap),
            r.version,
            r.created_by,
            r.created_at,
            r.superseded_at,
        )
        for r in rows
    ]


def rank_item(row: RankRow) -> RankItem:
    return RankItem(
        row.rank, row.person_id, row.name, row.group_name, float(row.base), float(row.bonus), float(row.total)
    )


def ranking_out(filter: RankingFilter, page: Page[RankRow]) -> RankingPage:
    return RankingPage(
        filter.year, filter.scope, [rank_item(r) for r in page.items], page.total, page.page, page.page_size
    )


async def person_points(session: AsyncSession, caller: DutyCaller, year: int, person_id: uuid.UUID) -> PersonPointsOut:
    """A deputy's points of the year: total, base and bonus, each category with its cap, the rank in
    the office, and every entry with the rule that priced it and why. Only the deputy and those who see
    the whole office."""
    name = (await session.execute(select(Person.name).where(Person.id == person_id))).scalar_one_or_none()
    if name is None:
        raise NotFound("代表不存在", code="person_not_found")
    require_sees(caller, person_id)
    points = (await points_of(session, year, [person_id]))[person_id]
    rank = await rank_of(session, year, person_id)
    query = (
        select(PointEntry, PointRule.points, PointRule.unit, PointRule.version)
        .outerjoin(PointRule, PointRule.id == PointEntry.rule_id)
        .where(PointEntry.year == year, PointEntry.person_id == person_id)
        .order_by(PointEntry.occurred_on.desc(), PointEntry.id.desc())
    )
    entries = []
    for entry, rule_points, unit, version in (await session.execute(query)).all():
        rule = rule_text(entry.event_kind, rule_points, unit, version) if rule_points is not None else "—"
        why = f"{REASON_WHY[entry.reason]}:{rule}"
        entries.append(
            EntryOut(
                id=entry.id,
                occurred_on=entry.occurred_on,
                label=entry.source_label,
                event_kind=entry.event_kind,
                event_label=EVENT_KINDS[entry.event_kind],
                category=entry.category,
                category_label=POINT_CATEGORIES[entry.category],
                points=float(entry.points),
                reason=entry.reason,
                reason_label=ENTRY_REASONS[entry.reason],
                source=entry.source,
                source_label=SOURCES.get(entry.source, entry.source),
                rule_id=entry.rule_id,
                rule=rule,
                why=why,
                created_at=entry.created_at,
            )
        )
    return PersonPointsOut(
        person_id=person_id,
        name=name,
        year=year,
        total=float(points.total),
        base=float(points.base),
        bonus=float(points.bonus),
        rank=rank.rank if rank else None,
        ranked=rank.ranked if rank else 0,
        categories=[
            CategoryPointsOut(c.code, c.label, float(c.earned), float(c.counted), _float(c.cap), c.is_bonus)
            for c in points.categories
        ],
        entries=entries,
    )
