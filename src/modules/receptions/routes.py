"""`/api/v1/t/{code}/receptions/...`: the reception calendar, rules, rosters, records and registers.

An id in the path that is not this office's answers 404 before the body is read; an id in the body or
query that is not this office's (a station, a deputy) is a 400 naming what is wrong. Managing rules
and rosters is for staff; a deputy reads the calendar and their own schedule and records the
receptions they hold (the service decides, see `service.Caller`).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from litestar import Controller, delete, get, patch, post
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.exports import service as exports
from renda.modules.organisation.models import Station
from renda.modules.receptions import service
from renda.modules.receptions.models import Reception, ReceptionException, ReceptionRule, RosterEntry
from renda.modules.receptions.schemas import (
    CalendarOut,
    CategoryOut,
    CoverageOut,
    ExceptionIn,
    ExceptionOut,
    ExportRequested,
    GenerateIn,
    GenerateOut,
    ReceptionFilter,
    ReceptionIn,
    ReceptionOut,
    ReceptionPage,
    ReceptionPatch,
    RegisterOut,
    RosterEntryIn,
    RosterEntryOut,
    RuleIn,
    RuleOut,
    RulePatch,
    StationCalendarOut,
    category_options,
)
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess

BASE = "/api/v1/t/{code:str}/receptions"
READ, WRITE = requires("receptions.read"), requires("receptions.write")


async def provide_station(db: AsyncSession, station_id: uuid.UUID) -> Station:
    return await service.get_station(db, station_id)


async def provide_rule(db: AsyncSession, rule_id: uuid.UUID) -> ReceptionRule:
    return await service.get_rule(db, rule_id)


async def provide_exception(db: AsyncSession, exception_id: uuid.UUID) -> ReceptionException:
    return await service.get_exception(db, exception_id)


async def provide_entry(db: AsyncSession, entry_id: uuid.UUID) -> RosterEntry:
    return await service.get_roster_entry(db, entry_id)


async def provide_reception(db: AsyncSession, access: TenantAccess, reception_id: uuid.UUID) -> Reception:
    return await service.get_reception(db, await service.caller_of(db, access), reception_id)


def _filters(
    station_id: uuid.UUID | None,
    month: str | None,
    category: str | None,
    person_id: uuid.UUID | None,
    mandate_id: uuid.UUID | None,
    off_schedule: bool | None,
    q: str | None,
) -> ReceptionFilter:
    if month:
        service.month_of(month)
    if q and len(q) > 50:
        raise InvalidInput("搜索内容不能超过 50 个字", code="invalid_search")
    return ReceptionFilter(station_id, month or None, category or None, person_id, mandate_id, off_schedule, q or None)


class _ReceptionsController(Controller):
    tags = ["接待选民"]
    dependencies = {
        **TENANT_DEPENDENCIES,
        "station": Provide(provide_station),
        "rule": Provide(provide_rule),
        "exception_row": Provide(provide_exception),
        "entry": Provide(provide_entry),
        "reception": Provide(provide_reception),
    }


class CalendarController(_ReceptionsController):
    path = BASE

    @get("/categories", guards=[READ])
    async def categories(self) -> list[CategoryOut]:
        """问题类别 (shared with the people's opinions)."""
        return category_options()

    @get("/stations", guards=[READ])
    async def stations(self, db: AsyncSession) -> list[StationCalendarOut]:
        """Every station with its rules in words, its next reception days and its deputies."""
        return await service.station_calendars(db, local_today())

    @get("/calendar", guards=[READ])
    async def calendar(
        self, db: AsyncSession, year: int | None = None, month: int | None = None, station_id: uuid.UUID | None = None
    ) -> CalendarOut:
        """A month of the office's (or one station's) reception days, with rosters and record counts
        (by default this month)."""
        year, month = service.resolve_month(year, month)
        station = await service.station_in_query(db, station_id)
        return await service.month_calendar(db, year, month, station)

    @get("/stations/{station_id:uuid}/rules", guards=[READ])
    async def rules(self, db: AsyncSession, station: Station) -> list[RuleOut]:
        return await service.list_rules(db, station)

    @post("/stations/{station_id:uuid}/rules", guards=[WRITE], status_code=201)
    async def create_rule(self, db: AsyncSession, access: TenantAccess, station: Station, data: RuleIn) -> RuleOut:
        await service.require_manager(db, access)
        return service.rule_out(await service.create_rule(db, station, data))

    @patch("/rules/{rule_id:uuid}", guards=[WRITE])
    async def update_rule(
        self, db: AsyncSession, access: TenantAccess, rule: ReceptionRule, data: RulePatch
    ) -> RuleOut:
        await service.require_manager(db, access)
        return service.rule_out(await service.update_rule(db, rule, data))

    @delete("/rules/{rule_id:uuid}", guards=[WRITE], status_code=204)
    async def delete_rule(self, db: AsyncSession, access: TenantAccess, rule: ReceptionRule) -> None:
        await service.require_manager(db, access)
        await service.delete_rule(db, rule)

    @get("/exceptions", guards=[READ])
    async def exceptions(
        self, db: AsyncSession, year: int | None = None, month: int | None = None, station_id: uuid.UUID | None = None
    ) -> list[ExceptionOut]:
        """Cancelled and extra reception days of a month (office-wide ones included)."""
        year, month = service.resolve_month(year, month)
        station = await service.station_in_query(db, station_id)
        return await service.list_exceptions(db, year, month, station.id if station else None)

    @post("/exceptions", guards=[WRITE], status_code=201)
    async def create_exception(self, db: AsyncSession, access: TenantAccess, data: ExceptionIn) -> ExceptionOut:
        await service.require_manager(db, access)
        return (await service.exception_outs(db, [await service.create_exception(db, data)]))[0]

    @delete("/exceptions/{exception_id:uuid}", guards=[WRITE], status_code=204)
    async def delete_exception(self, db: AsyncSession, access: TenantAccess, exception_row: ReceptionException) -> None:
        await service.require_manager(db, access)
        await service.delete_exception(db, exception_row)


class RosterController(_ReceptionsController):
    path = f"{BASE}/roster"

    @get("/", guards=[READ])
    async def month(
        self, db: AsyncSession, year: int | None = None, month: int | None = None, station_id: uuid.UUID | None = None
    ) -> list[RosterEntryOut]:
        """轮值代表 of a month, per station and day."""
        year, month = service.resolve_month(year, month)
        station = await service.station_in_query(db, station_id)
        return await service.month_roster(db, year, month, station.id if station else None)

    @get("/mine", guards=[READ])
    async def mine(
        self, db: AsyncSession, access: TenantAccess, start: date | None = None, end: date | None = None
    ) -> list[RosterEntryOut]:
        """The signed-in deputy's own rostered days (by default the coming year)."""
        caller = await service.caller_of(db, access)
        start = start or local_today()
        return await service.my_schedule(db, caller, start, end or start + timedelta(days=365))

    @post("/", guards=[WRITE], status_code=201)
    async def add(self, db: AsyncSession, access: TenantAccess, data: RosterEntryIn) -> RosterEntryOut:
        """Put one deputy on a station's reception day by hand."""
        await service.require_manager(db, access)
        return (await service.roster_outs(db, [await service.add_roster_entry(db, data)]))[0]

    @delete("/{entry_id:uuid}", guards=[WRITE], status_code=204)
    async def remove(self, db: AsyncSession, access: TenantAccess, entry: RosterEntry) -> None:
        await service.require_manager(db, access)
        await service.delete_roster_entry(db, entry)

    @post("/generate", guards=[WRITE], status_code=201)
    async def generate(self, db: AsyncSession, access: TenantAccess, data: GenerateIn) -> GenerateOut:
        """Roster a month at a station from its rules (月进站、季进家), balanced over its days."""
        await service.require_manager(db, access)
        station = await service.station_in_body(db, data.station_id)
        return await service.generate_roster(db, station, data.year, data.month)

    @get("/coverage/{station_id:uuid}", guards=[READ])
    async def coverage(
        self, db: AsyncSession, station: Station, year: int | None = None, month: int | None = None
    ) -> list[CoverageOut]:
        """Whether each deputy of the station is rostered as the rules ask, for a month."""
        year, month = service.resolve_month(year, month)
        return await service.coverage(db, station, year, month)


class RecordController(_ReceptionsController):
    path = f"{BASE}/records"

    @get("/", guards=[READ])
    async def list_records(
        self,
        db: AsyncSession,
        access: TenantAccess,
        station_id: uuid.UUID | None = None,
        month: str | None = None,
        category: str | None = None,
        person_id: uuid.UUID | None = None,
        mandate_id: uuid.UUID | None = None,
        off_schedule: bool | None = None,
        q: str | None = None,
        page: int = 1,
        page_size: int = 30,
    ) -> ReceptionPage:
        """接待记录 (a deputy sees those they were present at)."""
        caller = await service.caller_of(db, access)
        filters = _filters(station_id, month, category, person_id, mandate_id, off_schedule, q)
        return await service.list_receptions(db, caller, filters, page, page_size)

    @post("/", guards=[WRITE], status_code=201)
    async def create(self, db: AsyncSession, access: TenantAccess, data: ReceptionIn) -> ReceptionOut:
        """Record a reception; on a day that is not a reception day it is accepted and marked 非接待日."""
        caller = await service.caller_of(db, access)
        row = await service.create_reception(db, access.tenant, caller, data)
        return (await service.reception_outs(db, [row]))[0]

    @get("/{reception_id:uuid}", guards=[READ])
    async def show(self, db: AsyncSession, reception: Reception) -> ReceptionOut:
        return (await service.reception_outs(db, [reception]))[0]

    @patch("/{reception_id:uuid}", guards=[WRITE])
    async def update(
        self,
        db: AsyncSession,
        access: TenantAccess,
        reception: Reception,
        data: ReceptionPatch,
    ) -> ReceptionOut:
        caller = await service.caller_of(db, access)
        row = await service.update_reception(db, access.tenant, caller, reception, data)
        return (await service.reception_outs(db, [row]))[0]

    @delete("/{reception_id:uuid}", guards=[WRITE], status_code=204)
    async def remove(self, db: AsyncSession, access: TenantAccess, reception: Reception) -> None:
        caller = await service.caller_of(db, access)
        await service.delete_reception(db, caller, reception)

    @post("/{reception_id:uuid}/opinion", guards=[WRITE], status_code=201)
    async def to_opinion(self, db: AsyncSession, access: TenantAccess, reception: Reception) -> ReceptionOut:
        """转为群众意见: the issue enters the opinions' closed loop; the record keeps its ticket."""
        caller = await service.caller_of(db, access)
        row = await service.convert_to_opinion(db, access.tenant, caller, reception)
        return (await service.reception_outs(db, [row]))[0]


class RegisterController(_ReceptionsController):
    path = f"{BASE}/stations/{{station_id:uuid}}/register"

    @get("/", guards=[READ])
    async def show(
        self,
        db: AsyncSession,
        access: TenantAccess,
        station: Station,
        month: str | None = None,
        category: str | None = None,
        person_id: uuid.UUID | None = None,
        mandate_id: uuid.UUID | None = None,
        off_schedule: bool | None = None,
        q: str | None = None,
        page: int = 1,
        page_size: int = 30,
    ) -> RegisterOut:
        """A station's 台账: its records by month, category or deputy, with totals."""
        caller = await service.caller_of(db, access)
        filters = _filters(station.id, month, category, person_id, mandate_id, off_schedule, q)
        return RegisterOut(
            station.id,
            station.name,
            await service.register_summary(db, caller, filters),
            await service.list_receptions(db, caller, filters, page, page_size),
        )

    @post("/export", guards=[requires("exports.write")], status_code=202)
    async def export(
        self,
        db: AsyncSession,
        access: TenantAccess,
        station: Station,
        month: str | None = None,
        category: str | None = None,
        person_id: uuid.UUID | None = None,
        mandate_id: uuid.UUID | None = None,
        off_schedule: bool | None = None,
        q: str | None = None,
    ) -> ExportRequested:
        """The register as filtered, as an Excel file built in the background (see /exports)."""
        filters = _filters(station.id, month, category, person_id, mandate_id, off_schedule, q)
        export = await exports.request_export(db, access, "reception_register", service.filter_params(filters))
        return ExportRequested(export.id, export.status)


ROUTES = [CalendarController, RosterController, RecordController, RegisterController]
