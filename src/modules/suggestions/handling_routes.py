"""`/api/v1/t/{code}/suggestions/...` of the handling part: the office's settings, assignment (交办),
the units' requests and the staff's decisions, the three meetings, co-handlers' opinions, the reply,
the reply letter (PDF), a unit's 我的承办 list and the staff's requests."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import anyio
from litestar import Controller, Request, Response, get, post, put
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.core.permissions import requires
from renda.modules.suggestions import assignment, handling, letters, views, worklists
from renda.modules.suggestions import settings as office_settings
from renda.modules.suggestions.common import LoopCaller, get_suggestion, load_settings, loop_caller_for, require_manage
from renda.modules.suggestions.models import REQUEST_STATUSES, Suggestion
from renda.modules.suggestions.schemas import (
    AssignIn,
    DecisionIn,
    HandlingOut,
    MeetingIn,
    OpinionIn,
    ReplyIn,
    RequestIn,
    RequestOut,
    RequestPage,
    SettingsIn,
    SettingsOut,
    UnitItemPage,
)
from renda.modules.units import service as units
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.pdf import render_pdf

READ, WRITE = requires("suggestions.read"), requires("suggestions.write")


async def provide_caller(db: AsyncSession, access: TenantAccess) -> LoopCaller:
    return await loop_caller_for(db, access)


async def provide_item(db: AsyncSession, caller: LoopCaller, suggestion_id: uuid.UUID) -> Suggestion:
    """The suggestion the path names, locked: another unit's or office's answers 404 before the body is read."""
    return await get_suggestion(db, caller, suggestion_id, for_update=True)


class HandlingController(Controller):
    path = "/api/v1/t/{code:str}/suggestions"
    tags = ["代表建议办理"]
    dependencies = {**TENANT_DEPENDENCIES, "caller": Provide(provide_caller), "item": Provide(provide_item)}

    # --- settings ---------------------------------------------------------------------------------
    @get("/settings", guards=[READ])
    async def show_settings(self, db: AsyncSession) -> SettingsOut:
        return office_settings.settings_out(await load_settings(db))

    @put("/settings", guards=[WRITE])
    async def update_settings(self, db: AsyncSession, caller: LoopCaller, data: SettingsIn) -> SettingsOut:
        return office_settings.settings_out(await office_settings.update_settings(db, caller, data))

    # --- one suggestion's handling ----------------------------------------------------------------
    @get("/items/{suggestion_id:uuid}/handling", guards=[READ])
    async def show_handling(self, db: AsyncSession, caller: LoopCaller, suggestion_id: uuid.UUID) -> HandlingOut:
        return await views.handling_out(db, caller, await get_suggestion(db, caller, suggestion_id))

    @post("/items/{suggestion_id:uuid}/assignment", guards=[WRITE], status_code=200)
    async def assign(
        self, db: AsyncSession, access: TenantAccess, caller: LoopCaller, item: Suggestion, data: AssignIn
    ) -> HandlingOut:
        await assignment.assign(
            db,
            caller,
            access.tenant,
            item,
            lead_unit_id=data.lead_unit_id,
            co_unit_ids=data.co_unit_ids,
            broad=data.broad,
            note=data.note,
        )
        return await views.handling_out(db, caller, item)

    @post("/items/{suggestion_id:uuid}/requests", guards=[WRITE], status_code=201)
    async def request_change(
        self, db: AsyncSession, access: TenantAccess, caller: LoopCaller, item: Suggestion, data: RequestIn
    ) -> RequestOut:
        made = await assignment.request_change(
            db, caller, access.tenant, item, kind=data.kind, reason=data.reason, new_deadline=data.new_deadline
        )
        return views.requests_out([made], await units.unit_names(db, [made.unit_id]))[0]

    @post("/items/{suggestion_id:uuid}/requests/{request_id:uuid}/decision", guards=[WRITE], status_code=200)
    async def decide(
        self,
        db: AsyncSession,
        access: TenantAccess,
        caller: LoopCaller,
        item: Suggestion,
        request_id: uuid.UUID,
        data: DecisionIn,
    ) -> HandlingOut:
        require_manage(caller)
        found = await assignment.get_request(db, item, request_id)
        await assignment.decide(
            db,
            caller,
            access.tenant,
            item,
            found,
            approve=data.approve,
            note=data.note,
            new_unit_id=data.new_unit_id,
            new_deadline=data.new_deadline,
        )
        return await views.handling_out(db, caller, item)

    @post("/items/{suggestion_id:uuid}/meetings", guards=[WRITE], status_code=200)
    async def record_meeting(
        self, db: AsyncSession, caller: LoopCaller, item: Suggestion, data: MeetingIn
    ) -> HandlingOut:
        await handling.record_meeting(
            db, caller, item, stage=data.stage, held_on=data.held_on, form=data.form, note=data.note
        )
        return await views.handling_out(db, caller, item)

    @post("/items/{suggestion_id:uuid}/opinion", guards=[WRITE], status_code=200)
    async def give_opinion(
        self, db: AsyncSession, caller: LoopCaller, item: Suggestion, data: OpinionIn
    ) -> HandlingOut:
        await handling.give_opinion(db, caller, item, opinion=data.opinion, unit_id=data.unit_id)
        return await views.handling_out(db, caller, item)

    @post("/items/{suggestion_id:uuid}/reply", guards=[WRITE], status_code=200)
    async def reply(
        self, db: AsyncSession, access: TenantAccess, caller: LoopCaller, item: Suggestion, data: ReplyIn
    ) -> HandlingOut:
        await handling.reply(
            db,
            caller,
            access.tenant,
            item,
            reply_class=data.reply_class,
            reply_text=data.reply_text,
            reply_commitments=data.reply_commitments,
        )
        return await views.handling_out(db, caller, item)

    @get("/items/{suggestion_id:uuid}/letter.pdf", guards=[READ])
    async def letter(
        self, request: Request, db: AsyncSession, access: TenantAccess, caller: LoopCaller, suggestion_id: uuid.UUID
    ) -> Response[bytes]:
        return await letter_response(request, db, access, await get_suggestion(db, caller, suggestion_id))

    # --- lists ------------------------------------------------------------------------------------
    @get("/units/items", guards=[READ])
    async def unit_items(
        self, db: AsyncSession, caller: LoopCaller, open_only: bool = False, page: int = 1, page_size: int = 20
    ) -> UnitItemPage:
        found = await worklists.unit_items(db, caller, open_only=open_only, page=page, page_size=page_size)
        return UnitItemPage(found.items, found.total, found.page, found.page_size)

    @get("/requests", guards=[READ])
    async def requests(
        self, db: AsyncSession, caller: LoopCaller, status: str | None = None, page: int = 1, page_size: int = 20
    ) -> RequestPage:
        require_manage(caller)
        if status is not None and status not in REQUEST_STATUSES:
            raise InvalidInput("申请状态无效", code="invalid_status")
        found = await worklists.pending_requests(db, status=status, page=page, page_size=page_size)
        return RequestPage(found.items, found.total, found.page, found.page_size)


async def letter_response(
    request: Request, db: AsyncSession, access: TenantAccess, item: Suggestion
) -> Response[bytes]:
    context = await letters.letter_context(db, access.tenant, item)
    engine = request.app.template_engine
    assert engine is not None  # the app is built with its templates
    html = engine.get_template(letters.LETTER_TEMPLATE).render(**context)
    pdf = await anyio.to_thread.run_sync(render_pdf, html)
    filename = quote(letters.letter_filename(context))
    headers = {
        "Content-Disposition": f"inline; filename=\"reply-letter.pdf\"; filename*=UTF-8''{filename}",
        "Cache-Control": "private, no-store",
    }
    return Response(pdf, media_type="application/pdf", headers=headers)


ROUTES = [HandlingController]
