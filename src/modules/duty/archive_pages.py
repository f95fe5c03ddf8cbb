"""`/t/{code}/duty/archives/...`: the archive pages. 我的履职档案 is a deputy's own archive by year, made for
a phone; staff, committee members and viewers list the office's deputies of a year and open anyone's.
Staff correct a closed archive here, and start a group's or station's batch and follow its progress."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.deputies import service as deputies
from renda.modules.duty import archive_batches, archives
from renda.modules.duty.archive_content import SECTIONS
from renda.modules.duty.archive_routes import DEPENDENCIES, excel_response, pdf_response
from renda.modules.duty.archive_schemas import BatchIn, CorrectionIn
from renda.modules.duty.common import DutyCaller, require_deputy
from renda.modules.exports.models import STATUS_LABELS
from renda.tenants.scoping import TenantAccess
from renda.web.actions import page_again, run_form_action
from renda.web.forms import Form, form_fields, form_struct, form_value
from renda.web.pages import shell_context

READ, WRITE = requires("duty.read"), requires("duty.write")
URL_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
PAGE_SIZE = 30
FIELD_LABELS = {
    "year": "年度",
    "section": "档案部分",
    "content": "更正内容",
    "reason": "更正原因",
    "group_id": "代表小组",
    "station_id": "家站室",
    "format": "导出格式",
}


def _year(raw: str | None) -> int:
    if not raw:
        return local_today().year
    if not raw.isdigit():
        raise InvalidInput("年度无效", code="invalid_year")
    return archives.check_year(int(raw))


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


class ArchivePages(Controller):
    path = "/t/{code:str}/duty/archives"
    include_in_schema = False
    dependencies = DEPENDENCIES

    # --- the office's list (those who see every deputy) --------------------------------------------
    async def _list(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        caller: DutyCaller,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        params = request.query_params
        year = _year(params.get("year"))
        scope = archives.Scope(_uuid(params.get("group_id")), _uuid(params.get("station_id")), params.get("q") or None)
        raw = params.get("page", "1")
        page = int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1
        found = await archives.list_archives(db, caller, year, scope, page, PAGE_SIZE)
        choices = await deputies.filter_choices(db)
        context = {
            **await shell_context(request, access),
            "year": year,
            "years": list(range(local_today().year, archives.FIRST_YEAR - 1, -1))[:10],
            "scope": scope,
            "found": found,
            "pages": max(1, (found.total + PAGE_SIZE - 1) // PAGE_SIZE),
            "groups": choices["groups"],
            "stations": choices["stations"],
            "batches": await archive_batches.recent_batches(db),
            "export_labels": STATUS_LABELS,
            "caller": caller,
            **extra,
        }
        return Template("duty/archives.html", context=context, status_code=status)

    @get("/", guards=[READ])
    async def index(
        self, request: Request, db: AsyncSession, access: TenantAccess, caller: DutyCaller
    ) -> Template | Redirect:
        if not caller.full:
            require_deputy(caller)
            return Redirect(f"/t/{access.tenant.code}/duty/archives/mine")
        return await self._list(request, db, access, caller)

    # --- one archive ----------------------------------------------------------------------------------
    async def _archive(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        caller: DutyCaller,
        person_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        year = extra.pop("year", None) or _year(request.query_params.get("year"))
        view = await archives.read_archive(db, caller, access.tenant.name, person_id, year)
        own = person_id == caller.person_id
        context = {
            **await shell_context(request, access),
            "view": view,
            "a": view.content,
            "own": own,
            "years": await archives.years_of(db, caller, person_id),
            "base": f"/t/{access.tenant.code}/duty/archives/{'mine' if own and not caller.full else person_id}",
            "files": f"/t/{access.tenant.code}/duty/archives/{person_id}",
            "sections": SECTIONS,
            "caller": caller,
            **extra,
        }
        return Template("duty/archive.html", context=context, status_code=status)

    @get("/mine", guards=[READ])
    async def mine(self, request: Request, db: AsyncSession, access: TenantAccess, caller: DutyCaller) -> Template:
        """我的履职档案."""
        return await self._archive(request, db, access, caller, require_deputy(caller))

    @get("/{person_id:uuid}", guards=[READ])
    async def show(
        self, request: Request, db: AsyncSession, access: TenantAccess, caller: DutyCaller, person_id: uuid.UUID
    ) -> Template:
        return await self._archive(request, db, access, caller, person_id)

    @get("/{person_id:uuid}/archive.pdf", guards=[READ], media_type="application/pdf")
    async def pdf(
        self, request: Request, db: AsyncSession, access: TenantAccess, caller: DutyCaller, person_id: uuid.UUID
    ) -> Response[bytes]:
        year = _year(request.query_params.get("year"))
        return await pdf_response(await archives.read_archive(db, caller, access.tenant.name, person_id, year))

    @get("/{person_id:uuid}/archive.xlsx", guards=[READ])
    async def excel(
        self, request: Request, db: AsyncSession, access: TenantAccess, caller: DutyCaller, person_id: uuid.UUID
    ) -> Response[bytes]:
        year = _year(request.query_params.get("year"))
        return await excel_response(await archives.read_archive(db, caller, access.tenant.name, person_id, year))

    @post("/{person_id:uuid}/corrections", guards=[WRITE])
    async def correct(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        caller: DutyCaller,
        person_id: uuid.UUID,
        data: Form = URL_FORM,
    ) -> Template | Redirect:
        raw_year = form_value(data, "year")

        async def correct() -> int:
            fields = form_fields(data, "year", "section", "content", "reason")
            made = form_struct(fields, CorrectionIn, FIELD_LABELS)
            await archives.add_correction(db, caller, person_id, made.year, made.section, made.content, made.reason)
            return made.year

        year = int(raw_year) if raw_year and raw_year.isdigit() else None
        return await run_form_action(
            db,
            correct,
            redirect_to=lambda y: f"/t/{access.tenant.code}/duty/archives/{person_id}?year={y}#corrections",
            on_error=page_again(self._archive, request, db, access, caller, person_id, year=year, form=data),
        )

    # --- batches ---------------------------------------------------------------------------------------
    @post("/batches", guards=[requires("exports.write")])
    async def batch(
        self, request: Request, db: AsyncSession, access: TenantAccess, caller: DutyCaller, data: Form = URL_FORM
    ) -> Template | Redirect:
        """A group's or a station's archives of a year (`scope` is `group:<id>` or `station:<id>`)."""

        async def start() -> Any:
            kind, _, scope_id = (form_value(data, "scope") or "").partition(":")
            if kind not in ("group", "station"):
                raise InvalidInput("请选择一个代表小组或一个家站室", code="batch_scope")
            fields = {
                "year": form_value(data, "year"),
                f"{kind}_id": scope_id,
                "format": form_value(data, "format") or "zip",
            }
            return await archive_batches.request_batch(db, access, caller, form_struct(fields, BatchIn, FIELD_LABELS))

        return await run_form_action(
            db,
            start,
            redirect_to=lambda export: f"/t/{access.tenant.code}/duty/archives/batches/{export.id}",
            on_error=page_again(self._list, request, db, access, caller),
        )

    @get("/batches/{export_id:uuid}", guards=[READ])
    async def show_batch(
        self, request: Request, db: AsyncSession, access: TenantAccess, caller: DutyCaller, export_id: uuid.UUID
    ) -> Template:
        export = await archive_batches.get_batch(db, caller, export_id)
        context = {
            **await shell_context(request, access),
            "export": export,
            "status_label": STATUS_LABELS[export.status],
            "year": export.params.get("year"),
            "scope_name": str(export.params.get("scope_name") or "").lstrip("_"),
        }
        return Template("duty/archive_batch.html", context=context)


PAGES = [ArchivePages]
