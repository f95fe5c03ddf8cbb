"""Excel exports of an office: request, follow, download."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from litestar import Controller, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import Conflict
from renda.core.permissions import requires
from renda.modules.exports import service
from renda.modules.exports.models import ExportStatus
from renda.modules.exports.schemas import ExportOut, ExportPage, ExportRequest
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportController(Controller):
    path = "/api/v1/t/{code:str}/exports"
    tags = ["导出"]
    dependencies = TENANT_DEPENDENCIES

    @post("/", guards=[requires("exports.write")], status_code=202)
    async def request_export(self, db: AsyncSession, access: TenantAccess, data: ExportRequest) -> ExportOut:
        return ExportOut.of(await service.request_export(db, access, data.kind, data.params))

    @get("/", guards=[requires("exports.read")])
    async def list_exports(self, db: AsyncSession, page: int = 1, page_size: int = 20) -> ExportPage:
        result = await service.list_exports(db, page, page_size)
        return ExportPage([ExportOut.of(e) for e in result.items], result.total, result.page, result.page_size)

    @get("/{export_id:uuid}", guards=[requires("exports.read")])
    async def show_export(self, db: AsyncSession, export_id: uuid.UUID) -> ExportOut:
        return ExportOut.of(await service.get_export(db, export_id))

    @get("/{export_id:uuid}/file", guards=[requires("exports.read")], media_type=XLSX)
    async def download(self, db: AsyncSession, export_id: uuid.UUID) -> Response[bytes]:
        export = await service.get_export(db, export_id, with_content=True)
        if export.status != ExportStatus.DONE or export.content is None:
            raise Conflict("导出文件尚未生成完毕", code="export_not_ready")
        return Response(
            export.content,
            media_type=service.media_type_of(export.filename),
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(export.filename or 'export.xlsx')}"},
        )


ROUTES = [ExportController]
