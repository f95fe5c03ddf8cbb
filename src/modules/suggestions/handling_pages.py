"""Pages of the handling part: a unit's 我的承办 (phone first), one suggestion's handling with the forms
each caller may use (staff: assignment and request decisions; the lead unit: meetings, the reply,
extension; co-handlers: their opinion; any unit of the round: reassignment), the staff's requests waiting,
and the office's settings. The forms on one suggestion are the table `HANDLING_ACTIONS`."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.suggestions import assignment, handling, views, worklists
from renda.modules.suggestions import settings as office_settings
from renda.modules.suggestions.common import LoopCaller, load_settings, loop_caller_for, require_manage
from renda.modules.suggestions.handling_routes import letter_response
from renda.modules.suggestions.models import MEETING_FORMS, MEETING_STAGES, REPLY_CLASSES, Suggestion
from renda.modules.suggestions.page_actions import (
    URL_FORM,
    ItemAction,
    ItemPage,
    ItemPagesBase,
    day,
    flag,
    ids,
    office,
    one_id,
    parse_day,
    parse_id,
    path_id,
    text,
    text_or_blank,
    with_page,
)
from renda.modules.suggestions.routes import ITEM_DEPENDENCIES, AddressedItem
from renda.modules.suggestions.schemas import SettingsIn
from renda.modules.units import service as units
from renda.tenants.scoping import TenantAccess, TenantRef
from renda.web.actions import page_again, run_form_action
from renda.web.forms import Form, form_struct, form_value, form_values
from renda.web.pages import shell_context

READ, WRITE = requires("suggestions.read"), requires("suggestions.write")
PAGE_SIZE = 30
SETTINGS_LABELS = {field: label for field, (label, *_rest) in office_settings.BOUNDS.items()} | {
    "public_fields": "公开栏显示的内容"
}


def _page(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1


# --- one suggestion's handling ----------------------------------------------------------------------
async def _handling(
    request: Request, db: AsyncSession, access: TenantAccess, addressed: AddressedItem, status: int = 200, **extra: Any
) -> Template:
    caller, item = addressed.caller, addressed.suggestion
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


async def _decide(
    db: AsyncSession,
    caller: LoopCaller,
    *,
    suggestion: Suggestion,
    tenant: TenantRef,
    request_id: uuid.UUID,
    new_unit_id: str | None,
    new_deadline: str | None,
    **decision: Any,
) -> object:
    """Staff only, and the request must be this suggestion's, before the fields are checked."""
    require_manage(caller)
    found = await assignment.get_request(db, suggestion, request_id)
    return await assignment.decide(
        db,
        caller,
        tenant,
        suggestion,
        found,
        **decision,
        new_unit_id=parse_id(new_unit_id, "所选承办单位无效", "unknown_unit"),
        new_deadline=parse_day(new_deadline, "办理期限无效"),
    )


HANDLING_ACTIONS = {
    "assign": ItemAction(
        "/assignment",
        assignment.assign,
        {
            "tenant": office,
            "lead_unit_id": one_id("请选择主办单位", "lead_unit_required", required=True),
            "co_unit_ids": ids("所选协办单位无效", "unknown_unit"),
            "broad": flag,
            "note": text,
        },
    ),
    "request_change": ItemAction(
        "/requests",
        assignment.request_change,
        {"tenant": office, "kind": text_or_blank, "reason": text, "new_deadline": day("延期后的期限无效")},
    ),
    "decide": ItemAction(
        "/requests/{request_id:uuid}/decision",
        _decide,
        {
            "tenant": office,
            "request_id": path_id,
            "approve": flag,
            "note": text,
            "new_unit_id": text,
            "new_deadline": text,
        },
    ),
    "record_meeting": ItemAction(
        "/meetings",
        handling.record_meeting,
        {
            "held_on": day("见面日期无效", missing="请填写见面日期", missing_code="held_on_required"),
            "stage": text_or_blank,
            "form": text_or_blank,
            "note": text,
        },
    ),
    "give_opinion": ItemAction(
        "/opinion", handling.give_opinion, {"opinion": text, "unit_id": one_id("所选协办单位无效", "unknown_unit")}
    ),
    "reply": ItemAction(
        "/reply",
        handling.reply,
        {"tenant": office, "reply_class": text, "reply_text": text, "reply_commitments": text},
    ),
}


@with_page(ItemPage("show", "/handling", _handling), HANDLING_ACTIONS, read=READ, write=WRITE)
class HandlingPages(ItemPagesBase):
    @get("/{suggestion_id:uuid}/letter.pdf", guards=[READ])
    async def letter(
        self, request: Request, db: AsyncSession, access: TenantAccess, addressed: AddressedItem
    ) -> Response[bytes]:
        return await letter_response(request, db, access, addressed.suggestion)


# --- 我的承办, the staff's requests waiting, and the settings --------------------------------------------
class SuggestionHandlingPages(Controller):
    path = "/t/{code:str}/suggestions"
    include_in_schema = False
    dependencies = ITEM_DEPENDENCIES

    @get("/units/items", guards=[READ])
    async def my_items(
        self, request: Request, db: AsyncSession, access: TenantAccess, loop_caller: LoopCaller
    ) -> Template:
        overdue_only = request.query_params.get("overdue") == "1"
        open_only = request.query_params.get("all") != "1" and not overdue_only
        found = await worklists.unit_items(
            db, loop_caller, open_only=open_only, page=_page(request), page_size=PAGE_SIZE, overdue_only=overdue_only
        )
        context = {
            **await shell_context(request, access),
            "page": found,
            "items": found.items,
            "open_only": open_only,
            "overdue_only": overdue_only,
            "is_unit": bool(loop_caller.unit_ids),
        }
        return Template("suggestions/unit_items.html", context=context)

    @get("/requests", guards=[READ])
    async def requests(
        self, request: Request, db: AsyncSession, access: TenantAccess, loop_caller: LoopCaller
    ) -> Template:
        require_manage(loop_caller)
        found = await worklists.pending_requests(db, status="pending", page=_page(request), page_size=PAGE_SIZE)
        titles = await worklists.suggestion_titles(db, [r.suggestion_id for r in found.items])
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
        async def save() -> object:
            fields: dict[str, Any] = {k: form_value(data, k) for k in office_settings.BOUNDS if form_value(data, k)}
            for switch in ("extension_needs_approval", "share_similar", "public_board"):
                if switch in data:
                    fields[switch] = form_value(data, switch) == "1"
            if "public_fields_sent" in data:
                fields["public_fields"] = form_values(data, "public_fields")
            changes = form_struct(fields, SettingsIn, SETTINGS_LABELS)
            return await office_settings.update_settings(db, await loop_caller_for(db, access), changes)

        return await run_form_action(
            db,
            save,
            redirect_to=f"/t/{access.tenant.code}/suggestions/settings?saved=1",
            on_error=page_again(self._settings, request, db, access),
        )


PAGES = [HandlingPages, SuggestionHandlingPages]
