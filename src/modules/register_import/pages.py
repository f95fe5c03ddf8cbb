"""The register's import page (代表名册导入)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError
from renda.core.permissions import requires
from renda.modules.register_import import service
from renda.modules.register_import.routes import BODY_LIMIT
from renda.modules.register_import.schemas import IMPORT_MODES
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.actions import refusal
from renda.web.pages import shell_context


class RegisterImportPages(Controller):
    path = "/t/{code:str}/deputies/import"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    async def _page(self, request: Request, access: TenantAccess, status: int = 200, **extra: Any) -> Template:
        context = {
            **await shell_context(request, access),
            "modes": IMPORT_MODES,
            "max_rows": service.MAX_ROWS,
            "max_mb": service.MAX_BYTES // (1024 * 1024),
            **extra,
        }
        return Template("register_import/import.html", context=context, status_code=status)

    @get("/", guards=[requires("deputies.write")])
    async def form(self, request: Request, access: TenantAccess) -> Template:
        return await self._page(request, access)

    @post("/", guards=[requires("deputies.write")], request_max_body_size=BODY_LIMIT)
    async def upload(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.MULTI_PART),
    ) -> Template:
        mode = str(data.get("mode") or "all")
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            return await self._page(request, access, 400, error="请选择要导入的 Excel 文件", mode=mode)
        try:
            result = await service.import_register(db, await upload.read(), mode)
        except AppError as error:
            return await self._page(request, access, 400, error=await refusal(error, request), mode=mode)
        failed = bool(result.error_count) and not result.imported_rows
        return await self._page(request, access, 400 if failed else 200, result=result, failed=failed, mode=mode)


PAGES = [RegisterImportPages]
