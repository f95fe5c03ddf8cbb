"""Pages of the opinions: the staff list, detail with its timeline and actions, handling units and
the export (`/t/{code}/opinions/...`), and the public portal (`/p/{office}/opinions/...`): the
submission form, the status by ticket and the one-step rating from the SMS link.

Forms post URL-encoded fields into the same service calls as the API. A refused form shows the page
again with the reason (and the status code of the refusal) and changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError, InvalidInput, NotFound, TooManyRequests
from renda.core.permissions import public, requires
from renda.core.timezone import local_today
from renda.modules.exports import service as exports
from renda.modules.opinions import handling
from renda.modules.opinions import units as handling_units
from renda.modules.opinions.common import (
    CATEGORIES,
    MAX_CONTENT,
    PUBLIC_ACTOR,
    Viewer,
    format_ticket,
    get_opinion,
    viewer_for,
)
from renda.modules.opinions.handling import (
    DEFAULT_DEADLINE_DAYS,
    default_title,
    opinion_by_rating_token,
    rate_by_token,
    rate_on_behalf,
)
from renda.modules.opinions.intake import NOT_BY_STAFF, mark_duplicate, staff_intake
from renda.modules.opinions.limits import check_lookup_allowed, record_lookup_miss
from renda.modules.opinions.listing import (
    STATUS_FILTERS,
    OpinionFilter,
    find_by_ticket,
    list_opinions,
    opinion_detail,
    parse_filter,
)
from renda.modules.opinions.models import RATINGS, SOURCES, STATUSES
from renda.modules.opinions.portal import PortalTarget, portal_submit, portal_target, public_status
from renda.modules.opinions.schemas import UnitIn, UnitPatch
from renda.modules.opinions.units import get_unit, list_units, unit_candidates, update_unit
from renda.tenants.scoping import (
    TENANT_DEPENDENCIES,
    TenantAccess,
    tenant_session,
)
from renda.tenants.service import published_office
from renda.web.actions import page_again, refusal, run_form_action
from renda.web.forms import Form, form_value
from renda.web.pages import shell_context

READ, WRITE = requires("opinions.read"), requires("opinions.write")
PAGE_SIZE = 30
# A legitimate submission is at most about 10 KB URL-encoded (1000 Chinese characters are 9 KB).
PORTAL_MAX_BODY = 32 * 1024
HONEYPOT = "website"


def _uuid(value: str | None, what: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"请选择{what}", code="validation_error") from None


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("办理期限应为日期,如 2026-12-31", code="invalid_deadline") from None


def _client_ip(request: Request) -> str:
    """The address the server saw (behind a reverse proxy, uvicorn's --proxy-headers puts the
    client's there); never stored, only its keyed hash."""
    return request.client.host if request.client else "unknown"


# --- staff pages ---------------------------------------------------------------------------------
class OpinionPages(Controller):
    path = "/t/{code:str}/opinions"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    async def _list(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        viewer = await viewer_for(db, access)
        params = {k: request.query_params.get(k) for k in ("status", "category", "source", "overdue", "q", "unit_id")}
        raw_page = request.query_params.get("page", "1")
        page = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
        try:
            filters = parse_filter(params)
        except InvalidInput as error:
            filters, extra["error"] = OpinionFilter(), error.message
        found = await list_opinions(db, viewer, filters, page, PAGE_SIZE)
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "page": found,
            "filters": params,
            "viewer": viewer,
            "statuses": STATUS_FILTERS,
            "categories": CATEGORIES,
            "sources": SOURCES,
            "query": urlencode({k: v for k, v in params.items() if v}),
            "form": {},
            "can_export": viewer.full and access.can("exports.write"),
            "today": local_today(),
        }
        if viewer.manage:
            context["intake_sources"] = {k: v for k, v in SOURCES.items() if k not in NOT_BY_STAFF}
        if export_id := request.query_params.get("export"):
            try:
                context["export"] = await exports.get_export(db, uuid.UUID(export_id))
            except (NotFound, ValueError):
                pass
        context.update(extra)
        return Template("opinions/list.html", context=context, status_code=status)

    @get("/", guards=[READ])
    async def opinions(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._list(request, db, access)

    @post("/", guards=[WRITE])
    async def create(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Staff entry (by phone, letter, at a reception or a visit)."""

        async def intake() -> Any:
            viewer = await viewer_for(db, access)
            return await staff_intake(
                db,
                viewer,
                access.tenant,
                source=form_value(data, "source") or "staff",
                content=form_value(data, "content") or "",
                category=form_value(data, "category"),
                submitter_name=form_value(data, "submitter_name"),
                submitter_phone=form_value(data, "submitter_phone"),
                deputy_person_id=_uuid(form_value(data, "deputy_person_id"), "代表"),
                station_id=_uuid(form_value(data, "station_id"), "家站室"),
            )

        return await run_form_action(
            db,
            intake,
            redirect_to=lambda opinion: f"/t/{access.tenant.code}/opinions/{opinion.id}",
            on_error=page_again(self._list, request, db, access, form=data),
        )

    @post("/export", guards=[requires("exports.write")])
    async def export(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Excel of the list as filtered on the page, built in the background."""

        async def request_export() -> Any:
            viewer = await viewer_for(db, access)
            if not viewer.full:
                raise InvalidInput("只能导出本机关的全部意见;承办单位和代表请在页面上查看", code="export_not_allowed")
            params = {k: form_value(data, k) for k in ("status", "category", "source", "overdue", "q", "unit_id")}
            parse_filter(params)  # refuse a bad filter now rather than in the worker
            return await exports.request_export(db, access, "opinions", {k: v for k, v in params.items() if v})

        return await run_form_action(
            db,
            request_export,
            redirect_to=lambda export: f"/t/{access.tenant.code}/opinions?export={export.id}",
            on_error=page_again(self._list, request, db, access),
        )

    # --- handling units ---------------------------------------------------------------------------
    async def _units(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        viewer = await viewer_for(db, access)
        context = {
            **await shell_context(request, access),
            "units": await list_units(db),
            "viewer": viewer,
            "candidates": dict(await unit_candidates(access.tenant)) if viewer.manage else {},
            **extra,
        }
        return Template("opinions/units.html", context=context, status_code=status)

    @get("/units", guards=[READ])
    async def units(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._units(request, db, access)

    async def _unit_action(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        action: Callable[[], Awaitable[Any]],
    ) -> Template | Redirect:
        """The units page again when refused: each of its forms is named (`csrf_field`), so only the refused
        one is marked and keeps what was sent."""
        return await run_form_action(
            db,
            action,
            redirect_to=f"/t/{access.tenant.code}/opinions/units",
            on_error=page_again(self._units, request, db, access),
        )

    @post("/units", guards=[WRITE])
    async def create_unit(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> None:
            unit = UnitIn(
                name=form_value(data, "name") or "",
                contact_name=form_value(data, "contact_name"),
                note=form_value(data, "note"),
            )
            await handling_units.create_unit(db, await viewer_for(db, access), unit)

        return await self._unit_action(request, db, access, action)

    @post("/units/{unit_id:uuid}/edit", guards=[WRITE])
    async def edit_unit(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        unit_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        unit = await get_unit(db, unit_id)

        async def action() -> None:
            patch = UnitPatch(
                name=form_value(data, "name") or "",
                contact_name=form_value(data, "contact_name"),
                note=form_value(data, "note"),
                is_active=form_value(data, "is_active") != "0",
            )
            await update_unit(db, await viewer_for(db, access), unit, patch)

        return await self._unit_action(request, db, access, action)

    @post("/units/{unit_id:uuid}/delete", guards=[WRITE])
    async def delete_unit(
        self, request: Request, db: AsyncSession, access: TenantAccess, unit_id: uuid.UUID
    ) -> Template | Redirect:
        unit = await get_unit(db, unit_id)

        async def action() -> None:
            await handling_units.delete_unit(db, await viewer_for(db, access), unit)

        return await self._unit_action(request, db, access, action)

    @post("/units/{unit_id:uuid}/users", guards=[WRITE])
    async def add_unit_user(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        unit_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        unit = await get_unit(db, unit_id)

        async def action() -> None:
            user_id = _uuid(form_value(data, "user_id"), "经办人")
            if user_id is None:
                raise InvalidInput("请选择经办人", code="validation_error")
            await handling_units.add_unit_user(db, await viewer_for(db, access), access.tenant, unit, user_id)

        return await self._unit_action(request, db, access, action)

    @post("/units/{unit_id:uuid}/users/{user_id:uuid}/remove", guards=[WRITE])
    async def remove_unit_user(
        self, request: Request, db: AsyncSession, access: TenantAccess, unit_id: uuid.UUID, user_id: uuid.UUID
    ) -> Template | Redirect:
        unit = await get_unit(db, unit_id)

        async def action() -> None:
            await handling_units.remove_unit_user(db, await viewer_for(db, access), unit, user_id)

        return await self._unit_action(request, db, access, action)

    # --- one opinion ------------------------------------------------------------------------------
    async def _detail(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        opinion_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        viewer = await viewer_for(db, access)
        detail = await opinion_detail(db, viewer, opinion_id)
        today = local_today()
        context = {
            **await shell_context(request, access),
            "d": detail,
            "o": detail.opinion,
            "categories": CATEGORIES,
            "ratings": RATINGS,
            "statuses": STATUSES,
            "units": [u for u in await list_units(db) if u.is_active] if detail.can_manage else [],
            "default_deadline": today + timedelta(days=DEFAULT_DEADLINE_DAYS),
            "today": today,
            "default_title": "",
            **extra,
        }
        if detail.can_manage:
            context["default_title"] = default_title(await get_opinion(db, viewer, opinion_id))
        return Template("opinions/detail.html", context=context, status_code=status)

    @get("/{opinion_id:uuid}", guards=[READ])
    async def detail(self, request: Request, db: AsyncSession, access: TenantAccess, opinion_id: uuid.UUID) -> Template:
        return await self._detail(request, db, access, opinion_id)

    async def _act(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        opinion_id: uuid.UUID,
        action: Callable[[Viewer, Any], Awaitable[Any]],
    ) -> Template | Redirect:
        viewer = await viewer_for(db, access)
        opinion = await get_opinion(db, viewer, opinion_id, for_update=True)
        return await run_form_action(
            db,
            lambda: action(viewer, opinion),
            redirect_to=f"/t/{access.tenant.code}/opinions/{opinion_id}",
            on_error=page_again(self._detail, request, db, access, opinion_id),
        )

    @post("/{opinion_id:uuid}/analysis", guards=[WRITE])
    async def analyse(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        opinion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(viewer: Viewer, opinion: Any) -> None:
            await handling.analyse(
                db, viewer, opinion, category=form_value(data, "category") or "", note=form_value(data, "note")
            )

        return await self._act(request, db, access, opinion_id, action)

    @post("/{opinion_id:uuid}/duplicate", guards=[WRITE])
    async def duplicate(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        opinion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(viewer: Viewer, opinion: Any) -> None:
            target = _uuid(form_value(data, "duplicate_of_id"), "重复的意见")
            if target is None:
                ticket = form_value(data, "ticket")
                if not ticket:
                    raise InvalidInput("请选择或输入与之重复的意见编号", code="validation_error")
                target = (await find_by_ticket(db, viewer, ticket)).id
            await mark_duplicate(db, viewer, opinion, duplicate_of_id=target, note=form_value(data, "note"))

        return await self._act(request, db, access, opinion_id, action)

    @post("/{opinion_id:uuid}/assignment", guards=[WRITE])
    async def assign(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        opinion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(viewer: Viewer, opinion: Any) -> None:
            unit_id = _uuid(form_value(data, "unit_id"), "承办单位")
            if unit_id is None:
                raise InvalidInput("请选择承办单位", code="validation_error")
            await handling.assign(
                db,
                viewer,
                access.tenant,
                opinion,
                unit_id=unit_id,
                deadline=_date(form_value(data, "deadline")),
                note=form_value(data, "note"),
            )

        return await self._act(request, db, access, opinion_id, action)

    @post("/{opinion_id:uuid}/escalation", guards=[WRITE])
    async def escalate(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        opinion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(viewer: Viewer, opinion: Any) -> None:
            await handling.escalate(
                db, viewer, access.tenant, opinion, title=form_value(data, "title"), note=form_value(data, "note")
            )

        return await self._act(request, db, access, opinion_id, action)

    @post("/{opinion_id:uuid}/answer", guards=[WRITE])
    async def answer(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        opinion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(viewer: Viewer, opinion: Any) -> None:
            await handling.answer(db, viewer, access.tenant, opinion, text=form_value(data, "answer") or "")

        return await self._act(request, db, access, opinion_id, action)

    @post("/{opinion_id:uuid}/rating", guards=[WRITE])
    async def rate(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        opinion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(viewer: Viewer, opinion: Any) -> None:
            await rate_on_behalf(
                db, viewer, opinion, rating=form_value(data, "rating") or "", note=form_value(data, "note")
            )

        return await self._act(request, db, access, opinion_id, action)

    @post("/{opinion_id:uuid}/close", guards=[WRITE])
    async def close(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        opinion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(viewer: Viewer, opinion: Any) -> None:
            await handling.close(db, viewer, opinion, note=form_value(data, "note"))

        return await self._act(request, db, access, opinion_id, action)


# --- the public portal ---------------------------------------------------------------------------
def _portal_context(request: Request, tenant: Any, **extra: Any) -> dict[str, Any]:
    user = request.scope.get("user")
    # A signed-in member posting from the portal still needs the session's CSRF token.
    return {"tenant": tenant, "csrf_token": getattr(user, "csrf_token", None) or "", **extra}


def _target_query(target: PortalTarget) -> str:
    if target.deputy_person_id:
        return f"?deputy={target.deputy_person_id}"
    if target.station_id:
        return f"?station={target.station_id}"
    return ""


class PortalOpinionPages(Controller):
    path = "/p/{office:str}/opinions"
    include_in_schema = False

    async def _form(
        self,
        request: Request,
        tenant: Any,
        target: PortalTarget,
        *,
        status: int = 200,
        form: Form | None = None,
        error: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Template:
        context = _portal_context(
            request,
            tenant,
            target=target,
            categories=CATEGORIES,
            form=form or {},
            error=error,
            honeypot=HONEYPOT,
            max_content=MAX_CONTENT,
            action=f"/p/{tenant.code}/opinions/new{_target_query(target)}",
        )
        return Template("opinions/portal_new.html", context=context, status_code=status, headers=headers)

    @get("/new", guards=[public])
    async def new(
        self, request: Request, office: str, deputy: uuid.UUID | None = None, station: uuid.UUID | None = None
    ) -> Template:
        """The submission form for the office, a deputy (`?deputy=`) or a station (`?station=`)."""
        tenant = await published_office(office)
        async with tenant_session(tenant, actor=PUBLIC_ACTOR, read_only=True) as session:
            target = await portal_target(session, deputy, station)
        return await self._form(request, tenant, target)

    @post("/new", guards=[public], request_max_body_size=PORTAL_MAX_BODY)
    async def submit(
        self,
        request: Request,
        office: str,
        deputy: uuid.UUID | None = None,
        station: uuid.UUID | None = None,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        tenant = await published_office(office)
        async with tenant_session(tenant, actor=PUBLIC_ACTOR) as session:
            target = await portal_target(session, deputy, station)
            try:
                opinion = await portal_submit(
                    session,
                    tenant,
                    ip=_client_ip(request),
                    content=form_value(data, "content"),
                    submitter_name=form_value(data, "submitter_name"),
                    submitter_phone=form_value(data, "submitter_phone"),
                    category=form_value(data, "category"),
                    deputy_person_id=target.deputy_person_id,
                    station_id=target.station_id,
                    honeypot=form_value(data, HONEYPOT),
                )
            except AppError as error:
                await session.rollback()
                kept = {k: form_value(data, k) for k in ("content", "submitter_name", "submitter_phone", "category")}
                headers = error.headers if isinstance(error, TooManyRequests) else None
                return await self._form(
                    request,
                    tenant,
                    target,
                    status=error.status_code,
                    form=kept,
                    error=await refusal(error, request),
                    headers=headers,
                )
            ticket = opinion.ticket
            await session.commit()
        return Redirect(f"/p/{tenant.code}/opinions/status?ticket={format_ticket(ticket)}&submitted=1")

    @get("/status", guards=[public])
    async def status(
        self, request: Request, office: str, ticket: str | None = None, submitted: bool = False
    ) -> Template:
        """Look an opinion up by its ticket: its steps and the answer, never personal data."""
        tenant = await published_office(office)
        context = _portal_context(request, tenant, ticket=ticket or "", submitted=submitted, found=None, error=None)
        code, headers = 200, None
        if ticket:
            async with tenant_session(tenant, actor=PUBLIC_ACTOR) as session:
                ip = _client_ip(request)
                try:
                    await check_lookup_allowed(session, ip)
                    context["found"] = await public_status(session, ticket)
                except NotFound as error:
                    await record_lookup_miss(session, tenant.code, ip)
                    await session.commit()
                    context["error"], code = error.message, 404
                except TooManyRequests as error:
                    context["error"], code, headers = error.message, 429, error.headers
        return Template("opinions/portal_status.html", context=context, status_code=code, headers=headers)

    async def _rating_page(
        self, request: Request, tenant: Any, token: str, status: int = 200, **extra: Any
    ) -> Template:
        async with tenant_session(tenant, actor=PUBLIC_ACTOR, read_only=True) as session:
            opinion = await opinion_by_rating_token(session, token)
            found = await public_status(session, opinion.ticket)
        context = _portal_context(
            request,
            tenant,
            found=found,
            rated=opinion.rating,
            answered=opinion.status == "answered",
            ratings=RATINGS,
            token=token,
            **extra,
        )
        return Template("opinions/portal_rate.html", context=context, status_code=status)

    @get("/rate/{token:str}", guards=[public])
    async def rating(self, request: Request, office: str, token: str) -> Template:
        """The page the SMS links to: the answer and three buttons (opening it changes nothing)."""
        return await self._rating_page(request, await published_office(office), token)

    @post("/rate/{token:str}", guards=[public], request_max_body_size=4 * 1024)
    async def rate(
        self,
        request: Request,
        office: str,
        token: str,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template:
        """Record the rating once; a second click shows the one recorded."""
        tenant = await published_office(office)
        async with tenant_session(tenant, actor=PUBLIC_ACTOR) as session:
            try:
                _, created = await rate_by_token(session, token, form_value(data, "rating") or "")
            except AppError as error:  # a bad link is a 404 again on the page
                await session.rollback()
                return await self._rating_page(
                    request, tenant, token, status=error.status_code, error=await refusal(error, request)
                )
            await session.commit()
        return await self._rating_page(request, tenant, token, just_rated=created, again=not created)


PAGES = [OpinionPages, PortalOpinionPages]
