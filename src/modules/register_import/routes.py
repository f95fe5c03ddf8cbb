"""Excel import API: the template, the upload, the error report."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import error_body
from renda.core.permissions import requires
from renda.modules.register_import import service
from renda.modules.register_import.schemas import ImportResult
from renda.tenants.scoping import provide_tenant_session

# The multipart envelope around the file.
BODY_LIMIT = service.MAX_BYTES + 64 * 1024


def xlsx_response(content: bytes, filename: str) -> Response[bytes]:
    return Response(
        content,
        media_type=service.XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def failed_import(result: ImportResult) -> Response[dict[str, object]]:
    """Nothing was imported: a 400 with every row's problem (the report stays downloadable)."""
    invalid = result.total_rows - result.valid_rows
    message = f"有 {invalid} 行数据不符合要求,未导入任何数据。请下载错误报告修改后重新导入"
    if result.mode == "all" and result.valid_rows:
        message += ",或选择“仅导入无误的行”"
    return Response(error_body("import_rows_invalid", message, result), status_code=400)


class RegisterImportController(Controller):
    path = "/api/v1/t/{code:str}/register/import"
    tags = ["代表名册导入"]
    dependencies = {"db": Provide(provide_tenant_session)}

    @get("/template", guards=[requires("deputies.write")], media_type=service.XLSX)
    async def template(self, db: AsyncSession) -> Response[bytes]:
        """The .xlsx template, with this office's congresses in the drop-down list."""
        return xlsx_response(await service.template(db), "代表名册导入模板.xlsx")

    @post("/", guards=[requires("deputies.write")], request_max_body_size=BODY_LIMIT, status_code=201)
    async def upload(
        self,
        db: AsyncSession,
        data: UploadFile = Body(media_type=RequestEncodingType.MULTI_PART),
        mode: str = Parameter(default="all", description="all:有误则全部不导入;valid_only:仅导入无误的行"),
    ) -> Response[ImportResult] | Response[dict[str, object]]:
        """Import the rows of an .xlsx made from the template (multipart field `file`)."""
        result = await service.import_register(db, await data.read(), mode)
        if result.error_count and not result.imported_rows:
            return failed_import(result)
        return Response(result, status_code=201)

    @get("/reports/{export_id:uuid}", guards=[requires("deputies.write")], media_type=service.XLSX)
    async def report(self, db: AsyncSession, export_id: uuid.UUID) -> Response[bytes]:
        report = await service.get_report(db, export_id)
        return xlsx_response(report.content or b"", report.filename or "导入错误报告.xlsx")


ROUTES = [RegisterImportController]
