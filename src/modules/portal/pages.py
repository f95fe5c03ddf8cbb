"""`/p/{office}/…`: the public portal, and `/t/{code}/portal`: 代表码管理 for staff.

The public path names the office `office`, not `code`: these routes are public by design and resolve
the office themselves, read-only. Their input comes from anyone, so searches and page numbers are
bounded, and anything not found (an unknown or suspended office, a deputy of another office, an
ended mandate) is a plain 404 page in the portal's own layout.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.config import Settings
from renda.core.errors import AppError, InvalidInput, TooManyRequests, error_body
from renda.core.permissions import public, requires
from renda.core.timezone import local_today
from renda.modules.deputies import service as deputies
from renda.modules.portal import codes, service
from renda.modules.portal.schemas import CommitmentIn, CommitmentPatch, PortalSettingsIn
from renda.modules.suggestions import service as suggestions
from renda.tenants.scoping import (
    TENANT_DEPENDENCIES,
    TenantAccess,
    TenantRef,
    tenant_session,
)
from renda.web.actions import refusal
from renda.web.forms import Form, form_struct, form_value
from renda.web.pages import shell_context
from renda.web.rendering import render_error_page

WEEKDAYS = "一二三四五六日"
STAFF_PAGE_SIZE = 30


def _public_error(request: Request, exc: Exception) -> Response[Any]:
    """Errors of public pages: the portal's own page for a browser, JSON for anything else."""
    if isinstance(exc, AppError):
        status, body = exc.status_code, error_body(exc.code, exc.message)
    else:
        status, body = 400, error_body("validation_error", "请求参数不正确")
    headers = exc.headers if isinstance(exc, TooManyRequests) else None
    if "text/html" not in request.headers.get("accept", ""):
        return Response(body, status_code=status, media_type="application/json", headers=headers)
    response = render_error_page(request, status, body, headers)  # the portal's own page and home
    response.headers.update(headers or {})
    return response


def _day(value: Any) -> str:
    return f"{value.month}月{value.day}日(周{WEEKDAYS[value.weekday()]})"


def _image(content: bytes, media_type: str, url: str, kind: str, request: Request) -> Response[bytes]:
    headers = {**codes.cache_headers(url, kind), "X-Content-Type-Options": "nosniff"}
    if kind == "svg":  # an image, never a document that runs anything
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(b"", status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)


