"""Pages of the handling part: a unit's 我的承办 (phone first), one suggestion's handling with the forms
each caller may use (staff: assignment and request decisions; the lead unit: meetings, the reply,
extension; co-handlers: their opinion; any unit of the round: reassignment), the staff's requests waiting,
and the office's settings. Forms convert to the API's request types and share their rules."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError, InvalidInput
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.suggestions import assignment, handling, views
from renda.modules.suggestions import settings as office_settings
from renda.modules.suggestions.common import (
    LoopCaller,
    get_suggestion,
    load_settings,
    loop_caller_for,
    require_manage,
)
from renda.modules.suggestions.handling_routes import letter_response
from renda.modules.suggestions.models import MEETING_FORMS, MEETING_STAGES, REPLY_CLASSES, Suggestion
from renda.modules.suggestions.schemas import SettingsIn
from renda.modules.units import service as units
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.forms import Form, form_struct, form_value, form_values
from renda.web.pages import shell_context

READ, WRITE = requires("suggestions.read"), requires("suggestions.write")
PAGE_SIZE = 30
URL_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
SETTINGS_LABELS = {field: label for field, (label, *_rest) in office_settings.BOUNDS.items()} | {
    "public_fields": "公开栏显示的内容"
}


def _uuid(value: str | None, message: str, code: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(message, code=code) from None


def _date(value: str | None, message: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(message, code="invalid_date") from None


class SuggestionHandlingPages(Controller):
    path = "/t/{code:str}/suggestions"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    # --- 我的承办 ---------------------------------------------------------------------------------
    @get("/units/items", guards=[READ])
    async def my_items(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        caller = await loop_caller_for(db, access)
        raw = request.query_params.get("page", "1")
        page = int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1
        open_only = request.query_params.get("all") != "1"
        found = await views.unit_items(db, caller, open_only=open_only, page=page, page_size=PAGE_SIZE)
        context = {
            **await shell_context(request, access),
            "page": found,
            "items": found.items,
            "open_only": open_only,
            "is_unit": bool(caller.unit_ids),
        }
        return Template("suggestions/unit_items.html", context=context)

    # --- one suggestion's handling ----------------------------------------------------------------
    async def _handling(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        caller = await loop_caller_for(db, access)
        item = await get_suggestion(db, caller, suggestion_id)
        shown = await views.handling_out(db, caller, item)
        pickers = [u for u in await units.list_unit_rows(db) if u.is_active] if caller.manage else []
        handling_ids = {u.unit_id for u in shown.units if u.round == item.round and u.withdrawn_at is None}
        context = {
            **await shell_context(request, access),
            "s": shown,
            "item": item,
            "caller": caller,
            "unit_choices": pickers,
            "other_units": [u for u in pickers if u.id not in handling_ids],
            "stages": MEETING_STAGES,
            "forms": MEETING_FORMS,
            "classes": REPLY_CLASSES,
            "today": local_today(),
            "settings": await load_settings(db),
            "form": {},
            **extra,
        }
        return Template("suggestions/handling.html", context=context, status_code=status)

    @get("/items/{suggestion_id:uuid}/handling", guards=[READ])
    async def show(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
    ) -> Template:
        return await self._handling(request, db, access, suggestion_id)

    @get("/items/{suggestion_id:uuid}/letter.pdf", guards=[READ])
    async def letter(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
    ) -> Response[bytes]:
        caller = await loop_caller_for(db, access)
        return await letter_response(request, db, access, await get_suggestion(db, caller, suggestion_id))

    async def _act(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        data: Form,
        action: Any,
    ) -> Template | Redirect:
        """Load the suggestion (404 first), run `action(caller, item)`; an error shows the page again."""
        caller = await loop_caller_for(db, access)
        item = await get_suggestion(db, caller, suggestion_id, for_update=True)
        try:
            await action(caller, item)
        except AppError as error:
            await db.rollback()
            return await self._handling(
                request, db, access, suggestion_id, status=error.status_code, error=error.message, form=data
            )
        return Redirect(f"/t/{access.tenant.code}/suggestions/items/{suggestion_id}/handling")

    @post("/items/{suggestion_id:uuid}/assignment", guards=[WRITE])
    async def assign(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, item: Suggestion) -> None:
            lead = _uuid(form_value(data, "lead_unit_id"), "请选择主办单位", "lead_unit_required")
            if lead is None:
                raise InvalidInput("请选择主办单位", code="lead_unit_required")
            co = [_uuid(v, "所选协办单位无效", "unknown_unit") for v in form_values(data, "co_unit_ids")]
            await assignment.assign(
                db,
                caller,
                access.tenant,
                item,
                lead_unit_id=lead,
                co_unit_ids=[c for c in co if c is not None],
                broad=form_value(data, "broad") == "1",
                note=form_value(data, "note"),
            )

        return await self._act(request, db, access, suggestion_id, data, action)

    @post("/items/{suggestion_id:uuid}/requests", guards=[WRITE])
    async def request_change(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, item: Suggestion) -> None:
            await assignment.request_change(
                db,
                caller,
                access.tenant,
                item,
                kind=form_value(data, "kind") or "",
                reason=form_value(data, "reason"),
                new_deadline=_date(form_value(data, "new_deadline"), "延期后的期限无效"),
            )

        return await self._act(request, db, access, suggestion_id, data, action)

    @post("/items/{suggestion_id:uuid}/requests/{request_id:uuid}/decision", guards=[WRITE])
    async def decide(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        request_id: uuid.UUID,
        data: Form = URL_FORM,
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, item: Suggestion) -> None:
            require_manage(caller)
            found = await assignment.get_request(db, item, request_id)
            await assignment.decide(
                db,
                caller,
                access.tenant,
                item,
                found,
                approve=form_value(data, "approve") == "1",
                note=form_value(data, "note"),
                new_unit_id=_uuid(form_value(data, "new_unit_id"), "所选承办单位无效", "unknown_unit"),
                new_deadline=_date(form_value(data, "new_deadline"), "办理期限无效"),
            )

        return await self._act(request, db, access, suggestion_id, data, action)

    @post("/items/{suggestion_id:uuid}/meetings", guards=[WRITE])
    async def record_meeting(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, item: Suggestion) -> None:
            held_on = _date(form_value(data, "held_on"), "见面日期无效")
            if held_on is None:
                raise InvalidInput("请填写见面日期", code="held_on_required")
            await handling.record_meeting(
                db,
                caller,
                item,
                stage=form_value(data, "stage") or "",
                held_on=held_on,
                form=form_value(data, "form") or "",
                note=form_value(data, "note"),
            )

        return await self._act(request, db, access, suggestion_id, data, action)

    @post("/items/{suggestion_id:uuid}/opinion", guards=[WRITE])
    async def give_opinion(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, item: Suggestion) -> None:
            await handling.give_opinion(
                db,
                caller,
                item,
                opinion=form_value(data, "opinion"),
                unit_id=_uuid(form_value(data, "unit_id"), "所选协办单位无效", "unknown_unit"),
            )

        return await self._act(request, db, access, suggestion_id, data, action)

    @post("/items/{suggestion_id:uuid}/reply", guards=[WRITE])
    async def reply(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, item: Suggestion) -> None:
            await handling.reply(
                db,
                caller,
                access.tenant,
                item,
                reply_class=form_value(data, "reply_class"),
                reply_text=form_value(data, "reply_text"),
                reply_commitments=form_value(data, "reply_commitments"),
            )

        return await self._act(request, db, access, suggestion_id, data, action)

    # --- the staff's requests waiting, and the settings ---------------------------------------------
    @get("/requests", guards=[READ])
    async def requests(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        require_manage(await loop_caller_for(db, access))
        raw = request.query_params.get("page", "1")
        page = int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1
        found = await views.pending_requests(db, status="pending", page=page, page_size=PAGE_SIZE)
        titles = await views.suggestion_titles(db, [r.suggestion_id for r in found.items])
        context = {**await shell_context(request, access), "page": found, "items": found.items, "titles": titles}
        return Template("suggestions/requests.html", context=context)

    async def _settings(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await loop_caller_for(db, access)
        context = {
            **await shell_context(request, access),
            "s": office_settings.settings_out(await load_settings(db)),
            "bounds": office_settings.BOUNDS,
            "public_fields": office_settings.PUBLIC_FIELDS,
            "can_edit": caller.manage,
            **extra,
        }
        return Template("suggestions/settings.html", context=context, status_code=status)

    @get("/settings", guards=[READ])
    async def settings_page(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._settings(request, db, access)

    @post("/settings", guards=[WRITE])
    async def save_settings(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        try:
            fields: dict[str, Any] = {k: form_value(data, k) for k in office_settings.BOUNDS if form_value(data, k)}
            for flag in ("extension_needs_approval", "share_similar", "public_board"):
                if flag in data:
                    fields[flag] = form_value(data, flag) == "1"
            if "public_fields_sent" in data:
                fields["public_fields"] = form_values(data, "public_fields")
            changes = form_struct(fields, SettingsIn, SETTINGS_LABELS)
            await office_settings.update_settings(db, await loop_caller_for(db, access), changes)
        except AppError as error:
            await db.rollback()
            return await self._settings(request, db, access, status=error.status_code, error=error.message)
        return Redirect(f"/t/{access.tenant.code}/suggestions/settings?saved=1")


PAGES = [SuggestionHandlingPages]
