"""Staff and deputy UI of receptions: the calendar, rosters, records, stations and each station's register.

Forms post URL-encoded fields; they are turned into the API's request types, so a page and the API accept
exactly the same data. A refused form shows the page again with the reason and changes nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError, InvalidInput, NotFound
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.exports import service as exports
from renda.modules.organisation.models import STATION_KINDS
from renda.modules.receptions import service
from renda.modules.receptions.models import EXCEPTION_KINDS, RULE_KINDS
from renda.modules.receptions.schemas import (
    CATEGORIES,
    ExceptionIn,
    ReceptionFilter,
    ReceptionIn,
    ReceptionPage,
    ReceptionPatch,
    RosterEntryIn,
    RuleIn,
)
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.actions import page_again, run_form_action
from renda.web.forms import Form, form_fields, form_struct, form_value, form_values, parse_days
from renda.web.pages import shell_context

S = TypeVar("S", bound=msgspec.Struct)
READ, WRITE = requires("receptions.read"), requires("receptions.write")
TABS = {
    "calendar": "接待日历",
    "roster": "排班",
    "records": "接待记录",
    "stations": "家站室接待规则",
    "mine": "我的接待",
}
PAGE_SIZE = 30
WEEKDAYS = "一二三四五六日"
FIELD_LABELS = {
    "station_id": "家站室",
    "held_on": "接待日期",
    "visitor_name": "来访群众姓名(不超过 50 字)",
    "visitor_count": "来访人数(1 到 500)",
    "visitor_phone": "联系电话",
    "issue": "反映的问题(不超过 1000 字)",
    "category": "问题类别",
    "place": "接待地点(不超过 200 字)",
    "handling": "处理情况(不超过 2000 字)",
    "deputies": "接待代表",
    "kind": "类型",
    "days": "日期",
    "valid_from": "起始日期",
    "valid_to": "截止日期",
    "per_month": "每月进站次数",
    "per_quarter_home": "每季度进家次数",
    "home_station_id": "代表之家",
    "note": "备注(不超过 200 字)",
    "day": "日期",
    "reason": "原因(不超过 200 字)",
    "month": "月份",
}


def _convert(data: dict[str, Any], kind: type[S]) -> S:
    return form_struct(data, kind, FIELD_LABELS)


# --- reading forms and queries --------------------------------------------------------------------
DAYS_HINT = "日期请填写数字并用逗号分隔,如逢十接待日填“10,20,30”,每周三填“3”"


def _month(text: str | None) -> tuple[int, int]:
    if not text:
        today = local_today()
        return today.year, today.month
    return service.month_of(text)


def _shift(year: int, month: int, by: int) -> str:
    index = year * 12 + month - 1 + by
    return f"{index // 12}-{index % 12 + 1:02d}"


def _uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def _page(params: Any) -> int:
    raw = params.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


def _record_data(form: Form) -> dict[str, Any]:
    data = form_fields(
        form, "station_id", "held_on", "visitor_name", "visitor_phone", "issue", "category", "place", "handling"
    )
    if "visitor_count" in form:
        data["visitor_count"] = form_value(form, "visitor_count") or "1"
    if "deputies" in form or "deputies_sent" in form:
        data["deputies"] = [msgspec.to_builtins(service.parse_deputy_key(k)) for k in form_values(form, "deputies")]
    return data


class ReceptionPages(Controller):
    path = "/t/{code:str}/receptions"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    # --- the overview -----------------------------------------------------------------------------
    async def _overview(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        params = request.query_params
        caller = await service.caller_of(db, access)
        default_tab = "calendar" if caller.reads_all or caller.person_id is None else "mine"
        tab = extra.pop("tab", None) or params.get("tab") or default_tab
        tab = tab if tab in TABS else "calendar"
        try:
            year, month = _month(params.get("month"))
        except AppError:
            year, month = _month(None)
        station_id = _uuid(params.get("station_id"))
        station = None
        if station_id:
            try:
                station = await service.get_station(db, station_id)
            except NotFound:
                station_id = None
        stations = await service.station_list(db)
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "tabs": TABS,
            "tab": tab,
            "caller": caller,
            "year": year,
            "month": month,
            "month_key": f"{year}-{month:02d}",
            "prev_month": _shift(year, month, -1),
            "next_month": _shift(year, month, 1),
            "station_id": station_id,
            "stations": stations,
            "active_stations": [s for s in stations if s.is_active],
            "categories": CATEGORIES,
            "exception_kinds": EXCEPTION_KINDS,
            "weekdays": WEEKDAYS,
            "today": local_today(),
            "form": {},
        }
        if tab == "calendar":
            context["calendar"] = await service.month_calendar(db, year, month, station)
            context["exceptions"] = await service.list_exceptions(db, year, month, station_id)
        elif tab == "roster":
            context["roster"] = await service.month_roster(db, year, month, station_id)
        elif tab == "records":
            filters = self._filters(params, station_id)
            context["filters"] = filters
            context["records"] = await self._records(db, caller, filters, _page(params))
        elif tab == "stations":
            context["station_calendars"] = await service.station_calendars(db, local_today())
        elif tab == "mine" and caller.person_id:
            start = local_today()
            context["schedule"] = await service.my_schedule(db, caller, start, start + timedelta(days=365))
            own = ReceptionFilter(person_id=caller.person_id)
            context["records"] = await service.list_receptions(db, caller, own, _page(params), PAGE_SIZE)
        context.update(extra)
        return Template("receptions/overview.html", context=context, status_code=status)

    def _filters(self, params: Any, station_id: uuid.UUID | None) -> ReceptionFilter:
        raw = {k: params.get(k) or None for k in ("month", "category", "person_id", "off_schedule", "q")}
        if raw["month"]:
            try:
                service.month_of(raw["month"])
            except AppError:
                raw["month"] = None
        if raw["category"] not in CATEGORIES:
            raw["category"] = None
        off = {"1": True, "0": False}.get(raw["off_schedule"] or "")
        return ReceptionFilter(
            station_id, raw["month"], raw["category"], _uuid(raw["person_id"]), None, off, (raw["q"] or "")[:50] or None
        )

    async def _records(
        self, db: AsyncSession, caller: service.Caller, filters: ReceptionFilter, page: int
    ) -> ReceptionPage:
        """The records the caller may read; none for a deputy account not linked to the register."""
        if not service.may_read_records(caller):
            return ReceptionPage([], 0, 1, PAGE_SIZE)
        return await service.list_receptions(db, caller, filters, page, PAGE_SIZE)

    async def _act(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        action: Callable[[], Awaitable[Any]],
        done: str,
        **refused: Any,
    ) -> Template | Redirect:
        """Run a form's action: then go to `done`, or show the overview again with the reason."""
        return await run_form_action(
            db, action, redirect_to=done, on_error=page_again(self._overview, request, db, access, **refused)
        )

    @get("/", guards=[READ])
    async def overview(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._overview(request, db, access)

    # --- exceptions and rosters (staff) -----------------------------------------------------------
    @post("/exceptions", guards=[WRITE])
    async def create_exception(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> None:
            await service.require_manager(db, access)
            await service.create_exception(
                db, _convert(form_fields(data, "day", "kind", "station_id", "reason"), ExceptionIn)
            )

        day = form_value(data, "day") or ""
        back = f"/t/{access.tenant.code}/receptions?tab=calendar&month={day[:7]}"
        return await self._act(request, db, access, action, back, tab="calendar", form=data)

    @post("/exceptions/{exception_id:uuid}/delete", guards=[WRITE])
    async def delete_exception(
        self, request: Request, db: AsyncSession, access: TenantAccess, exception_id: uuid.UUID
    ) -> Template | Redirect:
        row = await service.get_exception(db, exception_id)
        back = f"/t/{access.tenant.code}/receptions?tab=calendar&month={row.day:%Y-%m}"

        async def action() -> None:
            await service.require_manager(db, access)
            await service.delete_exception(db, row)

        return await self._act(request, db, access, action, back, tab="calendar")

    @post("/roster/generate", guards=[WRITE])
    async def generate(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        month_key = form_value(data, "month") or ""
        station_id = form_value(data, "station_id") or ""

        async def action() -> None:
            await service.require_manager(db, access)
            chosen = _uuid(station_id)
            if chosen is None:
                raise InvalidInput("请选择家站室", code="unknown_station")
            station = await service.station_in_body(db, chosen)
            year, month = service.month_of(month_key)
            await service.generate_roster(db, station, year, month)

        back = f"/t/{access.tenant.code}/receptions/stations/{station_id}?month={month_key}"
        return await self._act(request, db, access, action, back, tab="roster")

    @post("/roster", guards=[WRITE])
    async def add_roster_entry(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        day = form_value(data, "day") or ""

        async def action() -> None:
            await service.require_manager(db, access)
            deputy = service.parse_deputy_key(form_value(data, "deputy") or "")
            fields = form_fields(data, "station_id", "day") | {"deputy": msgspec.to_builtins(deputy)}
            await service.add_roster_entry(db, _convert(fields, RosterEntryIn))

        back = f"/t/{access.tenant.code}/receptions/stations/{form_value(data, 'station_id')}?month={day[:7]}"
        return await self._act(request, db, access, action, back, tab="roster")

    @post("/roster/{entry_id:uuid}/delete", guards=[WRITE])
    async def delete_roster_entry(
        self, request: Request, db: AsyncSession, access: TenantAccess, entry_id: uuid.UUID
    ) -> Template | Redirect:
        entry = await service.get_roster_entry(db, entry_id)
        back = f"/t/{access.tenant.code}/receptions/stations/{entry.station_id}?month={entry.day:%Y-%m}"

        async def action() -> None:
            await service.require_manager(db, access)
            await service.delete_roster_entry(db, entry)

        return await self._act(request, db, access, action, back, tab="roster")

    # --- a station: rules, calendar, roster, register ---------------------------------------------
    async def _station_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        station_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        station = await service.get_station(db, station_id)
        caller = await service.caller_of(db, access)
        params = request.query_params
        year, month = _month(params.get("month") if re.match(r"^\d{4}-\d{2}$", params.get("month", "")) else None)
        filters = self._filters({**params, "month": params.get("register_month")}, station.id)
        [summary] = await service.station_calendars(db, local_today(), [station.id])
        deputies = await service.station_deputies(db, [station.id])
        roster_choices = list(deputies.get(station.id, []))
        if station.kind == "deputy_home":  # the quarterly home turn: any deputy of the office's stations
            everyone = await service.station_deputies(db, [s.id for s in await service.station_list(db)])
            seen = {d.key for d in roster_choices}
            roster_choices += [d for ds in everyone.values() for d in ds if d.key not in seen and not seen.add(d.key)]
        export_id = _uuid(params.get("export"))
        context = {
            **await shell_context(request, access),
            "station": station,
            "summary": summary,
            "caller": caller,
            "station_kinds": STATION_KINDS,
            "rule_kinds": RULE_KINDS,
            "rules": await service.list_rules(db, station),
            "homes": [s for s in await service.station_list(db, active_only=True) if s.kind == "deputy_home"],
            "year": year,
            "month": month,
            "month_key": f"{year}-{month:02d}",
            "prev_month": _shift(year, month, -1),
            "next_month": _shift(year, month, 1),
            "calendar": await service.month_calendar(db, year, month, station),
            "roster": await service.month_roster(db, year, month, station.id),
            "coverage": await service.coverage(db, station, year, month),
            "roster_choices": roster_choices,
            "deputies": deputies.get(station.id, []),
            "categories": CATEGORIES,
            "filters": filters,
            "register": await self._records(db, caller, filters, _page(params)),
            "register_summary": await service.register_summary(db, caller, filters)
            if service.may_read_records(caller)
            else None,
            "weekdays": WEEKDAYS,
            "today": local_today(),
            "export": await self._export(db, export_id),
            "form": {},
            **extra,
        }
        return Template("receptions/station.html", context=context, status_code=status)

    async def _export(self, db: AsyncSession, export_id: uuid.UUID | None) -> Any:
        if export_id is None:
            return None
        try:
            return await exports.get_export(db, export_id)
        except NotFound:
            return None

    async def _station_action(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        station_id: uuid.UUID,
        action: Callable[[Any], Awaitable[Any]],
        back: str | None = None,
        form: Form | None = None,
    ) -> Template | Redirect:
        station = await service.get_station(db, station_id)
        return await run_form_action(
            db,
            lambda: action(station),
            redirect_to=back or f"/t/{access.tenant.code}/receptions/stations/{station_id}",
            on_error=page_again(self._station_page, request, db, access, station_id, form=form or {}),
        )

    @get("/stations/{station_id:uuid}", guards=[READ])
    async def station(
        self, request: Request, db: AsyncSession, access: TenantAccess, station_id: uuid.UUID
    ) -> Template:
        return await self._station_page(request, db, access, station_id)

    @post("/stations/{station_id:uuid}/rules", guards=[WRITE])
    async def create_rule(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        station_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(station: Any) -> None:
            await service.require_manager(db, access)
            fields = form_fields(data, "kind", "valid_from", "valid_to", "home_station_id", "note")
            fields["days"] = parse_days(form_value(data, "days"), DAYS_HINT)
            for key in ("per_month", "per_quarter_home"):
                if form_value(data, key) is not None:
                    fields[key] = form_value(data, key)
            await service.create_rule(db, station, _convert(fields, RuleIn))

        return await self._station_action(request, db, access, station_id, action, form=data)

    @post("/rules/{rule_id:uuid}/delete", guards=[WRITE])
    async def delete_rule(
        self, request: Request, db: AsyncSession, access: TenantAccess, rule_id: uuid.UUID
    ) -> Template | Redirect:
        rule = await service.get_rule(db, rule_id)

        async def action(_: Any) -> None:
            await service.require_manager(db, access)
            await service.delete_rule(db, rule)

        return await self._station_action(request, db, access, rule.station_id, action)

    @post("/stations/{station_id:uuid}/register/export", guards=[requires("exports.write")])
    async def export_register(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        station_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        found: dict[str, uuid.UUID] = {}

        async def action(station: Any) -> None:
            filters = self._filters(data, station.id)
            export = await exports.request_export(db, access, "reception_register", service.filter_params(filters))
            found["id"] = export.id

        base = f"/t/{access.tenant.code}/receptions/stations/{station_id}"
        result = await self._station_action(request, db, access, station_id, action)
        return Redirect(f"{base}?export={found['id']}#register") if "id" in found else result

    # --- reception records ------------------------------------------------------------------------
    async def _record_form(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await service.caller_of(db, access)
        form = extra.pop("form", None) or {}
        station_id = _uuid(form_value(form, "station_id") if form else request.query_params.get("station_id"))
        stations = await service.station_list(db, active_only=True)
        station = next((s for s in stations if s.id == station_id), None)
        deputies = (await service.station_deputies(db, [station.id])).get(station.id, []) if station else []
        context = {
            **await shell_context(request, access),
            "caller": caller,
            "stations": stations,
            "station": station,
            "deputies": deputies,
            "categories": CATEGORIES,
            "today": local_today(),
            "form": form,
            "chosen": set(form_values(form, "deputies")) if form else set(),
            **extra,
        }
        return Template("receptions/record_form.html", context=context, status_code=status)

    @get("/records/new", guards=[WRITE])
    async def new_record(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._record_form(request, db, access)

    @post("/records", guards=[WRITE])
    async def create_record(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def create() -> Any:
            caller = await service.caller_of(db, access)
            fields = _record_data(data) | {"to_opinion": form_value(data, "to_opinion") == "1"}
            fields.setdefault("deputies", [])
            return await service.create_reception(db, access.tenant, caller, _convert(fields, ReceptionIn))

        return await run_form_action(
            db,
            create,
            redirect_to=lambda row: f"/t/{access.tenant.code}/receptions/records/{row.id}",
            on_error=page_again(self._record_form, request, db, access, form=data),
        )

    async def _record_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        reception_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        caller = await service.caller_of(db, access)
        row = await service.get_reception(db, caller, reception_id)
        [out] = await service.reception_outs(db, [row])
        station = await service.get_station(db, row.station_id)
        deputies = (await service.station_deputies(db, [station.id])).get(station.id, [])
        present = {d.key for d in out.deputies}
        context = {
            **await shell_context(request, access),
            "caller": caller,
            "record": out,
            "station": station,
            "deputies": deputies + [d for d in out.deputies if d.key not in {x.key for x in deputies}],
            "present": present,
            "categories": CATEGORIES,
            "today": local_today(),
            "may_edit": caller.manages or (caller.person_id is not None and access.can("receptions.write")),
            **extra,
        }
        return Template("receptions/record.html", context=context, status_code=status)

    @get("/records/{reception_id:uuid}", guards=[READ])
    async def record(
        self, request: Request, db: AsyncSession, access: TenantAccess, reception_id: uuid.UUID
    ) -> Template:
        return await self._record_page(request, db, access, reception_id)

    async def _record_action(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        reception_id: uuid.UUID,
        action: Callable[[service.Caller, Any], Awaitable[Any]],
        done: str | None = None,
    ) -> Template | Redirect:
        caller = await service.caller_of(db, access)
        row = await service.get_reception(db, caller, reception_id)
        return await run_form_action(
            db,
            lambda: action(caller, row),
            redirect_to=done or f"/t/{access.tenant.code}/receptions/records/{reception_id}",
            on_error=page_again(self._record_page, request, db, access, reception_id),
        )

    @post("/records/{reception_id:uuid}/edit", guards=[WRITE])
    async def edit_record(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        reception_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: service.Caller, row: Any) -> None:
            fields = _record_data(data)
            fields.pop("station_id", None)
            if not fields.get("visitor_phone") and form_value(data, "clear_phone") != "1":
                fields.pop("visitor_phone", None)  # the page never shows the number: empty keeps it
            await service.update_reception(db, access.tenant, caller, row, _convert(fields, ReceptionPatch))

        return await self._record_action(request, db, access, reception_id, action)

    @post("/records/{reception_id:uuid}/opinion", guards=[WRITE])
    async def record_to_opinion(
        self, request: Request, db: AsyncSession, access: TenantAccess, reception_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: service.Caller, row: Any) -> None:
            await service.convert_to_opinion(db, access.tenant, caller, row)

        return await self._record_action(request, db, access, reception_id, action)

    @post("/records/{reception_id:uuid}/delete", guards=[WRITE])
    async def delete_record(
        self, request: Request, db: AsyncSession, access: TenantAccess, reception_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: service.Caller, row: Any) -> None:
            await service.delete_reception(db, caller, row)

        done = f"/t/{access.tenant.code}/receptions?tab=records"
        return await self._record_action(request, db, access, reception_id, action, done)


PAGES = [ReceptionPages]
