"""Excel exports of the loop: the suggestion list as filtered, and the rates report.

Both kinds are registered on import of the package (see `__init__`), which the web app and the worker
both do. Only callers who see the whole office may request an export (`exports.write` is held by staff,
committee members and viewers alone); the worker builds it as the office.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.core.timezone import local_today
from renda.modules.suggestions.common import SYSTEM_CALLER
from renda.modules.suggestions.listing import list_statement, parse_filter, row_out
from renda.modules.suggestions.rates import RATE_LABELS, parse_rate_filter, rate_report, rate_rows

LIST_KIND, RATES_KIND = "suggestions", "suggestion_rates"
LIST_HEADERS = [
    "编号",
    "类型",
    "标题",
    "分类",
    "领衔代表",
    "主办单位",
    "状态",
    "办理期限",
    "是否逾期",
    "答复类别",
    "代表评价",
    "重点建议",
]
RATE_HEADERS = [
    "统计项",
    "交办件数",
    "已答复件数",
    "按期答复件数",
    "已评价件数",
    "满意和基本满意件数",
    "已解决件数",
    "A类件数",
    "B类件数",
    "C类件数",
    "D类件数",
    *(f"{label}(%)" for label in RATE_LABELS.values()),
]


async def list_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    today = local_today()
    query, values = list_statement(SYSTEM_CALLER, parse_filter(params), today)
    for row in await read_rows(session, query, values):
        out = row_out(row, today)
        yield [
            out.number,
            out.kind_label,
            out.title,
            out.category_label,
            out.lead_name,
            out.unit_name or "",
            out.status_label,
            f"{out.deadline:%Y-%m-%d}" if out.deadline else "",
            "是" if out.overdue else "",
            out.reply_class or "",
            out.rating_label or "",
            "是" if out.is_key else "",
        ]


async def rate_export_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    by, filters = parse_rate_filter(params)
    report = await rate_report(session, by, filters)
    for row in rate_rows(report):
        c = row.counts
        yield [
            row.label,
            c.assigned,
            c.answered,
            c.on_time,
            c.rated,
            c.satisfied,
            c.resolved,
            c.class_a,
            c.class_b,
            c.class_c,
            c.class_d,
            *(value if value is not None else "" for value in c.rates().values()),
        ]


def register_exports() -> None:
    from renda.modules.exports.service import ExportKind, register_export

    register_export(ExportKind(LIST_KIND, "代表建议", LIST_HEADERS, list_rows, "suggestions.read"))
    register_export(ExportKind(RATES_KIND, "代表建议办理统计", RATE_HEADERS, rate_export_rows, "reports.read"))
