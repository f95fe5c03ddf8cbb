"""Staff pages of the suggestion drafts: `/t/{code}/suggestions` (list, new) and one draft (edit, withdraw)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError, InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import MAX_PAGE
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.exports import service as exports
from renda.modules.suggestions import listing, rates, service
from renda.modules.suggestions.common import CATEGORIES
from renda.modules.suggestions.exports import LIST_KIND, RATES_KIND
from renda.modules.suggestions.handling_pages import SuggestionHandlingPages
from renda.modules.suggestions.models import DRAFT_STATUSES, KINDS, RATINGS, REPLY_CLASSES
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.actions import page_again, run_form_action
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


# --- the loop's list and rates (listing.py, rates.py) ----------------------------------------------
class SuggestionListPages(Controller):
    """The list of suggestions (cards, so it reads on a phone) with its filters as pickers, the rates
    report, and their Excel exports."""

    path = "/t/{code:str}/suggestions"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    async def _items(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await service.loop_caller_for(db, access)
        params = {k: request.query_params.get(k) or "" for k in listing.FILTER_KEYS}
        raw_page = request.query_params.get("page", "1")
        page = min(int(raw_page), MAX_PAGE) if raw_page.isdigit() and int(raw_page) > 0 else 1
        try:
            filters = listing.parse_filter(params)
        except InvalidInput as error:
            filters, extra["error"] = listing.SuggestionFilter(), error.message
        today = local_today()
        found = await listing.list_suggestions(db, caller, filters, page, PAGE_SIZE, today)
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "page": found,
            "items": [listing.row_out(row, today) for row in found.items],
            "filters": params,
            "caller": caller,
            "choices": await listing.choices(db),
            "statuses": listing.STATUS_FILTERS,
            "kinds": KINDS,
            "categories": CATEGORIES,
            "unit_roles": listing.UNIT_ROLE_FILTERS,
            "ratings": RATINGS,
            "classes": REPLY_CLASSES,
            "query": urlencode({k: v for k, v in params.items() if v}),
            "can_export": caller.full and access.can("exports.write"),
            "can_rates": caller.full and access.can("reports.read"),
        }
        await _export_notice(db, request, context)
        context.update(extra)
        return Template("suggestions/items.html", context=context, status_code=status)

    @get("/items", guards=[requires("suggestions.read")])
    async def items(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._items(request, db, access)

    @post("/items/export", guards=[requires("exports.write")])
    async def export_items(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Excel of the list as filtered on the page, built in the background."""

        async def request_export() -> Any:
            if not (await service.loop_caller_for(db, access)).full:
                raise InvalidInput("只能由工作人员导出本机关的代表建议", code="export_not_allowed")
            params = {k: form_value(data, k) for k in listing.FILTER_KEYS}
            listing.parse_filter(params)  # refuse a bad filter now rather than in the worker
            return await exports.request_export(db, access, LIST_KIND, {k: v for k, v in params.items() if v})

        return await run_form_action(
            db,
            request_export,
            redirect_to=lambda export: f"/t/{access.tenant.code}/suggestions/items?export={export.id}",
            on_error=page_again(self._items, request, db, access),
        )

    async def _rates(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await service.loop_caller_for(db, access)
        if not caller.full:
            raise PermissionDenied("只有本机关工作人员和上级机关可以查看办理统计", code="suggestion_rates_denied")
        params = {k: request.query_params.get(k) or "" for k in RATE_KEYS}
        try:
            by, filters = rates.parse_rate_filter(params)
        except InvalidInput as error:
            (by, filters), extra["error"] = ("unit", rates.RateFilter()), error.message
        params["by"] = by
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "report": await rates.rate_report(db, by, filters),
            "filters": params,
            "groupings": rates.GROUPINGS,
            "rate_labels": rates.RATE_LABELS,
            "choices": await listing.choices(db),
            "categories": CATEGORIES,
            "can_export": access.can("exports.write"),
        }
        await _export_notice(db, request, context)
        context.update(extra)
        return Template("suggestions/rates.html", context=context, status_code=status)

    @get("/rates", guards=[requires("reports.read")])
    async def rate_page(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._rates(request, db, access)

    @post("/rates/export", guards=[requires("exports.write")])
    async def export_rates(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def request_export() -> Any:
            if not access.can("reports.read"):
                raise PermissionDenied("您无权导出办理统计", code="export_not_allowed")
            params = {k: form_value(data, k) for k in RATE_KEYS}
            rates.parse_rate_filter(params)
            return await exports.request_export(db, access, RATES_KIND, {k: v for k, v in params.items() if v})

        return await run_form_action(
            db,
            request_export,
            redirect_to=lambda export: f"/t/{access.tenant.code}/suggestions/rates?export={export.id}",
            on_error=page_again(self._rates, request, db, access),
        )


RATE_KEYS = ("by", "year", "term_id", "unit_id", "category")


async def _export_notice(db: AsyncSession, request: Request, context: dict[str, Any]) -> None:
    if export_id := request.query_params.get("export"):
        try:
            context["export"] = await exports.get_export(db, uuid.UUID(export_id))
        except (NotFound, ValueError):
            pass


PAGES = [SuggestionPages, SuggestionListPages, SuggestionHandlingPages]
