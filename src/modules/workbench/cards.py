"""The cards of the workbench, one per kind of work: each asks its module's service what waits (one
statement each) and names it in Chinese, with links to the module's lists filtered the same way and to
each item's own page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database, utcnow
from renda.core.worklist import DueItem, Worklist, overdue_first
from renda.modules.contacts import service as contacts
from renda.modules.duty import service as duty
from renda.modules.exports import service as exports
from renda.modules.opinions import service as opinions
from renda.modules.organisation import service as organisation
from renda.modules.receptions import service as receptions
from renda.modules.register_import import service as register_import
from renda.modules.rollups import service as rollups
from renda.modules.suggestions import service as suggestions
from renda.modules.workbench.schemas import Card, Figure, Item, Row, Table
from renda.tenants.scoping import TenantRef

# How far back failed exports and import error reports count (the exports page's 近 30 天).
RECENT_DAYS = 30


@dataclass(frozen=True)
class Desk:
    """Who is asking, where, and on which local day."""

    session: AsyncSession
    office: TenantRef
    today: date
    user_id: uuid.UUID
    person_id: uuid.UUID | None = None  # the deputy the user is in this office's register
    unit_ids: frozenset[uuid.UUID] = frozenset()  # the handling units the user answers for

    def link(self, tail: str) -> str:
        return f"/t/{self.office.code}{tail}"


def _items(desk: Desk, found: list[DueItem], href: str, **labels: str) -> list[Item]:
    """`href` names the item's page with `{id}`; `labels` may set `due_label` and `since_label`."""
    return [
        Item(
            label=i.label,
            href=desk.link(href.format(id=i.id)),
            due=i.due,
            overdue=i.overdue,
            since=i.since,
            detail=i.detail,
            days_left=(i.due - desk.today).days if i.due else None,
            **labels,
        )
        for i in overdue_first(found)
    ]


# --- staff ------------------------------------------------------------------------------------------
async def staff_opinions(desk: Desk) -> tuple[Card, Worklist]:
    found = await opinions.office_worklist(desk.session, desk.today)
    card = Card(
        "opinions",
        "群众意见",
        [
            Figure("待分析交办", found.count("received"), desk.link("/opinions?status=received")),
            Figure("已逾期待督办", found.count("overdue"), desk.link("/opinions?overdue=1"), alert=True),
            Figure("已答复待办结", found.count("answered"), desk.link("/opinions?status=answered")),
        ],
        _items(desk, found.items, "/opinions/{id}", due_label="办理期限", since_label="受理"),
        ("全部办理中的意见", desk.link("/opinions?status=open")),
        "没有待处理的群众意见。",
    )
    return card, found


async def staff_suggestions(desk: Desk) -> tuple[Card, Worklist]:
    found = await suggestions.office_worklist(desk.session, desk.today)
    card = Card(
        "suggestions",
        "代表建议",
        [
            Figure("待审查", found.count("submitted"), desk.link("/suggestions/items/intake")),
            Figure("办理中", found.count("assigned"), desk.link("/suggestions/items?status=assigned")),
            Figure("已逾期", found.count("overdue"), desk.link("/suggestions/items?overdue=1"), alert=True),
            Figure("待审批申请", found.count("requests"), desk.link("/suggestions/requests")),
        ],
        _items(desk, found.items, "/suggestions/items/{id}", due_label="办理期限", since_label="提交"),
        ("全部办理中的建议", desk.link("/suggestions/items?status=open")),
        "没有待处理的代表建议。",
    )
    return card, found


def overdue_card(desk: Desk, opinion_work: Worklist, suggestion_work: Worklist) -> Card:
    """Everything past its deadline, from the two cards' own answers (no statement of its own)."""
    items = _items(desk, [i for i in opinion_work.items if i.overdue], "/opinions/{id}", due_label="办理期限") + _items(
        desk, [i for i in suggestion_work.items if i.overdue], "/suggestions/items/{id}", due_label="办理期限"
    )
    return Card(
        "overdue",
        "逾期事项",
        [
            Figure("群众意见", opinion_work.count("overdue"), desk.link("/opinions?overdue=1"), alert=True),
            Figure("代表建议", suggestion_work.count("overdue"), desk.link("/suggestions/items?overdue=1"), alert=True),
        ],
        sorted(items, key=lambda i: i.due or date.max)[:5],
        empty="没有逾期未办的事项。",
    )


async def staff_contacts(desk: Desk) -> Card:
    found = await contacts.behind_worklist(desk.session, desk.office.code, desk.today)
    link = desk.link("/contacts?tab=coverage&behind=1")
    return Card(
        "contacts",
        "联系代表",
        [Figure("本季度联系滞后的组成人员", found.count("behind"), link, alert=True)],
        _items(desk, found.items, "/contacts?tab=coverage&behind=1", due_label="季度末"),
        ("联系情况", desk.link("/contacts?tab=coverage")),
        "本季度组成人员联系代表进度正常。",
    )


