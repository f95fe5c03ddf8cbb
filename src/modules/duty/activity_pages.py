"""`/t/{code}/duty/activities…`, `/duty/sign-in…` and `/duty/evidence…`: the pages of duty activities and
evidence. Staff list, create and edit activities, record attendance from the sign-in list, print the QR
code and verify evidence at a desk; a deputy's pages (my activities, the QR sign-in page, my evidence,
submitting evidence) are made for a phone."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.config import Settings
from renda.core.db import utcnow
from renda.core.errors import AppError, InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import MAX_PAGE
from renda.core.permissions import requires
from renda.core.timezone import local_today, to_local
from renda.core.uploads import ACCEPT, ALLOWED_LABEL, MAX_FILE_MB
from renda.modules.duty import activities, attendance, evidence, signin
from renda.modules.duty.activity_exports import ATTENDANCE_KIND, attendance_params
from renda.modules.duty.activity_routes import evidence_form, file_response
from renda.modules.duty.activity_schemas import ActivityIn, ActivityPatch, AttendanceEntryIn
from renda.modules.duty.common import DutyCaller, duty_caller_for, require_deputy, require_manage
from renda.modules.duty.models import (
    ACTIVITY_KINDS,
    ATTENDANCE_STATUSES,
    AWARD_LEVELS,
    EVIDENCE_KINDS,
    EVIDENCE_STATUSES,
    Activity,
)
from renda.modules.exports import service as exports
from renda.modules.organisation.models import DeputyGroup, Station
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.actions import page_again, run_form_action
from renda.web.forms import Form, form_struct, form_value
from renda.web.pages import shell_context
from renda.web.pdf import render_pdf
from renda.web.qr import data_uri, qr_png, qr_svg

READ, WRITE = requires("duty.read"), requires("duty.write")
PAGE_SIZE = 30
ACTIVITY_FIELDS = (
    "kind",
    "title",
    "starts_at",
    "ends_at",
    "place",
    "description",
    "organiser",
    "hours",
    "group_id",
    "station_id",
)
ACTIVITY_LABELS = {
    "kind": "活动类型",
    "title": "活动名称",
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "place": "地点",
    "description": "活动内容",
    "organiser": "组织单位",
    "hours": "培训学时",
    "group_id": "代表小组",
    "station_id": "家站室",
}
# A QR image holds the sign-in token: never cached, never run as a document.
QR_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) > 0 else 1


def _year(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) == 4 else None


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _activity_fields(data: Form) -> dict[str, Any]:
    """The form's fields as the API's types take them: a datetime-local field sends no seconds, an empty
    choice means none."""
    fields: dict[str, Any] = {}
    for key in ACTIVITY_FIELDS:
        if key not in data:
            continue
        value = form_value(data, key)
        if key in ("starts_at", "ends_at") and value and len(value) == 16:
            value += ":00"
        if key in ("place", "description", "organiser"):
            value = value or ""
        fields[key] = value
    return fields


def _local_input(value: datetime | None) -> str:
    return f"{to_local(value):%Y-%m-%dT%H:%M}" if value else ""


async def _choices(db: AsyncSession) -> dict[str, Any]:
    groups = (await db.execute(select(DeputyGroup.id, DeputyGroup.name).order_by(DeputyGroup.name))).all()
    stations = (
        await db.execute(select(Station.id, Station.name).where(Station.is_active).order_by(Station.name))
    ).all()
    return {"groups": groups, "stations": stations}


class ActivityPages(Controller):
    path = "/t/{code:str}/duty"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    def _base(self, access: TenantAccess) -> str:
        return f"/t/{access.tenant.code}/duty"

    # --- the list --------------------------------------------------------------------------------------
    @get("/activities", guards=[READ])
    async def activity_list(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        caller = await duty_caller_for(db, access)
        params = request.query_params
        chosen = {
            "q": (params.get("q") or "").strip()[:100],
            "kind": params.get("kind") if params.get("kind") in ACTIVITY_KINDS else "",
            "year": str(_year(params.get("year")) or ""),
            "status": params.get("status") if params.get("status") in activities.PHASES else "",
        }
        filters = activities.ActivityFilter(
            chosen["q"] or None, chosen["kind"] or None, _year(chosen["year"]), chosen["status"] or None
        )
        found = await activities.list_activities(db, filters, _page_number(request), PAGE_SIZE)
        years = sorted({local_today().year, *await activities.activity_years(db)}, reverse=True)
        context = {
            **await shell_context(request, access),
            "page": found,
            "filters": chosen,
            "kinds": ACTIVITY_KINDS,
            "phases": activities.PHASES,
            "years": years,
            "query": urlencode({k: v for k, v in chosen.items() if v}),
            "can_manage": caller.manage,
            "is_deputy": caller.person_id is not None,
        }
        return Template("duty/activities.html", context=context)

    # --- creating and editing --------------------------------------------------------------------------
    async def _form(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        activity_id: uuid.UUID | None = None,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        require_manage(await duty_caller_for(db, access))
        # Read afresh: after a refused save the session was rolled back.
        activity = await activities.get_activity(db, activity_id) if activity_id else None
        form = extra.pop("form", None)
        if form is None and activity is not None:
            form = {
                "kind": activity.kind,
                "title": activity.title,
                "starts_at": _local_input(activity.starts_at),
                "ends_at": _local_input(activity.ends_at),
                "place": activity.place,
                "description": activity.description,
                "organiser": activity.organiser,
                "hours": f"{activity.hours:g}" if activity.hours is not None else "",
                "group_id": str(activity.group_id or ""),
                "station_id": str(activity.station_id or ""),
            }
        context = {
            **await shell_context(request, access),
            "activity": activity,
            "form": form or {"kind": request.query_params.get("kind") or "inspection"},
            "kinds": ACTIVITY_KINDS,
            **await _choices(db),
            "base": self._base(access),
            **extra,
        }
        return Template("duty/activity_form.html", context=context, status_code=status)

    @get("/activities/new", guards=[READ])
    async def new_activity(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._form(request, db, access)

    @post("/activities/new", guards=[WRITE])
    async def create_activity(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> Activity:
            caller = await duty_caller_for(db, access)
            fields = _activity_fields(data)
            return await activities.create_activity(
                db, caller, access.tenant, form_struct(fields, ActivityIn, ACTIVITY_LABELS)
            )

        kept = {k: form_value(data, k) or "" for k in ACTIVITY_FIELDS}
        return await run_form_action(
            db,
            action,
            redirect_to=lambda made: f"{self._base(access)}/activities/{made.id}",
            on_error=page_again(self._form, request, db, access, form=kept),
        )

    @get("/activities/{activity_id:uuid}/edit", guards=[READ])
    async def edit_form(
        self, request: Request, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID
    ) -> Template:
        return await self._form(request, db, access, activity_id)

    @post("/activities/{activity_id:uuid}/edit", guards=[WRITE])
    async def edit(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        activity_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        activity = await activities.get_activity(db, activity_id, for_update=True)

        async def action() -> None:
            caller = await duty_caller_for(db, access)
            patch = form_struct(_activity_fields(data), ActivityPatch, ACTIVITY_LABELS)
            await activities.update_activity(db, caller, access.tenant, activity, patch)

        kept = {k: form_value(data, k) or "" for k in ACTIVITY_FIELDS}
        return await run_form_action(
            db,
            action,
            redirect_to=f"{self._base(access)}/activities/{activity_id}",
            on_error=page_again(self._form, request, db, access, activity_id, form=kept),
        )

    # --- one activity ----------------------------------------------------------------------------------
    async def _detail(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        activity_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        caller = await duty_caller_for(db, access)
        activity = await activities.get_activity(db, activity_id)
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "a": await activities.activity_detail(db, activity),
            "rows": await attendance.list_attendance(db, activity) if caller.full else [],
            "statuses": ATTENDANCE_STATUSES,
            "caller": caller,
            "can_manage": caller.manage,
            "can_export": caller.full and access.can("exports.write"),
            "base": self._base(access),
        }
        if export_id := _uuid(request.query_params.get("export")):
            try:
                context["export"] = await exports.get_export(db, export_id)
            except NotFound:
                pass
        context.update(extra)
        return Template("duty/activity.html", context=context, status_code=status)

    @get("/activities/{activity_id:uuid}", guards=[READ])
    async def activity(
        self, request: Request, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID
    ) -> Template:
        return await self._detail(request, db, access, activity_id)

    async def _act(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        activity_id: uuid.UUID,
        action: Callable[[DutyCaller, Activity], Awaitable[Any]],
        redirect_to: str | None = None,
    ) -> Template | Redirect:
        activity = await activities.get_activity(db, activity_id, for_update=True)
        caller = await duty_caller_for(db, access)
        return await run_form_action(
            db,
            lambda: action(caller, activity),
            redirect_to=redirect_to or f"{self._base(access)}/activities/{activity_id}",
            on_error=page_again(self._detail, request, db, access, activity_id),
        )

    @post("/activities/{activity_id:uuid}/cancel", guards=[WRITE])
    async def cancel(
        self, request: Request, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: DutyCaller, activity: Activity) -> None:
            await activities.cancel_activity(db, caller, activity)

        return await self._act(request, db, access, activity_id, action)

    @post("/activities/{activity_id:uuid}/attendance/{attendance_id:uuid}", guards=[WRITE])
    async def change_attendance(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        activity_id: uuid.UUID,
        attendance_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: DutyCaller, activity: Activity) -> None:
            row = await attendance.get_attendance(db, activity, attendance_id)
            note = form_value(data, "note") or "" if "note" in data else None
            await attendance.change_attendance(db, caller, activity, row, form_value(data, "status") or "", note)

        return await self._act(request, db, access, activity_id, action)

    @post("/activities/{activity_id:uuid}/attendance/{attendance_id:uuid}/remove", guards=[WRITE])
    async def remove_attendance(
        self, request: Request, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID, attendance_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: DutyCaller, activity: Activity) -> None:
            row = await attendance.get_attendance(db, activity, attendance_id)
            await attendance.remove_attendance(db, caller, activity, row)

        return await self._act(request, db, access, activity_id, action)

    @post("/activities/{activity_id:uuid}/export", guards=[requires("exports.write")])
    async def export(
        self, request: Request, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID
    ) -> Template | Redirect:
        """The Excel sign-in sheet, built in the background."""

        async def action(caller: DutyCaller, activity: Activity) -> Any:
            if not caller.full:
                raise PermissionDenied("只能由工作人员导出签到表", code="export_not_allowed")
            return await exports.request_export(db, access, ATTENDANCE_KIND, attendance_params(activity.id))

        activity = await activities.get_activity(db, activity_id)
        caller = await duty_caller_for(db, access)
        return await run_form_action(
            db,
            lambda: action(caller, activity),
            redirect_to=lambda made: f"{self._base(access)}/activities/{activity_id}?export={made.id}",
            on_error=page_again(self._detail, request, db, access, activity_id),
        )

    # --- the sign-in list ------------------------------------------------------------------------------
    async def _sheet(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        activity_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        require_manage(await duty_caller_for(db, access))
        activity = await activities.get_activity(db, activity_id)
        params = request.query_params
        group_id = _uuid(params.get("group_id")) if "group_id" in params else activity.group_id
        q = (params.get("q") or "").strip()[:50]
        context = {
            **await shell_context(request, access),
            "a": await activities.activity_detail(db, activity),
            "roster": await attendance.roster(db, activity, group_id=group_id, q=q or None),
            "statuses": ATTENDANCE_STATUSES,
            "group_id": str(group_id or ""),
            "q": q,
            **await _choices(db),
            "base": self._base(access),
            **extra,
        }
        return Template("duty/activity_attendance.html", context=context, status_code=status)

    @get("/activities/{activity_id:uuid}/attendance", guards=[READ])
    async def sheet(self, request: Request, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID) -> Template:
        return await self._sheet(request, db, access, activity_id)

    @post("/activities/{activity_id:uuid}/attendance", guards=[WRITE])
    async def record(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        activity_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Rows `person-N` (a deputy), `mark-N` (present, leave, absent; empty: not recorded), `note-N`."""

        async def action() -> None:
            caller = await duty_caller_for(db, access)
            activity = await activities.get_activity(db, activity_id, for_update=True)
            await attendance.record_attendance(db, caller, activity, _sheet_entries(data))

        return await run_form_action(
            db,
            action,
            redirect_to=f"{self._base(access)}/activities/{activity_id}",
            on_error=page_again(self._sheet, request, db, access, activity_id),
        )

    # --- the QR code -----------------------------------------------------------------------------------
    async def _code(self, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID) -> tuple[Activity, str]:
        require_manage(await duty_caller_for(db, access))
        activity = await activities.get_activity(db, activity_id)
        return activity, signin.sign_in_path(access.tenant.code, activity)

    async def _qr_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        activity_id: uuid.UUID,
        settings: Settings,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        activity, _ = await self._code(db, access, activity_id)
        context = {
            **await shell_context(request, access),
            "a": await activities.activity_detail(db, activity),
            "code": signin.code_info(settings.public_url, access.tenant.code, activity),
            "regenerated": request.query_params.get("regenerated") == "1",
            "base": self._base(access),
            **extra,
        }
        return Template("duty/activity_qr.html", context=context, status_code=status)

    @get("/activities/{activity_id:uuid}/qr", guards=[READ])
    async def qr_page(
        self, request: Request, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID, settings: Settings
    ) -> Template:
        return await self._qr_page(request, db, access, activity_id, settings)

    @get("/activities/{activity_id:uuid}/qr.svg", guards=[READ])
    async def qr_image(
        self, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID, settings: Settings
    ) -> Response[bytes]:
        activity, path = await self._code(db, access, activity_id)
        svg = qr_svg(settings.public_url.rstrip("/") + path, title=f"{activity.title} 签到码")
        return Response(svg, media_type="image/svg+xml", headers={**QR_HEADERS, "Content-Security-Policy": SVG_POLICY})

    @get("/activities/{activity_id:uuid}/qr.png", guards=[READ])
    async def qr_png(
        self, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID, settings: Settings
    ) -> Response[bytes]:
        """For a projector or a chat group: the same code as a picture."""
        _, path = await self._code(db, access, activity_id)
        return Response(qr_png(settings.public_url.rstrip("/") + path), media_type="image/png", headers=QR_HEADERS)

    @get("/activities/{activity_id:uuid}/qr.pdf", guards=[READ])
    async def qr_sheet(
        self, request: Request, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID, settings: Settings
    ) -> Response[bytes]:
        """An A4 sheet to print and put up at the venue: the office, the activity, its code and when it works."""
        activity, path = await self._code(db, access, activity_id)
        url = settings.public_url.rstrip("/") + path
        engine = request.app.template_engine
        assert engine is not None  # the app is built with its templates
        html = engine.get_template("duty/activity_qr_sheet.html").render(
            tenant=access.tenant,
            a=await activities.activity_detail(db, activity),
            qr=data_uri(qr_svg(url), "image/svg+xml"),
            opens=to_local(activity.starts_at - activities.SIGN_IN_EARLY),
        )
        pdf = await anyio.to_thread.run_sync(render_pdf, html)
        filename = quote(f"{activity.title}签到码.pdf")
        headers = {
            "Content-Disposition": f"inline; filename=\"sign-in.pdf\"; filename*=UTF-8''{filename}",
            "Cache-Control": "private, no-store",
        }
        return Response(pdf, media_type="application/pdf", headers=headers)

    @post("/activities/{activity_id:uuid}/qr/regenerate", guards=[WRITE])
    async def regenerate(
        self, request: Request, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID, settings: Settings
    ) -> Template | Redirect:
        activity = await activities.get_activity(db, activity_id, for_update=True)
        caller = await duty_caller_for(db, access)
        return await run_form_action(
            db,
            lambda: signin.regenerate(db, caller, activity),
            redirect_to=f"{self._base(access)}/activities/{activity_id}/qr?regenerated=1",
            on_error=page_again(self._qr_page, request, db, access, activity_id, settings),
        )

    # --- the deputy's pages ----------------------------------------------------------------------------
    @get("/activities/mine", guards=[READ])
    async def mine(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        caller = await duty_caller_for(db, access)
        year = _year(request.query_params.get("year")) or local_today().year
        items = await attendance.my_activities(db, caller.person_id, year) if caller.person_id else []
        counts = {s: sum(1 for i in items if i.status == s) for s in ATTENDANCE_STATUSES}
        context = {
            **await shell_context(request, access),
            "items": items,
            "counts": counts,
            "year": year,
            "years": list(range(local_today().year, local_today().year - 5, -1)),
            "is_deputy": caller.person_id is not None,
        }
        return Template("duty/activities_mine.html", context=context)

    async def _sign_in_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        activity_id: uuid.UUID,
        token: str,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        caller = await duty_caller_for(db, access)
        activity = await activities.get_activity(db, activity_id)
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "a": await activities.activity_detail(db, activity),
            "action": f"{self._base(access)}/sign-in/{activity_id}/{quote(token)}",
            "mine": None,
            "closed": None,
            "result": request.query_params.get("result"),
        }
        try:
            signin.check_token(access.tenant.code, activity, token)
        except AppError as error:
            status, context["error"] = error.status_code, error.message
        else:
            context["closed"] = signin.closed_reason(activity, utcnow())
            if caller.person_id is None:
                context["not_deputy"] = True
            else:
                context["mine"] = await signin.recorded(db, activity.id, caller.person_id)
        context.update(extra)
        return Template("duty/activity_sign_in.html", context=context, status_code=status)

    @get("/sign-in/{activity_id:uuid}/{token:str}", guards=[READ])
    async def sign_in_page(
        self, request: Request, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID, token: str
    ) -> Template:
        """What the QR code opens on the deputy's phone (after they sign in to the platform, if need be)."""
        return await self._sign_in_page(request, db, access, activity_id, token)

    @post("/sign-in/{activity_id:uuid}/{token:str}", guards=[WRITE])
    async def sign_in(
        self, request: Request, db: AsyncSession, access: TenantAccess, activity_id: uuid.UUID, token: str
    ) -> Template | Redirect:
        activity = await activities.get_activity(db, activity_id)
        caller = await duty_caller_for(db, access)
        base = f"{self._base(access)}/sign-in/{activity_id}/{quote(token)}"
        return await run_form_action(
            db,
            lambda: signin.sign_in(db, caller, access.tenant.code, activity, token),
            redirect_to=lambda done: f"{base}?result={'already' if done.already else 'new'}",
            on_error=page_again(self._sign_in_page, request, db, access, activity_id, token),
        )