class PortalPages(Controller):
    path = "/p/{office:str}"
    include_in_schema = False
    exception_handlers = {AppError: _public_error, ValidationException: _public_error}

    async def _page(
        self, office: str, template: str, build: Callable[[AsyncSession, TenantRef], Awaitable[dict[str, Any]]]
    ) -> Template:
        tenant = await service.published_office(office)
        async with tenant_session(tenant, actor="public", read_only=True) as session:
            context = await build(session, tenant)
            context.setdefault("contact", await service.contact(session))
        context.update(tenant=tenant, place=service.office_short_name(tenant), day=_day)
        return Template(template, context=context)

    @get("/", guards=[public])
    async def home(self, office: str) -> Template:
        async def build(session: AsyncSession, tenant: TenantRef) -> dict[str, Any]:
            return {"suggestion_board": await suggestions.board_enabled(session)}

        return await self._page(office, "portal/home.html", build)

    @get("/deputies", guards=[public])
    async def deputies(self, office: str, q: str | None = None, page: int = 1) -> Template:
        query, page = service.check_query(q), service.check_page(page)

        async def build(session: AsyncSession, tenant: TenantRef) -> dict[str, Any]:
            items, total = await service.public_deputies(session, query, page)
            pages = max(1, -(-total // service.PAGE_SIZE))
            return {"items": items, "total": total, "page": page, "pages": pages, "q": query or ""}

        return await self._page(office, "portal/deputies.html", build)

    @get("/deputies/{person_id:uuid}", guards=[public])
    async def deputy(self, office: str, person_id: uuid.UUID) -> Template:
        """代表码 target: the deputy's public page."""

        async def build(session: AsyncSession, tenant: TenantRef) -> dict[str, Any]:
            page = await service.deputy_page(session, tenant, person_id)
            return {"page": page, "d": page.deputy, "contact": page.contact}

        return await self._page(office, "portal/deputy.html", build)

    @get("/deputies/{person_id:uuid}/photo", guards=[public])
    async def photo(self, office: str, person_id: uuid.UUID) -> Response[bytes]:
        tenant = await service.published_office(office)
        async with tenant_session(tenant, actor="public", read_only=True) as session:
            content, media_type = await service.public_photo(session, person_id)
        return Response(content, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})

    async def _deputy_code(self, office: str, person_id: uuid.UUID, settings: Settings) -> tuple[str, str]:
        tenant = await service.published_office(office)
        async with tenant_session(tenant, actor="public", read_only=True) as session:
            person, _ = await service.live_deputy(session, person_id)
        return service.deputy_url(settings.public_url, tenant.code, person.id), person.name

    @get("/deputies/{person_id:uuid}/qr.png", guards=[public])
    async def deputy_png(self, request: Request, office: str, person_id: uuid.UUID, settings: Settings) -> Response:
        url, _ = await self._deputy_code(office, person_id, settings)
        return _image(codes.qr_png(url), "image/png", url, "png", request)

    @get("/deputies/{person_id:uuid}/qr.svg", guards=[public])
    async def deputy_svg(self, request: Request, office: str, person_id: uuid.UUID, settings: Settings) -> Response:
        url, name = await self._deputy_code(office, person_id, settings)
        return _image(codes.qr_svg(url, title=f"{name} 代表码"), "image/svg+xml", url, "svg", request)

    @get("/stations", guards=[public])
    async def stations(self, office: str, q: str | None = None, township: str | None = None, page: int = 1) -> Template:
        """The station finder: by name or address, by township."""
        query, page, township_code = (
            service.check_query(q),
            service.check_page(page),
            service.check_township_filter(township),
        )

        async def build(session: AsyncSession, tenant: TenantRef) -> dict[str, Any]:
            found = await service.find_stations(session, tenant, query, township_code, page)
            return {
                "found": found,
                "q": query or "",
                "township": township_code or "",
                "townships": await service.township_choices(session, tenant),
            }

        return await self._page(office, "portal/stations.html", build)

    @get("/suggestions", guards=[public])
    async def suggestions(self, office: str, year: int | None = None, page: int = 1) -> Template:
        """建议办理公开: the office's chosen fields of its accepted suggestions (404 when it has no board)."""
        page = service.check_page(page)
        if year is not None and not 2000 <= year <= 2100:
            raise InvalidInput("年度无效", code="invalid_year")

        async def build(session: AsyncSession, tenant: TenantRef) -> dict[str, Any]:
            items, total = await suggestions.public_page(session, page, year)
            pages = max(1, -(-total // suggestions.PUBLIC_PAGE_SIZE))
            return {"items": items, "total": total, "page": page, "pages": pages, "year": year or ""}

        return await self._page(office, "portal/suggestions.html", build)

    @get("/suggestions/{suggestion_id:uuid}", guards=[public])
    async def suggestion(self, office: str, suggestion_id: uuid.UUID) -> Template:
        async def build(session: AsyncSession, tenant: TenantRef) -> dict[str, Any]:
            return {"item": await suggestions.public_item(session, suggestion_id)}

        return await self._page(office, "portal/suggestion.html", build)

    @get("/stations/{station_id:uuid}", guards=[public])
    async def station(self, office: str, station_id: uuid.UUID) -> Template:
        async def build(session: AsyncSession, tenant: TenantRef) -> dict[str, Any]:
            card = await service.public_station(session, tenant, station_id)
            return {"s": card, "rostered": await service.rostered_names(session, card)}

        return await self._page(office, "portal/station.html", build)

    async def _station_code(self, office: str, station_id: uuid.UUID, settings: Settings) -> tuple[str, str]:
        tenant = await service.published_office(office)
        async with tenant_session(tenant, actor="public", read_only=True) as session:
            card = await service.public_station(session, tenant, station_id)
        return service.station_url(settings.public_url, tenant.code, card.id), card.name

    @get("/stations/{station_id:uuid}/qr.png", guards=[public])
    async def station_png(self, request: Request, office: str, station_id: uuid.UUID, settings: Settings) -> Response:
        url, _ = await self._station_code(office, station_id, settings)
        return _image(codes.qr_png(url), "image/png", url, "png", request)

    @get("/stations/{station_id:uuid}/qr.svg", guards=[public])
    async def station_svg(self, request: Request, office: str, station_id: uuid.UUID, settings: Settings) -> Response:
        url, name = await self._station_code(office, station_id, settings)
        return _image(codes.qr_svg(url, title=name), "image/svg+xml", url, "svg", request)


# --- staff: 代表码管理 ------------------------------------------------------------------------------
READ, WRITE = requires("deputies.read"), requires("deputies.write")
FIELD_LABELS = {
    "text": "承诺内容(不超过 500 字)",
    "year": "年度",
    "term_id": "届次",
    "position": "排列顺序(0 到 999)",
    "contact_phone": "联系电话(不超过 40 字)",
    "contact_address": "办公地址(不超过 200 字)",
    "contact_hours": "办公时间(不超过 100 字)",
    "notice": "公告(不超过 500 字)",
}


def _convert(data: dict[str, Any], kind: type[Any]) -> Any:
    return form_struct(data, kind, FIELD_LABELS)


def _commitment_fields(form: Form) -> dict[str, Any]:
    if "text" in form and not form_value(form, "text"):
        raise InvalidInput("请填写承诺内容", code="text_required")
    data: dict[str, Any] = {key: form_value(form, key) for key in ("text", "year", "term_id") if key in form}
    if "position" in form:
        data["position"] = form_value(form, "position") or 0
    if "is_public" in form:
        data["is_public"] = form_value(form, "is_public") == "1"
    return data


class PortalStaffPages(Controller):
    path = "/t/{code:str}/portal"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    async def _overview(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        params = request.query_params
        q = (params.get("q") or "").strip()[: service.MAX_QUERY] or None
        page_text = params.get("page") or "1"
        page = min(max(1, int(page_text)), service.MAX_PAGE) if page_text.isdigit() else 1
        context = {
            **await shell_context(request, access),
            "rows": await service.code_rows(db, q, page, STAFF_PAGE_SIZE),
            "stations": await service.staff_stations(db, access.tenant),
            "settings_out": await service.get_settings(db),
            "q": q or "",
            "day": _day,
            **extra,
        }
        return Template("portal/admin.html", context=context, status_code=status)

    @get("/", guards=[READ])
    async def overview(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        """代表码管理: deputies' codes and commitments, stations' printable sheets, the public contact."""
        return await self._overview(request, db, access)

    @post("/settings", guards=[WRITE])
    async def save_settings(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        keys = ("contact_phone", "contact_address", "contact_hours", "notice")
        try:
            await service.update_settings(db, _convert({k: form_value(data, k) for k in keys}, PortalSettingsIn))
        except AppError as error:
            await db.rollback()
            return await self._overview(
                request, db, access, status=error.status_code, error=await refusal(error, request)
            )
        return Redirect(f"/t/{access.tenant.code}/portal?saved=1")

    async def _deputy_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        person_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        person = await deputies.get_person(db, person_id)
        try:
            await service.live_deputy(db, person_id)
            live = True
        except AppError:
            live = False
        context = {
            **await shell_context(request, access),
            "person": person,
            "live": live,
            "commitments": await service.commitments_of(db, person_id),
            "terms": await service.person_terms(db, person_id),
            "this_year": local_today().year,
            **extra,
        }
        return Template("portal/admin_deputy.html", context=context, status_code=status)

    @get("/deputies/{person_id:uuid}", guards=[READ])
    async def deputy(self, request: Request, db: AsyncSession, access: TenantAccess, person_id: uuid.UUID) -> Template:
        """One deputy's 代表码 and 履职承诺."""
        return await self._deputy_page(request, db, access, person_id)

    async def _commitment_action(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        person_id: uuid.UUID,
        action: Callable[[], Awaitable[Any]],
    ) -> Template | Redirect:
        try:
            await action()
        except AppError as error:
            await db.rollback()
            return await self._deputy_page(
                request, db, access, person_id, status=error.status_code, error=await refusal(error, request)
            )
        return Redirect(f"/t/{access.tenant.code}/portal/deputies/{person_id}")

    @post("/deputies/{person_id:uuid}/commitments", guards=[WRITE])
    async def add_commitment(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        person_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        await deputies.get_person(db, person_id)  # 404 for a person of another office

        async def action() -> None:
            fields = {"person_id": str(person_id), "is_public": False, **_commitment_fields(data)}
            await service.create_commitment(db, _convert(fields, CommitmentIn))

        return await self._commitment_action(request, db, access, person_id, action)

    @post("/commitments/{commitment_id:uuid}/edit", guards=[WRITE])
    async def edit_commitment(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        commitment_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        commitment = await service.get_commitment(db, commitment_id)

        async def action() -> None:
            fields = _commitment_fields(data)
            fields.setdefault("is_public", False)  # an unticked checkbox sends nothing
            await service.update_commitment(db, commitment, _convert(fields, CommitmentPatch))

        return await self._commitment_action(request, db, access, commitment.person_id, action)

    @post("/commitments/{commitment_id:uuid}/delete", guards=[WRITE])
    async def delete_commitment(self, db: AsyncSession, access: TenantAccess, commitment_id: uuid.UUID) -> Redirect:
        commitment = await service.get_commitment(db, commitment_id)
        person_id = commitment.person_id
        await service.delete_commitment(db, commitment)
        return Redirect(f"/t/{access.tenant.code}/portal/deputies/{person_id}")

    @get("/stations/{station_id:uuid}/qr-sheet.pdf", guards=[requires("organisation.read")])
    async def qr_sheet(
        self, request: Request, db: AsyncSession, access: TenantAccess, station_id: uuid.UUID, settings: Settings
    ) -> Response[bytes]:
        """A4 sheet of the 代表码 of every deputy received at the station, to print and put up."""
        station = await service.get_station(db, station_id)
        cards = await service.sheet_cards(db, access.tenant, station, settings.public_url)
        items = []
        for card in cards:
            photo = codes.photo_thumbnail(card.photo[0]) if card.photo else None
            items.append(
                {
                    "name": card.name,
                    "levels": "、".join(card.level_labels),
                    "qr": codes.data_uri(codes.qr_svg(card.url), "image/svg+xml"),
                    "photo": codes.data_uri(photo, "image/jpeg") if photo else None,
                }
            )
        engine = request.app.template_engine
        assert engine is not None  # the app is built with its templates
        html = engine.get_template("portal/sheet.html").render(
            tenant=access.tenant, station=station, cards=items, place=service.office_short_name(access.tenant)
        )
        pdf = await anyio.to_thread.run_sync(codes.render_pdf, html)
        filename = quote(f"{station.name}代表码.pdf")
        headers = {
            "Content-Disposition": f"inline; filename=\"qr-sheet.pdf\"; filename*=UTF-8''{filename}",
            "Cache-Control": "private, no-store",
        }
        return Response(pdf, media_type="application/pdf", headers=headers)


PAGES = [PortalPages, PortalStaffPages]
