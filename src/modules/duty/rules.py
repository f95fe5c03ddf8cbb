"""The points rules of an office's year (履职积分管理办法), edited by the office.

A year has six categories (five making up the base of 100, the bonus on top) and one rule per kind of
event. Until the office has rows for a year, the year's rules are the previous year's saved rules, or
the defaults (`defaults.py`); the rows are written (`ensure_year_rules`) the first time the year is
saved, priced by the ledger or started on 1 January. A rule is never edited: a change supersedes the
live row with a new version, so every ledger entry keeps the rule that priced it. Categories are not
versioned (only their caps change, and caps are applied when points are read, never stored).

Every check runs before anything is written; a refused save leaves the rules as they were.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.errors import InvalidInput
from renda.core.timezone import local_today
from renda.modules.duty import defaults
from renda.modules.duty.common import DutyCaller, require_manage
from renda.modules.duty.models import EVENT_KINDS, POINT_CATEGORIES, RULE_UNITS, PointCategory, PointRule

LOCK_CLASS = 7302  # advisory lock keys (class, office code): the office's rules and ledger
DEFAULTS_ACTOR = "system:duty:默认规则"
CARRIED_ACTOR = "system:duty:沿用上年度规则"
MAX_POINTS = Decimal(100)
MAX_CAP = Decimal(1000)
# Only these kinds carry a number of hours (a training's); every other rule counts events.
HOURLY_KINDS = frozenset({"training"})
# Only absence without leave may cost points (无故缺席 扣分).
DEDUCTIBLE_KINDS = frozenset({"absence"})


@dataclass(frozen=True)
class CategorySetting:
    code: str
    cap: Decimal | None
    is_bonus: bool

    @property
    def label(self) -> str:
        return POINT_CATEGORIES[self.code]


@dataclass(frozen=True)
class RuleSetting:
    event_kind: str
    category: str
    points: Decimal
    unit: str = "event"
    cap: Decimal | None = None
    id: uuid.UUID | None = None  # None: not saved yet (the defaults or last year's, shown for this year)
    version: int = 1
    created_by: str = ""
    created_at: datetime | None = None

    @property
    def label(self) -> str:
        return EVENT_KINDS[self.event_kind]

    @property
    def priced_alike(self) -> tuple[str, Decimal, str, Decimal | None]:
        return (self.category, self.points, self.unit, self.cap)

    def price(self, quantity: Decimal) -> Decimal:
        """What one event is worth under this rule (uncapped: caps apply when points are read)."""
        return self.points * quantity if self.unit == "hour" else self.points


@dataclass(frozen=True)
class YearRules:
    year: int
    categories: dict[str, CategorySetting]
    rules: dict[str, RuleSetting]
    saved: bool  # the office has rows for the year (else: what the year starts from)
    basis: str = "saved"  # saved | previous_year | defaults

    @property
    def base_caps(self) -> Decimal:
        return sum((c.cap or Decimal(0) for c in self.categories.values() if not c.is_bonus), Decimal(0))


def _defaults(year: int) -> YearRules:
    categories = {code: CategorySetting(code, d.cap, d.is_bonus) for code, d in defaults.CATEGORIES.items()}
    rules = {kind: RuleSetting(kind, r.category, r.points, r.unit, r.cap) for kind, r in defaults.RULES.items()}
    return YearRules(year, categories, rules, saved=False, basis="defaults")


async def _saved(session: AsyncSession, year: int) -> YearRules | None:
    categories = (await session.execute(select(PointCategory).where(PointCategory.year == year))).scalars().all()
    live = select(PointRule).where(PointRule.year == year, PointRule.superseded_at.is_(None))
    rules = (await session.execute(live)).scalars().all()
    if not categories and not rules:
        return None
    basis = _defaults(year)
    return YearRules(
        year,
        {**basis.categories, **{c.code: CategorySetting(c.code, c.cap, c.is_bonus) for c in categories}},
        {
            **basis.rules,
            **{
                r.event_kind: RuleSetting(
                    r.event_kind, r.category, r.points, r.unit, r.cap, r.id, r.version, r.created_by, r.created_at
                )
                for r in rules
            },
        },
        saved=True,
    )


async def year_rules(session: AsyncSession, year: int) -> YearRules:
    """The year's rules: the office's rows, else what the year starts from (last year's, else the defaults)."""
    saved = await _saved(session, year)
    if saved is not None:
        return saved
    previous = await _saved(session, year - 1)
    if previous is None:
        return _defaults(year)
    return YearRules(
        year,
        previous.categories,
        {k: RuleSetting(k, r.category, r.points, r.unit, r.cap) for k, r in previous.rules.items()},
        saved=False,
        basis="previous_year",
    )


async def lock_office(session: AsyncSession) -> None:
    """Serialise the office's rule saves and reconciles (one transaction at a time)."""
    code = session.info["tenant_code"]
    await session.execute(text("SELECT pg_advisory_xact_lock(:cls, :key)"), {"cls": LOCK_CLASS, "key": int(code)})


async def ensure_year_rules(session: AsyncSession, year: int) -> YearRules:
    """The year's rules as rows, written from what the year starts from when it has none yet (the
    caller holds `lock_office`)."""
    found = await year_rules(session, year)
    if found.saved:
        return found
    actor = CARRIED_ACTOR if found.basis == "previous_year" else DEFAULTS_ACTOR
    now = utcnow()
    session.add_all(
        PointCategory(year=year, code=c.code, cap=c.cap, is_bonus=c.is_bonus) for c in found.categories.values()
    )
    rows = [
        PointRule(
            year=year,
            event_kind=r.event_kind,
            category=r.category,
            points=r.points,
            unit=r.unit,
            cap=r.cap,
            version=1,
            created_by=actor,
            created_at=now,
        )
        for r in found.rules.values()
    ]
    session.add_all(rows)
    await session.flush()
    return YearRules(
        year,
        found.categories,
        {
            row.event_kind: replace(found.rules[row.event_kind], id=row.id, created_by=actor, created_at=now)
            for row in rows
        },
        saved=True,
    )


async def rule_versions(session: AsyncSession, year: int) -> list[PointRule]:
    """Every version of the year's rules, the live and the superseded, by kind of event and version."""
    query = select(PointRule).where(PointRule.year == year).order_by(PointRule.event_kind, PointRule.version)
    return list((await session.execute(query)).scalars().all())


# --- editing ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CategoryChange:
    code: str
    cap: Decimal | None


@dataclass(frozen=True)
class RuleChange:
    event_kind: str
    category: str
    points: Decimal
    unit: str = "event"
    cap: Decimal | None = None


def editable_years(today_year: int | None = None) -> range:
    """Last year (late corrections in January), this year, and next year (set in December)."""
    year = today_year or local_today().year
    return range(year - 1, year + 2)


def _invalid(message: str, code: str, **details: object) -> InvalidInput:
    return InvalidInput(message, code=code, details=details or None)


def _number(value: Decimal | None, what: str, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        if not value.is_finite() or value != value.quantize(Decimal("0.1")):
            raise _invalid(f"{what}最多保留一位小数", "invalid_points", field=field)
    except InvalidOperation:
        raise _invalid(f"{what}最多保留一位小数", "invalid_points", field=field) from None
    return value


def _check_cap(cap: Decimal | None, what: str, field: str) -> None:
    cap = _number(cap, what, field)
    if cap is None:
        return
    if cap < 0:
        raise _invalid(f"{what}不能为负数", "cap_negative", field=field)
    if cap > MAX_CAP:
        raise _invalid(f"{what}不能超过 {MAX_CAP} 分", "cap_out_of_range", field=field)


def check_changes(categories: Iterable[CategoryChange], rules: Iterable[RuleChange]) -> None:
    """What a save may be refused for on its own, before the year's rules are read."""
    seen: set[str] = set()
    for change in categories:
        if change.code not in POINT_CATEGORIES:
            raise _invalid(f"没有“{change.code}”这个积分类别", "unknown_category", field=change.code)
        if change.code in seen:
            raise _invalid(f"积分类别“{POINT_CATEGORIES[change.code]}”重复设置", "category_overlap", field=change.code)
        seen.add(change.code)
        _check_cap(change.cap, f"“{POINT_CATEGORIES[change.code]}”的上限", change.code)
    seen.clear()
    for rule in rules:
        if rule.event_kind not in EVENT_KINDS:
            raise _invalid(f"没有“{rule.event_kind}”这种履职事项", "unknown_event_kind", field=rule.event_kind)
        label = EVENT_KINDS[rule.event_kind]
        if rule.event_kind in seen:
            raise _invalid(f"“{label}”设置了两条规则,同一事项只能有一条计分规则", "rule_overlap", field=rule.event_kind)
        seen.add(rule.event_kind)
        if rule.category not in POINT_CATEGORIES:
            raise _invalid(f"“{label}”的积分类别无效", "unknown_category", field=rule.event_kind)
        if rule.unit not in RULE_UNITS:
            raise _invalid(f"“{label}”的计分单位无效", "invalid_unit", field=rule.event_kind)
        if rule.unit == "hour" and rule.event_kind not in HOURLY_KINDS:
            raise _invalid(f"“{label}”只能按次计分", "invalid_unit", field=rule.event_kind)
        points = _number(rule.points, f"“{label}”的分值", rule.event_kind)
        assert points is not None
        if abs(points) > MAX_POINTS:
            raise _invalid(
                f"“{label}”的分值应在 -{MAX_POINTS} 至 {MAX_POINTS} 之间", "points_out_of_range", field=rule.event_kind
            )
        if points < 0 and rule.event_kind not in DEDUCTIBLE_KINDS:
            raise _invalid(
                f"只有“{EVENT_KINDS['absence']}”可以扣分,“{label}”的分值不能为负数",
                "deduction_not_allowed",
                field=rule.event_kind,
            )
        if points > 0 and rule.event_kind in DEDUCTIBLE_KINDS:
            raise _invalid(f"“{label}”不得分或扣分,分值不能为正数", "absence_not_positive", field=rule.event_kind)
        _check_cap(rule.cap, f"“{label}”的年度上限", rule.event_kind)


def check_year_rules(rules: YearRules) -> None:
    """What the year's rules must satisfy together."""
    for category in rules.categories.values():
        if not category.is_bonus and category.cap is None:
            raise _invalid(
                f"基本分类别“{category.label}”必须设置上限(百分制)", "category_cap_required", field=category.code
            )
    if rules.base_caps > defaults.BASE:
        raise _invalid(
            f"五类基本分的上限合计 {rules.base_caps} 分,超过了基本分 {defaults.BASE} 分",
            "caps_exceed_base",
            total=str(rules.base_caps),
        )
    for rule in rules.rules.values():
        category = rules.categories[rule.category]
        if rule.cap is not None and category.cap is not None and rule.cap > category.cap:
            raise _invalid(
                f"“{rule.label}”的年度上限 {rule.cap} 分超过了所属类别“{category.label}”的上限 {category.cap} 分",
                "rule_cap_exceeds_category",
                field=rule.event_kind,
            )


@dataclass(frozen=True)
class SaveResult:
    rules: YearRules
    changed_rules: list[str]
    changed_categories: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.changed_rules or self.changed_categories)


async def save_rules(
    session: AsyncSession,
    caller: DutyCaller,
    year: int,
    categories: list[CategoryChange],
    rules: list[RuleChange],
) -> SaveResult:
    """Save the changed caps and rules of the year: what is not named keeps its value. A changed rule
    supersedes the live row (a new version); the ledger re-prices the year afterwards."""
    require_manage(caller)
    if year not in editable_years():
        years = editable_years()
        raise _invalid(f"只能修改 {years[0]} 至 {years[-1]} 年度的积分规则", "year_not_editable", year=year)
    check_changes(categories, rules)
    await lock_office(session)
    current = await year_rules(session, year)
    proposed = YearRules(
        year,
        {**current.categories, **{c.code: replace(current.categories[c.code], cap=c.cap) for c in categories}},
        {
            **current.rules,
            **{r.event_kind: RuleSetting(r.event_kind, r.category, r.points, r.unit, r.cap) for r in rules},
        },
        saved=current.saved,
    )
    check_year_rules(proposed)
    changed_categories = [c for c, s in proposed.categories.items() if s.cap != current.categories[c].cap]
    changed_rules = [k for k, r in proposed.rules.items() if r.priced_alike != current.rules[k].priced_alike]
    saved = await ensure_year_rules(session, year)
    if changed_categories:
        for row in (await session.execute(select(PointCategory).where(PointCategory.year == year))).scalars():
            if row.code in changed_categories:
                row.cap = proposed.categories[row.code].cap
    now = utcnow()
    if changed_rules:
        live = select(PointRule).where(
            PointRule.year == year, PointRule.event_kind.in_(changed_rules), PointRule.superseded_at.is_(None)
        )
        for row in (await session.execute(live)).scalars():
            row.superseded_at = now
        await session.flush()  # the live row steps aside before its successor takes its place
        session.add_all(
            PointRule(
                year=year,
                event_kind=kind,
                category=proposed.rules[kind].category,
                points=proposed.rules[kind].points,
                unit=proposed.rules[kind].unit,
                cap=proposed.rules[kind].cap,
                version=saved.rules[kind].version + 1,
                created_by=caller.actor,
                created_at=now,
            )
            for kind in changed_rules
        )
    await session.flush()
    if changed_rules or changed_categories:
        from renda.modules.duty.points_watch import request_reprice

        await request_reprice(session)
    return SaveResult(await year_rules(session, year), changed_rules, changed_categories)