def _sheet_entries(data: Form) -> list[AttendanceEntryIn]:
    """The marked rows of the sign-in list; a row left 未登记 is not recorded."""
    entries = []
    for key in data:
        if not key.startswith("mark-"):
            continue
        index = key.removeprefix("mark-")
        status = form_value(data, key)
        if not status:
            continue
        person = _uuid(form_value(data, f"person-{index}"))
        if person is None or status not in ATTENDANCE_STATUSES:
            raise InvalidInput("签到表有一行无法识别,请刷新页面后重新登记", code="validation_error")
        note = (form_value(data, f"note-{index}") or "")[:200]
        entries.append(AttendanceEntryIn(person_id=person, status=status, note=note))  # type: ignore[arg-type]
    if not entries:
        raise InvalidInput("请至少为一名代表选择出席、请假或缺席", code="attendance_required")
    return entries


# --- evidence ------------------------------------------------------------------------------------------
class EvidencePages(Controller):
    path = "/t/{code:str}/duty/evidence"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    def _base(self, access: TenantAccess) -> str:
        return f"/t/{access.tenant.code}/duty/evidence"

    @get("/", guards=[READ])
    async def evidence_list(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template | Redirect:
        """Staff: the evidence to verify (pending first come first) and the rest; a deputy goes to theirs."""
        caller = await duty_caller_for(db, access)
        if not caller.full:
            return Redirect(f"{self._base(access)}/mine")
        params = request.query_params
        chosen = {
            "status": params.get("status", "pending") if params.get("status", "pending") in EVIDENCE_STATUSES else "",
            "kind": params.get("kind") if params.get("kind") in EVIDENCE_KINDS else "",
            "year": str(_year(params.get("year")) or ""),
            "q": (params.get("q") or "").strip()[:100],
        }
        filters = evidence.EvidenceFilter(
            chosen["status"] or None, chosen["kind"] or None, _year(chosen["year"]), None, chosen["q"] or None
        )
        context = {
            **await shell_context(request, access),
            "page": await evidence.list_evidence(db, caller, filters, _page_number(request), PAGE_SIZE),
            "filters": chosen,
            "statuses": EVIDENCE_STATUSES,
            "kinds": EVIDENCE_KINDS,
            "years": list(range(local_today().year, local_today().year - 5, -1)),
            "pending": await evidence.pending_count(db),
            "query": urlencode(
                {k: v for k, v in chosen.items() if v} | ({"status": ""} if not chosen["status"] else {})
            ),
        }
        return Template("duty/evidence_list.html", context=context)

    @get("/mine", guards=[READ])
    async def mine(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        caller = await duty_caller_for(db, access)
        found = None
        if caller.person_id is not None:
            mine = evidence.EvidenceFilter(person_id=caller.person_id)
            found = await evidence.list_evidence(db, caller, mine, _page_number(request), PAGE_SIZE)
        context = {**await shell_context(request, access), "page": found, "is_deputy": caller.person_id is not None}
        return Template("duty/evidence_mine.html", context=context)

    async def _new(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await duty_caller_for(db, access)
        earliest, today = evidence.evidence_day_choices()
        context = {
            **await shell_context(request, access),
            "is_deputy": caller.person_id is not None,
            "kinds": EVIDENCE_KINDS,
            "award_levels": AWARD_LEVELS,
            "earliest": earliest,
            "today": today,
            "form": extra.pop("form", None) or {"kind": request.query_params.get("kind") or "training"},
            "accept": ACCEPT,
            "allowed_label": ALLOWED_LABEL,
            "max_mb": MAX_FILE_MB,
            "max_files": evidence.MAX_FILES,
            **extra,
        }
        return Template("duty/evidence_new.html", context=context, status_code=status)

    @get("/new", guards=[READ])
    async def new(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._new(request, db, access)

    @post("/new", guards=[WRITE], request_max_body_size=evidence.MAX_BODY)
    async def submit(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template | Redirect:
        """Multipart: the fields and up to 10 `files`; a refused file stores nothing and shows the form again."""
        kept: dict[str, str] = {}

        async def action() -> Any:
            caller = await duty_caller_for(db, access)
            require_deputy(caller)
            form = await request.form()
            kept.update({k: v for k in EVIDENCE_FORM_FIELDS if isinstance(v := form.get(k), str)})
            data, uploads = await evidence_form(form)
            return await evidence.submit_evidence(db, caller, access.tenant, data, uploads)

        return await run_form_action(
            db,
            action,
            redirect_to=lambda made: f"{self._base(access)}/{made.id}?submitted=1",
            on_error=page_again(self._new, request, db, access, form=kept),
        )

    async def _item(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        evidence_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        caller = await duty_caller_for(db, access)
        found = await evidence.get_evidence(db, caller, evidence_id)
        context = {
            **await shell_context(request, access),
            "e": await evidence.evidence_out(db, found),
            "can_review": caller.manage,
            "own": found.person_id == caller.person_id,
            "submitted": request.query_params.get("submitted") == "1",
            "base": self._base(access),
            **extra,
        }
        return Template("duty/evidence_item.html", context=context, status_code=status)

    @get("/{evidence_id:uuid}", guards=[READ])
    async def item(self, request: Request, db: AsyncSession, access: TenantAccess, evidence_id: uuid.UUID) -> Template:
        return await self._item(request, db, access, evidence_id)

    async def _act(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        evidence_id: uuid.UUID,
        action: Callable[[DutyCaller, Any], Awaitable[Any]],
        redirect_to: str | None = None,
    ) -> Template | Redirect:
        caller = await duty_caller_for(db, access)
        found = await evidence.get_evidence(db, caller, evidence_id, for_update=True)
        return await run_form_action(
            db,
            lambda: action(caller, found),
            redirect_to=redirect_to or f"{self._base(access)}/{evidence_id}",
            on_error=page_again(self._item, request, db, access, evidence_id),
        )

    @post("/{evidence_id:uuid}/verify", guards=[WRITE])
    async def verify(
        self, request: Request, db: AsyncSession, access: TenantAccess, evidence_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: DutyCaller, found: Any) -> None:
            await evidence.verify_evidence(db, caller, access.tenant, found)

        return await self._act(request, db, access, evidence_id, action, redirect_to=self._base(access))

    @post("/{evidence_id:uuid}/reject", guards=[WRITE])
    async def reject(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        evidence_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: DutyCaller, found: Any) -> None:
            await evidence.reject_evidence(db, caller, access.tenant, found, form_value(data, "reason") or "")

        return await self._act(request, db, access, evidence_id, action, redirect_to=self._base(access))

    @post("/{evidence_id:uuid}/withdraw", guards=[WRITE])
    async def withdraw(
        self, request: Request, db: AsyncSession, access: TenantAccess, evidence_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: DutyCaller, found: Any) -> None:
            await evidence.withdraw_evidence(db, caller, found)

        return await self._act(request, db, access, evidence_id, action, redirect_to=f"{self._base(access)}/mine")

    @get("/{evidence_id:uuid}/files/{file_id:uuid}", guards=[READ])
    async def download(
        self, db: AsyncSession, access: TenantAccess, evidence_id: uuid.UUID, file_id: uuid.UUID
    ) -> Response[bytes]:
        found = await evidence.get_evidence(db, await duty_caller_for(db, access), evidence_id)
        return file_response(await evidence.get_file(db, found, file_id, with_content=True))


EVIDENCE_FORM_FIELDS = ("kind", "title", "occurred_on", "description", "hours", "award_level")
PAGES = [ActivityPages, EvidencePages]
