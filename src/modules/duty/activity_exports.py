"""The Excel sign-in sheet of an activity (签到表): every deputy recorded, with how and by whom.

Registered on import of the package, which the web app and the worker both do; requested by those who
may export (`exports.write`), built by the worker as the office.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.core.timezone import to_local
from renda.modules.duty.activities import get_activity
from renda.modules.duty.attendance import list_attendance
from renda.modules.duty.models import ACTIVITY_KINDS

ATTENDANCE_KIND = "duty_attendance"
ATTENDANCE_HEADERS = [
    "活动名称",
    "活动类型",
    "活动时间",
    "姓名",
    "代表小组",
    "出席情况",
    "登记方式",
    "备注",
    "登记人",
    "登记时间",
]


def attendance_params(activity_id: uuid.UUID) -> dict[str, Any]:
    return {"activity_id": str(activity_id)}


def _activity_id(params: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(params.get("activity_id")))
    except ValueError:
        raise InvalidInput("请指定要导出签到表的活动", code="activity_required") from None


async def attendance_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    activity = await get_activity(session, _activity_id(params))
    when = f"{to_local(activity.starts_at):%Y-%m-%d %H:%M} 至 {to_local(activity.ends_at):%Y-%m-%d %H:%M}"
    for row in await list_attendance(session, activity):
        yield [
            activity.title,
            ACTIVITY_KINDS[activity.kind],
            when,
            row.name,
            row.group_name or "",
            row.status_label,
            row.source_label,
            row.note,
            row.recorded_by.split(":", 2)[-1],
            f"{to_local(row.recorded_at):%Y-%m-%d %H:%M}",
        ]


def register_exports() -> None:
    from renda.modules.exports.service import ExportKind, register_export

    register_export(ExportKind(ATTENDANCE_KIND, "履职活动签到表", ATTENDANCE_HEADERS, attendance_rows, "duty.read"))
