"""Excel exports of the group and station lists (registered in tasks.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeVar

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.modules.deputies import service as register
from renda.modules.organisation import repository as repo
from renda.modules.organisation.groups import groups_out
from renda.modules.organisation.refs import group_member_names, station_deputy_names
from renda.modules.organisation.schemas import (
    GroupFilter,
    StationFilter,
)
from renda.modules.organisation.stations import station_out

F = TypeVar("F", GroupFilter, StationFilter)

# --- Excel exports (registered in tasks.py) -------------------------------------------------------
GROUP_EXPORT_HEADERS = ["小组名称", "类型", "乡镇(街道)", "组长", "成员人数", "成员名单"]
STATION_EXPORT_HEADERS = [
    "名称",
    "类型",
    "乡镇(街道)",
    "地址",
    "接待日",
    "开放规则",
    "状态",
    "进站代表人数",
    "进站代表",
]


def _filters(params: dict[str, Any], kind: type[F]) -> F:
    try:
        return msgspec.convert(params or {}, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"导出条件无效:{exc}", code="invalid_export_params") from exc


async def export_group_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    groups = list((await session.execute(repo.groups_query(_filters(params, GroupFilter)))).scalars())
    members = await group_member_names(session, [g.id for g in groups])
    townships = await register.township_names(session, {g.township_code for g in groups if g.township_code})
    for out in await groups_out(session, groups):
        names = members.get(out.id, [])
        yield [
            out.name,
            out.kind_label,
            townships.get(out.township_code, "") if out.township_code else "",
            out.leader.name if out.leader else "",
            out.member_count,
            "、".join(names),
        ]


async def export_station_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    stations = list((await session.execute(repo.stations_query(_filters(params, StationFilter)))).scalars())
    names = await station_deputy_names(session, [s.id for s in stations])
    townships = await register.township_names(session, {s.township_code for s in stations if s.township_code})
    for station in stations:
        out = station_out(station, len(names.get(station.id, [])))
        yield [
            out.name,
            out.kind_label,
            townships.get(out.township_code, "") if out.township_code else "",
            out.address or "",
            out.reception_label,
            out.opening_rules or "",
            "启用" if out.is_active else "停用",
            out.deputy_count,
            "、".join(names.get(station.id, [])),
        ]
