"""The Excel export of a year's ratings (the list as filtered), registered on import by the rating's
routes, pages and tasks, so the web app and the worker both know it. The worker builds it as the
office (every deputy), for a requester who may read the whole office's duty."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.core.timezone import local_today
from renda.modules.duty import rating_labels as labels
from renda.modules.duty.common import SYSTEM_CALLER
from renda.modules.duty.rating_views import list_statement, parse_filter, rows_out
from renda.modules.exports.service import ExportKind, register_export

KIND = "duty_ratings"
HEADERS = [
    "年度",
    "姓名",
    "代表小组",
    "评价环节",
    "代表自评",
    "小组评议",
    "乡镇审核",
    "常委会审定等次",
    "星级",
    "年度积分",
    "劝辞",
    "提醒约谈",
]
CHUNK = 500


async def export_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    chosen = parse_filter(params, local_today().year)
    rows = list(await read_rows(session, list_statement(SYSTEM_CALLER, chosen)))
    for start in range(0, len(rows), CHUNK):
        for row in await rows_out(session, SYSTEM_CALLER, chosen.year, rows[start : start + CHUNK]):
            yield [
                chosen.year,
                row.name,
                row.group_name or "",
                row.step_label,
                row.self_grade_label or "",
                row.group_grade_label or "",
                row.township_grade_label or "",
                row.grade_label or "",
                labels.stars_text(row.stars),
                float(row.points) if row.points is not None else "",
                "是" if row.advise_resign else "",
                row.talk_status_label or "",
            ]


register_export(ExportKind(KIND, "代表履职星级评价", HEADERS, export_rows, "duty.read"))
