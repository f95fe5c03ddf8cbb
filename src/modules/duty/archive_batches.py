"""A whole group's or station's archives of a year as one background job (an export of the exports
module, which records the job's progress): one zip of PDFs, one PDF per deputy, or one Excel sheet."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput, NotFound, PermissionDenied
from renda.modules.duty.archive_schemas import BatchIn
from renda.modules.duty.archives import Scope, check_year, persons_in
from renda.modules.duty.common import DutyCaller
from renda.modules.exports import service as exports
from renda.modules.exports.models import Export
from renda.modules.organisation import service as organisation
from renda.tenants.scoping import TenantAccess

BATCH_KIND, EXCEL_KIND = "duty_archive_batch", "duty_archives"
KINDS = (BATCH_KIND, EXCEL_KIND)


def _require_full(caller: DutyCaller) -> None:
    if not caller.full:
        raise PermissionDenied("只有本机关工作人员可以批量导出履职档案", code="duty_staff_only")


async def request_batch(session: AsyncSession, access: TenantAccess, caller: DutyCaller, data: BatchIn) -> Export:
    _require_full(caller)
    check_year(data.year)
    if (data.group_id is None) == (data.station_id is None):
        raise InvalidInput("请选择一个代表小组或一个家站室", code="batch_scope")
    if data.group_id is not None:
        name = (await organisation.get_group(session, data.group_id)).name
    else:
        assert data.station_id is not None
        name = (await organisation.get_station(session, data.station_id)).name
    if not await persons_in(session, data.year, Scope(group_id=data.group_id, station_id=data.station_id)):
        raise InvalidInput(f"{name}没有{data.year}年度在任的代表", code="batch_empty")
    params = {
        "year": data.year,
        "group_id": str(data.group_id) if data.group_id else None,
        "station_id": str(data.station_id) if data.station_id else None,
        "office": access.tenant.name,
        "scope_name": f"_{name}",
    }
    return await exports.request_export(session, access, BATCH_KIND if data.format == "zip" else EXCEL_KIND, params)


async def get_batch(session: AsyncSession, caller: DutyCaller, export_id: uuid.UUID) -> Export:
    _require_full(caller)
    export = await exports.get_export(session, export_id)
    if export.kind not in KINDS:
        raise NotFound("批量导出任务不存在", code="batch_not_found")
    return export


async def recent_batches(session: AsyncSession, limit: int = 5) -> list[Export]:
    query = select(Export).where(Export.kind.in_(KINDS)).order_by(Export.created_at.desc()).limit(limit)
    return list((await session.execute(query)).scalars())
