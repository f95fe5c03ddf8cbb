"""The Excel export of the store's redemptions (兑换记录), as filtered on the history page.

Registered on import of the package (see `renda.modules.duty.__init__`), which the web app and the
worker both do; the worker builds it as the office, so the filter is checked when it is requested.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import read_rows
from renda.core.errors import InvalidInput
from renda.core.timezone import to_local
from renda.modules.duty.models import REDEMPTION_STATUSES
from renda.modules.duty.store_redemptions import RedemptionFilter, check_filter, redemptions_query

REDEMPTIONS_KIND = "duty_redemptions"
HEADERS = ["兑换时间", "代表", "兑换物品", "数量", "所用积分", "积分年度", "状态", "办理人", "办理时间", "备注"]
FILTER_KEYS = ("status", "points_year")


def parse_filter(params: dict[str, Any]) -> RedemptionFilter:
    """The page's filter (text) as a filter of the list; a bad value is refused."""
    status = params.get("status") or None
    raw_year = params.get("points_year") or None
    try:
        points_year = int(raw_year) if raw_year is not None else None
    except ValueError:
        raise InvalidInput("积分年度无效", code="invalid_year") from None
    check_filter(status, points_year)
    return RedemptionFilter(status=status, points_year=points_year)


def _actor_name(actor: str | None) -> str:
    return actor.split(":", 2)[-1] if actor else ""


async def export_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    for row in await read_rows(session, redemptions_query(parse_filter(params))):
        yield [
            f"{to_local(row.requested_at):%Y-%m-%d %H:%M}",
            row.person_name,
            row.item_name,
            row.quantity,
            row.points,
            row.points_year,
            REDEMPTION_STATUSES[row.status],
            _actor_name(row.handled_by),
            f"{to_local(row.handled_at):%Y-%m-%d %H:%M}" if row.handled_at else "",
            row.note,
        ]


def register_exports() -> None:
    from renda.modules.exports.service import ExportKind, register_export

    register_export(ExportKind(REDEMPTIONS_KIND, "积分兑换记录", HEADERS, export_rows, "duty.read"))