async def staff_rosters(desk: Desk) -> Card:
    found = await organisation.empty_rosters(desk.session)
    items = [
        Item(
            label=i.label,
            href=desk.link(f"/organisation/{i.kind}/{i.id}"),
            detail="尚无进站代表" if i.kind == "stations" else "尚无成员",
        )
        for i in found.items
    ]
    return Card(
        "rosters",
        "小组和家站室",
        [
            Figure(
                "没有代表的家站室", found.count("stations"), desk.link("/organisation?tab=stations&active=true&empty=1")
            ),
            Figure("没有成员的代表小组", found.count("groups"), desk.link("/organisation?tab=groups&empty=1")),
        ],
        items,
        ("组织机构", desk.link("/organisation")),
        "在用的家站室和代表小组都已有代表。",
    )


async def staff_evidence(desk: Desk) -> Card:
    found = await duty.evidence_worklist(desk.session)
    return Card(
        "evidence",
        "履职佐证",
        [Figure("待核实", found.count("pending"), desk.link("/duty/evidence?status=pending"))],
        _items(desk, found.items, "/duty/evidence/{id}", since_label="提交"),
        ("佐证核实", desk.link("/duty/evidence")),
        "没有待核实的履职佐证。",
    )


async def staff_failures(desk: Desk) -> Card:
    since = utcnow() - timedelta(days=RECENT_DAYS)
    found = await exports.problem_worklist(desk.session, since, (register_import.REPORT_KIND,))
    recent = f"&days={RECENT_DAYS}"
    return Card(
        "failures",
        "导入导出",
        [
            Figure(
                f"近 {RECENT_DAYS} 天导出失败",
                found.count("failed"),
                desk.link(f"/exports?status=failed{recent}"),
                alert=True,
            ),
            Figure(
                f"近 {RECENT_DAYS} 天导入有错误",
                found.count("reports"),
                desk.link(f"/exports?kind={register_import.REPORT_KIND}{recent}"),
                alert=True,
            ),
        ],
        _items(desk, found.items, f"/exports?days={RECENT_DAYS}", since_label="发起"),
        ("导入导出记录", desk.link("/exports")),
        f"近 {RECENT_DAYS} 天没有失败的导出或有错误的导入。",
    )


# --- a committee member -------------------------------------------------------------------------------
async def member_contacts(desk: Desk) -> Card:
    found = await contacts.member_worklist(desk.session, desk.office.code, desk.user_id, desk.today)
    link = desk.link("/contacts?tab=coverage&behind=1")
    return Card(
        "my-contacts",
        "我联系的代表",
        [
            Figure("本季度待联系", found.count("to_contact"), link, alert=False),
            Figure("固定联系代表", found.count("assigned"), desk.link("/contacts?tab=assignments")),
        ],
        _items(desk, found.items, "/contacts?tab=records", due_label="季度末"),
        ("登记联系记录", desk.link("/contacts?tab=records")),
        "本季度的固定联系代表都已联系。" if found.count("assigned") else "您还没有固定联系的代表。",
    )


# --- a deputy -------------------------------------------------------------------------------------------
async def deputy_receptions(desk: Desk) -> Card:
    found = await receptions.deputy_worklist(desk.session, desk.person_id, desk.today) if desk.person_id else Worklist()
    return Card(
        "my-receptions",
        "我的接待日",
        [Figure("待接待", found.count("upcoming"), desk.link("/receptions?tab=mine"))],
        _items(desk, found.items, "/receptions?tab=mine", due_label="接待日"),
        ("我的接待", desk.link("/receptions?tab=mine")),
        "近期没有排到您的接待日。",
    )


async def deputy_opinions(desk: Desk) -> Card:
    persons = [desk.person_id] if desk.person_id else []
    found = await opinions.deputy_worklist(desk.session, persons, desk.today)
    return Card(
        "my-opinions",
        "群众向我反映的意见",
        [
            Figure("办理中", found.count("open"), desk.link("/opinions?status=open")),
            Figure("已逾期", found.count("overdue"), desk.link("/opinions?overdue=1"), alert=True),
        ],
        _items(desk, found.items, "/opinions/{id}", due_label="办理期限", since_label="受理"),
        ("我收到的意见", desk.link("/opinions")),
        "没有办理中的群众意见。",
    )


