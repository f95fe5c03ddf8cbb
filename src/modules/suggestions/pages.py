"""Staff pages of the suggestion drafts: `/t/{code}/suggestions` (list, new) and one draft (edit, withdraw)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError, InvalidInput
from renda.core.permissions import requires
from renda.modules.suggestions import service
from renda.modules.suggestions.handling_pages import SuggestionHandlingPages
from renda.modules.suggestions.models import DRAFT_STATUSES
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.forms import Form, form_value
from renda.web.pages import shell_context

READ, WRITE = requires("opinions.read"), requires("opinions.write")
PAGE_SIZE = 30


def _person(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput("所选代表无效", code="unknown_deputy") from None


class SuggestionPages(Controller):
    path = "/t/{code:str}/suggestions"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    async def _list(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        viewer = await service.caller_for(db, access)
        params = request.query_params
        chosen = params.get("status") or None
        if chosen not in DRAFT_STATUSES:
            chosen = None
        raw_page = params.get("page", "1")
        page = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
        found = await service.list_drafts(
            db, status=chosen, q=params.get("q"), reach=viewer.reach, page=page, page_size=PAGE_SIZE
        )
        context = {
            **await shell_context(request, access),
            "page": found,
            "items": await service.drafts_out(db, found.items),
            "statuses": DRAFT_STATUSES,
            "filters": {"status": chosen or "", "q": params.get("q") or ""},
            "can_edit": viewer.manage,
            "form": {},
            **extra,
        }
        return Template("suggestions/list.html", context=context, status_code=status)

    @get("/", guards=[READ])
    async def drafts(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._list(request, db, access)

    @post("/", guards=[WRITE])
    async def create(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        try:
            service.require_editor((await service.caller_for(db, access)).manage)
            draft = await service.create_draft(
                db,
                access.tenant,
                deputy_person_id=_person(form_value(data, "deputy_person_id")),
                title=form_value(data, "title") or "",
                content=form_value(data, "content") or "",
                source="staff",
                source_id=None,
            )
        except AppError as error:
            await db.rollback()
            return await self._list(request, db, access, status=error.status_code, error=error.message, form=data)
        return Redirect(f"/t/{access.tenant.code}/suggestions/{draft.id}")

    async def _detail(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        draft_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        viewer = await service.caller_for(db, access)
        draft = await service.get_draft(db, draft_id, viewer.reach)
        context = {
            **await shell_context(request, access),
            "d": (await service.drafts_out(db, [draft]))[0],
            "can_edit": viewer.manage and draft.status == "draft",
            **extra,
        }
        return Template("suggestions/detail.html", context=context, status_code=status)

    @get("/{draft_id:uuid}", guards=[READ])
    async def draft(self, request: Request, db: AsyncSession, access: TenantAccess, draft_id: uuid.UUID) -> Template:
        return await self._detail(request, db, access, draft_id)

    @post("/{draft_id:uuid}/edit", guards=[WRITE])
    async def edit(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        draft_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        viewer = await service.caller_for(db, access)
        draft = await service.get_draft(db, draft_id, viewer.reach)
        try:
            service.require_editor(viewer.manage)
            deputy = _person(form_value(data, "deputy_person_id"))
            await service.update_draft(
                db,
                draft,
                title=form_value(data, "title") or "",
                content=form_value(data, "content") or "",
                deputy_person_id=deputy,
                clear_deputy="deputy_person_id" in data and deputy is None,
            )
        except AppError as error:
            await db.rollback()
            return await self._detail(request, db, access, draft_id, status=error.status_code, error=error.message)
        return Redirect(f"/t/{access.tenant.code}/suggestions/{draft_id}")

    @post("/{draft_id:uuid}/withdraw", guards=[WRITE])
    async def withdraw(
        self, request: Request, db: AsyncSession, access: TenantAccess, draft_id: uuid.UUID
    ) -> Template | Redirect:
        viewer = await service.caller_for(db, access)
        draft = await service.get_draft(db, draft_id, viewer.reach)
        try:
            service.require_editor(viewer.manage)
            await service.withdraw_draft(db, draft)
        except AppError as error:
            await db.rollback()
            return await self._detail(request, db, access, draft_id, status=error.status_code, error=error.message)
        return Redirect(f"/t/{access.tenant.code}/suggestions/{draft_id}")


PAGES = [SuggestionPages, SuggestionHandlingPages]
