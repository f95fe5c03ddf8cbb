"""`/api/v1/t/{code}/duty/archives/...`: the yearly archives (一人一档、一年一归档).

Reading: a deputy reads their own archives, staff, committee members and viewers any deputy's. Writing:
staff add a correction to a closed archive and may close a year by hand; those who see every deputy
start a batch export of a group's or station's archives.
"""

from __future__ import annotations

import uuid

from litestar import Controller, Response, get, post
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.duty import archive_batches, archive_render, archives
from renda.modules.duty.archive_schemas import (
    ArchiveItem,
    ArchiveOut,
    ArchivePage,
    BatchIn,
    BatchOut,
    CloseIn,
    CloseOut,
    CorrectionIn,
    CorrectionItem,
    MyArchives,
    YearItem,
)
from renda.modules.duty.common import DutyCaller, duty_caller_for, require_deputy, require_manage
from renda.modules.exports import service as exports
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess

READ, WRITE = requires("duty.read"), requires("duty.write")
# Starting a batch makes an export, as every module's export does (staff, committee members, viewers).
PDF = "application/pdf"


async def provide_caller(db: AsyncSession, access: TenantAccess) -> DutyCaller:
    return await duty_caller_for(db, access)


DEPENDENCIES = {**TENANT_DEPENDENCIES, "caller": Provide(provide_caller)}


async def pdf_response(view: archives.ArchiveView) -> Response[bytes]:
    headers = {
        "Content-Disposition": archive_render.disposition(archive_render.filename(view, "pdf"), "archive.pdf"),
        "Cache-Control": "private, no-store",
    }
    return Response(await archive_render.pdf_of(view), media_type=PDF, headers=headers)


async def excel_response(view: archives.ArchiveView) -> Response[bytes]:
    book = await exports.workbook(
        archive_render.EXCEL_LABEL, archive_render.EXCEL_HEADERS, archive_render.excel_rows(view)
    )
    headers = {
        "Content-Disposition": archive_render.disposition(archive_render.filename(view, "xlsx"), "archive.xlsx"),
        "Cache-Control": "private, no-store",
    }
    return Response(book.content, media_type=exports.media_type_of("x.xlsx"), headers=headers)


class ArchiveController(Controller):
    path = "/api/v1/t/{code:str}/duty/archives"
    tags = ["履职档案"]
    dependencies = DEPENDENCIES

    @get("/", guards=[READ])
    async def list_archives(
        self,
        db: AsyncSession,
        caller: DutyCaller,
        year: int | None = None,
        group_id: uuid.UUID | None = None,
        station_id: uuid.UUID | None = None,
        q: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> ArchivePage:
        """The office's deputies of a year (this year by default) and whether each archive is closed."""
        scope = archives.Scope(group_id, station_id, q)
        found = await archives.list_archives(db, caller, year or local_today().year, scope, page, page_size)
        return ArchivePage([ArchiveItem.of(r) for r in found.items], found.total, found.page, found.page_size)

    @get("/mine", guards=[READ])
    async def mine(self, db: AsyncSession, caller: DutyCaller) -> MyArchives:
        """我的履职档案: the caller's years, newest first."""
        person_id = require_deputy(caller)
        return MyArchives(person_id, [YearItem.of(y) for y in await archives.years_of(db, caller, person_id)])

    @get("/{person_id:uuid}", guards=[READ])
    async def show(
        self, db: AsyncSession, access: TenantAccess, caller: DutyCaller, person_id: uuid.UUID, year: int | None = None
    ) -> ArchiveOut:
        view = await archives.read_archive(db, caller, access.tenant.name, person_id, year or local_today().year)
        return ArchiveOut.of(view)

    @get("/{person_id:uuid}/archive.pdf", guards=[READ], media_type=PDF)
    async def pdf(
        self, db: AsyncSession, access: TenantAccess, caller: DutyCaller, person_id: uuid.UUID, year: int | None = None
    ) -> Response[bytes]:
        view = await archives.read_archive(db, caller, access.tenant.name, person_id, year or local_today().year)
        return await pdf_response(view)

    @get("/{person_id:uuid}/archive.xlsx", guards=[READ], media_type=exports.MEDIA_TYPES["xlsx"])
    async def excel(
        self, db: AsyncSession, access: TenantAccess, caller: DutyCaller, person_id: uuid.UUID, year: int | None = None
    ) -> Response[bytes]:
        view = await archives.read_archive(db, caller, access.tenant.name, person_id, year or local_today().year)
        return await excel_response(view)

    @post("/{person_id:uuid}/corrections", guards=[WRITE], status_code=201)
    async def correct(
        self, db: AsyncSession, caller: DutyCaller, person_id: uuid.UUID, data: CorrectionIn
    ) -> CorrectionItem:
        """A correction of a closed archive (staff): shown with it; its frozen content stays as it was."""
        made = await archives.add_correction(db, caller, person_id, data.year, data.section, data.content, data.reason)
        return CorrectionItem.of(made)

    @post("/close", guards=[WRITE], status_code=200)
    async def close(self, db: AsyncSession, access: TenantAccess, caller: DutyCaller, data: CloseIn) -> CloseOut:
        """Close a year that has ended by hand (the job does it on 1 January): what is closed stays so."""
        require_manage(caller)
        return CloseOut(data.year, await archives.close_year(db, access.tenant.name, data.year))

    @post("/batches", guards=[requires("exports.write")], status_code=202)
    async def batch(self, db: AsyncSession, access: TenantAccess, caller: DutyCaller, data: BatchIn) -> BatchOut:
        """A group's or a station's archives of a year as one job; follow it at `/batches/{id}`, download
        it from `/api/v1/t/{code}/exports/{id}/file`."""
        return BatchOut.of(await archive_batches.request_batch(db, access, caller, data))

    @get("/batches/{export_id:uuid}", guards=[READ])
    async def show_batch(self, db: AsyncSession, caller: DutyCaller, export_id: uuid.UUID) -> BatchOut:
        return BatchOut.of(await archive_batches.get_batch(db, caller, export_id))


ROUTES = [ArchiveController]