async def deputy_ratings(desk: Desk) -> Card:
    persons = [desk.person_id] if desk.person_id else []
    found = await suggestions.deputy_worklist(desk.session, persons, desk.today)
    return Card(
        "my-ratings",
        "待我评价的建议答复",
        [Figure("待评价", found.count("to_rate"), desk.link("/suggestions/items?to_rate=1"))],
        _items(desk, found.items, "/suggestions/items/{id}/rate", due_label="评价截止", since_label="答复"),
        ("我的建议", desk.link("/suggestions/items/mine")),
        "没有待评价的答复。",
    )


def _points(value: Decimal) -> int | Decimal:
    """12.50 → 12.5, 24.0 → 24."""
    return int(value) if value == value.to_integral_value() else value.normalize()


async def deputy_points(desk: Desk) -> Card:
    points = await duty.year_points(desk.session, desk.person_id, desk.today.year) if desk.person_id else Decimal(0)
    return Card(
        "my-points",
        "我的履职积分",
        [Figure(f"{desk.today.year}年积分", _points(points), desk.link("/duty/points/mine"))],
        more=("积分明细", desk.link("/duty/points/mine")),
        empty="",
        note="积分按年度计算,每年1月1日重新开始。",
    )


# --- a handling unit ------------------------------------------------------------------------------------
async def unit_suggestions(desk: Desk) -> Card:
    found = await suggestions.unit_worklist(desk.session, desk.unit_ids, desk.today)
    return Card(
        "unit-suggestions",
        "我承办的代表建议",
        [
            Figure("办理中", found.count("assigned"), desk.link("/suggestions/units/items")),
            Figure("已逾期", found.count("overdue"), desk.link("/suggestions/units/items?overdue=1"), alert=True),
        ],
        _items(desk, found.items, "/suggestions/items/{id}/handling", due_label="办理期限"),
        ("我的承办", desk.link("/suggestions/units/items")),
        "没有办理中的代表建议。",
    )


async def unit_opinions(desk: Desk) -> Card:
    found = await opinions.unit_worklist(desk.session, desk.unit_ids, desk.today)
    return Card(
        "unit-opinions",
        "交办我单位的群众意见",
        [
            Figure("待答复", found.count("assigned"), desk.link("/opinions?status=assigned")),
            Figure("已逾期", found.count("overdue"), desk.link("/opinions?overdue=1"), alert=True),
        ],
        _items(desk, found.items, "/opinions/{id}", due_label="办理期限", since_label="受理"),
        ("交办的意见", desk.link("/opinions")),
        "没有待答复的群众意见。",
    )


# --- a viewer, a city office: the offices beneath -------------------------------------------------------
BENEATH_METRICS = ("opinions.overdue", "suggestions.closure_rate", "contacts.coverage", "receptions.held")


def _cell(value: int | float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:g}{unit}" if unit == "%" else f"{value:g}"


def _behind_key(values: dict[str, int | float | None]) -> tuple[float, float, float]:
    """Falling behind first: the most opinions overdue, then the lowest closure rate of suggestions, then
    the lowest coverage of the contacts (an office without a figure counts as furthest behind)."""
    overdue = values.get("opinions.overdue") or 0
    closure = values.get("suggestions.closure_rate")
    coverage = values.get("contacts.coverage")
    return (-overdue, closure if closure is not None else -1.0, coverage if coverage is not None else -1.0)


def _behind(values: dict[str, int | float | None]) -> bool:
    coverage = values.get("contacts.coverage")
    return bool(values.get("opinions.overdue")) or (coverage is not None and coverage < 100)


async def offices_beneath(desk: Desk) -> Card | None:
    """None for an office without offices beneath it."""
    period = rollups.containing("year", desk.today)
    async with get_database().platform_session() as platform:
        found = await rollups.offices_beneath(platform, desk.office, period, BENEATH_METRICS)
    if not found.offices:
        return None
    offices = sorted(found.offices, key=lambda o: _behind_key(o.values))
    rows = [
        Row(
            o.name,
            f"/t/{o.code}/",
            [_cell(o.values[c.key], c.unit) for c in found.columns],
            _behind(o.values),
        )
        for o in offices
    ]
    behind = sum(1 for r in rows if r.behind)
    headers = [f"{c.label}({c.unit})" if c.unit == "%" else c.label for c in found.columns]
    return Card(
        "beneath",
        "下级机关",
        [
            Figure("下级机关", len(rows), desk.link(f"/reports?period={period.key}")),
            Figure("需关注", behind, desk.link(f"/reports?period={period.key}"), alert=True),
        ],
        table=Table(f"{period.label}各下级机关主要指标(落后的在前)", ["机关", *headers], rows),
        more=("统计汇总", desk.link(f"/reports?period={period.key}")),
        empty="",
        note="需关注:有逾期未办的群众意见,或联系代表覆盖率不足 100%。",
    )
