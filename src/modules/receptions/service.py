"""The rules of receptions at stations (接待选民): the calendar, daily rosters, reminders and records.

- The calendar comes from rule rows per station (`schedule.py` says how dates are computed), with
  exceptions (a cancelled holiday, an extra day). A station without calendar rules uses its
  `Station.reception_days`; once it has rules, `reception_days` mirrors the month-day rules valid
  today, so the organisation pages and the portal show what the rules say.
- Rosters put deputies of all five levels (persons of this office, mandates recorded elsewhere) on a
  station's reception days; a month is generated from the rules ("月进站、季进家") and edited by hand.
- Staff (and office API tokens with `receptions.write`) manage rules, rosters and every record. A
  signed-in deputy (role deputy, linked by `Person.user_id`) sees the calendar, their own schedule and
  the records of receptions they held, and records receptions they hold.

Public read functions for other modules (the portal): `next_reception_days`, `rostered_on`.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import msgspec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.crypto import decrypt, encrypt, lookup_hash, mask_phone, normalize_phone
from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import paginate
from renda.core.permissions import Role, roles_grant
from renda.core.timezone import local_today
from renda.modules.organisation import service as organisation
from renda.modules.organisation.models import STATION_KINDS, Station
from renda.modules.receptions import repository as repo
from renda.modules.receptions import schedule
from renda.modules.receptions.models import (
    EXCEPTION_KINDS,
    REMINDER_STATES,
    RULE_KINDS,
    Reception,
    ReceptionDeputy,
    ReceptionException,
    ReceptionRule,
    RosterEntry,
)
from renda.modules.receptions.schemas import (
    CATEGORIES,
    CalendarDay,
    CalendarOut,
    CoverageOut,
    DeputyIn,
    DeputyOut,
    ExceptionIn,
    ExceptionOut,
    GenerateOut,
    ReceptionFilter,
    ReceptionIn,
    ReceptionOut,
    ReceptionPage,
    ReceptionPatch,
    RegisterSummary,
    RosterEntryIn,
    RosterEntryOut,
    RuleIn,
    RuleOut,
    RulePatch,
    StationCalendarOut,
    StationDay,
)
from renda.tenants.scoping import TenantAccess, TenantRef

REMINDER_KIND = "reception_roster"
EARLIEST = date(2000, 1, 1)
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{9,11}$")  # area code + number, e.g. 0291234567(8)
CONFLICTS: dict[str, tuple[str, str]] = {
    "uq_roster_entries_station_day_person": ("already_rostered", "该代表当天已在本站点排班"),
    "uq_roster_entries_station_day_external": ("already_rostered", "该代表当天已在本站点排班"),
    "uq_reception_exceptions_station_day": ("duplicate_exception", "该站点当天已有接待日调整"),
    "uq_reception_exceptions_office_day": ("duplicate_exception", "当天已有适用于全部家站室的接待日调整"),
}

DeputyKey = tuple[uuid.UUID | None, uuid.UUID | None]  # (person_id, directory_mandate_id), exactly one set


# --- who is asking --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Caller:
    """What the caller may do here: manage everything, read every record, or act as one deputy."""

    user_id: uuid.UUID | None  # None for system work (the demo seed)
    manages: bool
    reads_all: bool
    person_id: uuid.UUID | None  # the deputy the user signs in as (Person.user_id)


async def caller_of(session: AsyncSession, access: TenantAccess) -> Caller:
    """Staff-like roles (and office tokens) read and manage all; the deputy role alone reaches only
    the deputy's own schedule and receptions, though it carries `receptions.write` for recording."""
    others = frozenset(access.roles) - {Role.DEPUTY}
    token = access.scopes is not None
    manages = access.can("receptions.write") and (token or roles_grant(others, "receptions.write"))
    reads_all = access.can("receptions.read") and (token or roles_grant(others, "receptions.read"))
    person = None
    if Role.DEPUTY in access.roles and not token:
        person = await repo.person_of_user(session, access.principal.user_id)
    return Caller(access.principal.user_id, manages, reads_all, person.id if person else None)


async def require_manager(session: AsyncSession, access: TenantAccess) -> Caller:
    """The caller, if they manage receptions here (staff, office admin, an office token)."""
    caller = await caller_of(session, access)
    if not caller.manages:
        raise PermissionDenied("只有代表工作人员可以维护接待规则和排班", code="staff_only")
    return caller


def _require_deputy(caller: Caller) -> uuid.UUID:
    if caller.person_id is None:
        raise PermissionDenied(
            "您的账号尚未关联代表名册中的代表,请联系代表工作人员在代表信息中关联", code="not_linked_deputy"
        )
    return caller.person_id


# --- small helpers --------------------------------------------------------------------------------
async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        cause = getattr(exc.orig, "__cause__", None)
        name = getattr(cause, "constraint_name", None) or next((n for n in CONFLICTS if n in str(exc.orig)), None)
        if name in CONFLICTS:
            code, message = CONFLICTS[name]
            raise Conflict(message, code=code) from exc
        raise


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def _changes(patch: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}


def month_of(text: str) -> tuple[int, int]:
    """ "2026-11" → (2026, 11)."""
    try:
        year, month = (int(p) for p in text.split("-"))
        date(year, month, 1)
    except ValueError:
        raise InvalidInput(f"月份“{text}”格式不正确,应为 2026-11", code="invalid_month") from None
    if not 2000 <= year <= 2100:
        raise InvalidInput("月份应在 2000 年到 2100 年之间", code="invalid_month")
    return year, month


def resolve_month(year: int | None, month: int | None) -> tuple[int, int]:
    """The month asked for, or this month when either part is missing."""
    if year is None or month is None:
        today = local_today()
        return today.year, today.month
    return year, month


def check_month(year: int, month: int) -> tuple[date, date]:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise InvalidInput("年份应在 2000 到 2100 之间,月份应在 1 到 12 之间", code="invalid_month")
    return schedule.month_bounds(year, month)


def category_label(code: str) -> str:
    return CATEGORIES.get(code, code)


def check_category(code: str) -> str:
    if code not in CATEGORIES:
        raise InvalidInput("请选择问题类别", code="invalid_category", details={"allowed": list(CATEGORIES)})
    return code


def clean_phone(value: str | None) -> str | None:
    """A visitor's mobile or landline (with area code), digits only; empty means none given."""
    if not value or not value.strip():
        return None
    phone = normalize_phone(value)
    if not (MOBILE.match(phone) or LANDLINE.match(phone)):
        raise InvalidInput("联系电话应为 11 位手机号码或带区号的固定电话", code="invalid_phone")
    return phone


def deputy_key(ref: DeputyIn) -> DeputyKey:
    if (ref.person_id is None) == (ref.mandate_id is None):
        raise InvalidInput("每名代表请选择本机关名册中的代表或其他机关登记的代表之一", code="invalid_deputy")
    return (ref.person_id, ref.mandate_id)


def parse_deputy_key(text: str) -> DeputyIn:
    """ "p:<person id>" or "m:<mandate id>" (the pages' form values) → a deputy reference."""
    kind, _, value = text.partition(":")
    try:
        ident = uuid.UUID(value)
    except ValueError:
        raise InvalidInput("所选代表无效", code="invalid_deputy") from None
    if kind == "p":
        return DeputyIn(person_id=ident)
    if kind == "m":
        return DeputyIn(mandate_id=ident)
    raise InvalidInput("所选代表无效", code="invalid_deputy")


def _key_of(row: RosterEntry | ReceptionDeputy) -> DeputyKey:
    return (row.person_id, row.directory_mandate_id)


# --- public reads (portal) ------------------------------------------------------------------------
async def next_reception_days(
    session: AsyncSession, station_ids: Sequence[uuid.UUID], from_date: date, count: int = 3
) -> dict[uuid.UUID, list[date]]:
    """The next `count` reception days of each station from `from_date` (inclusive), from its rules and
    exceptions; an inactive station gets an empty list, unknown ids are left out."""
    stations = await repo.stations(session, list(station_ids))
    if not stations or count <= 0:
        return {s.id: [] for s in stations}
    horizon = from_date + timedelta(days=schedule.HORIZON_DAYS)
    calendars = await repo.calendars(session, stations, from_date, horizon)
    return {s.id: schedule.next_days(calendars[s.id], from_date, count) for s in stations}


async def rostered_on(session: AsyncSession, station_id: uuid.UUID, day: date) -> list[str]:
    """The public names of the deputies rostered at a station on a day (own and recorded elsewhere)."""
    entries = await repo.roster_between(session, day, day, [station_id])
    names = await deputy_names(session, [_key_of(e) for e in entries])
    return [names[_key_of(e)] for e in entries]


# --- deputies: persons of this office or mandates recorded elsewhere ------------------------------
async def deputy_names(session: AsyncSession, keys: Sequence[DeputyKey]) -> dict[DeputyKey, str]:
    return {key: out.name for key, out in (await deputy_outs(session, keys)).items()}


async def deputy_outs(session: AsyncSession, keys: Iterable[DeputyKey]) -> dict[DeputyKey, DeputyOut]:
    keys = list(dict.fromkeys(keys))
    persons = await repo.persons_by_id(session, [p for p, _ in keys if p])
    refs = {r.id: r for r in await organisation.person_refs(session, persons.values())}
    external = {r.mandate_id: r for r in await organisation.external_refs({m for _, m in keys if m})}
    found: dict[DeputyKey, DeputyOut] = {}
    for person_id, mandate_id in keys:
        if person_id:
            ref = refs.get(person_id)
            name, label = (ref.name, ref.levels_label) if ref else ("(已删除)", "")
            found[(person_id, None)] = DeputyOut(person_id, None, name, label, f"p:{person_id}")
        elif mandate_id:
            ext = external.get(mandate_id)
            label = f"{ext.level_label}(由{ext.recorded_by_name}登记)" if ext and ext.level_label else ""
            name = ext.name if ext else "(已不在代表名录中)"
            found[(None, mandate_id)] = DeputyOut(None, mandate_id, name, label, f"m:{mandate_id}")
    return found


async def station_deputies(session: AsyncSession, station_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[DeputyOut]]:
    """The deputies assigned to each station (进家入站), own first, in name order."""
    rows = await repo.assignments(session, station_ids)
    outs = await deputy_outs(session, [(a.person_id, a.directory_mandate_id) for a in rows])
    found: dict[uuid.UUID, list[DeputyOut]] = defaultdict(list)
    for a in rows:
        found[a.station_id].append(outs[(a.person_id, a.directory_mandate_id)])
    for items in found.values():
        items.sort(key=lambda d: (d.mandate_id is not None, d.name))
    return found


async def live_station_deputies(session: AsyncSession, station: Station) -> list[DeputyKey]:
    """Deputies assigned to the station who hold a live mandate: the ones to roster, in name order."""
    rows = await repo.assignments(session, [station.id])
    persons = await repo.persons_by_id(session, [a.person_id for a in rows if a.person_id])
    refs = {r.id: r for r in await organisation.person_refs(session, persons.values())}
    external = {r.mandate_id: r for r in await organisation.external_refs(a.directory_mandate_id for a in rows)}
    live: list[tuple[str, DeputyKey]] = []
    for a in rows:
        if a.person_id and a.person_id in refs and refs[a.person_id].levels:
            live.append((refs[a.person_id].name, (a.person_id, None)))
        elif a.directory_mandate_id and a.directory_mandate_id in external and external[a.directory_mandate_id].live:
            live.append((external[a.directory_mandate_id].name, (None, a.directory_mandate_id)))
    return [key for _, key in sorted(live, key=lambda item: (item[0], str(item[1])))]


async def _check_present(session: AsyncSession, tenant: TenantRef, refs: Sequence[DeputyIn]) -> list[DeputyKey]:
    """Deputies present at a reception: persons of this register, or mandates recorded elsewhere that
    are assigned to one of this office's stations or organised in its territory."""
    keys = list(dict.fromkeys(deputy_key(r) for r in refs))
    persons = await repo.persons_by_id(session, [p for p, _ in keys if p])
    for person_id, _ in keys:
        if person_id and person_id not in persons:
            raise InvalidInput("所选代表不在本机关的代表名册中", code="unknown_deputy")
    assigned = await repo.assigned_mandates(session)
    for _, mandate_id in keys:
        if mandate_id and mandate_id not in assigned:
            await organisation.elsewhere_entry(tenant, mandate_id)  # raises not_in_territory
    return keys


# --- stations -------------------------------------------------------------------------------------
async def get_station(session: AsyncSession, station_id: uuid.UUID) -> Station:
    return await organisation.get_station(session, station_id)


async def station_in_body(session: AsyncSession, station_id: uuid.UUID) -> Station:
    """A station named in a request body: not this office's → 400 (the URL itself was fine)."""
    try:
        return await organisation.get_station(session, station_id)
    except NotFound:
        raise InvalidInput("所选家站室不是本机关的家站室", code="unknown_station") from None


async def station_in_query(session: AsyncSession, station_id: uuid.UUID | None) -> Station | None:
    return await station_in_body(session, station_id) if station_id else None


async def station_list(session: AsyncSession, active_only: bool = False) -> list[Station]:
    return [s for s in await repo.stations(session) if s.is_active or not active_only]


# --- rules ----------------------------------------------------------------------------------------
def rule_label(rule: ReceptionRule) -> str:
    if rule.kind == "duty_rhythm":
        return f"每名代表每月进站 {rule.per_month} 次、每季度进代表之家 {rule.per_quarter_home} 次"
    return schedule.days_label(rule.kind, rule.days)


def rule_out(rule: ReceptionRule) -> RuleOut:
    return RuleOut(
        rule.id,
        rule.station_id,
        rule.kind,
        RULE_KINDS[rule.kind],
        rule_label(rule),
        list(rule.days or []),
        rule.per_month,
        rule.per_quarter_home,
        rule.home_station_id,
        rule.valid_from,
        rule.valid_to,
        rule.note,
    )


async def list_rules(session: AsyncSession, station: Station) -> list[RuleOut]:
    return [rule_out(r) for r in (await repo.rules_of(session, [station.id])).get(station.id, [])]


async def _check_rule(session: AsyncSession, station: Station, rule: ReceptionRule) -> None:
    if rule.valid_to is not None and rule.valid_to < rule.valid_from:
        raise InvalidInput("规则的截止日期不能早于起始日期", code="invalid_dates")
    if rule.valid_from < EARLIEST or rule.valid_from.year > 2100 or (rule.valid_to and rule.valid_to.year > 2100):
        raise InvalidInput("规则的有效期应在 2000 年到 2100 年之间", code="invalid_dates")
    days = sorted(set(rule.days or []))
    if rule.kind == "month_days":
        if not days:
            raise InvalidInput("请填写每月的接待日期,如逢十接待日填 10、20、30", code="days_required")
    elif rule.kind == "weekdays":
        if not days or days[-1] > 7:
            raise InvalidInput("每周接待日请填写 1(周一)到 7(周日)之间的数字", code="invalid_weekdays")
    else:
        days = []
        if rule.per_month < 1 and rule.per_quarter_home < 1:
            raise InvalidInput("“月进站、季进家”规则至少要求每月进站或每季度进家一次", code="invalid_rhythm")
        if rule.home_station_id is not None:
            home = await session.get(Station, rule.home_station_id)
            if home is None or home.kind != "deputy_home" or not home.is_active:
                raise InvalidInput("季度进家的站点应为本机关在用的代表之家", code="invalid_home_station")
    rule.days = days
    rule.note = _text(rule.note)


async def sync_reception_days(session: AsyncSession, station: Station, today: date) -> None:
    """Mirror the month-day rules valid today into `Station.reception_days` (the organisation pages and
    the portal show it); a station with no calendar rules keeps its own value (it is the rule)."""
    rules = (await repo.rules_of(session, [station.id])).get(station.id, [])
    calendar_rules = [r for r in rules if r.kind in schedule.CALENDAR_KINDS]
    if not calendar_rules:
        return
    valid = [r for r in calendar_rules if r.kind == "month_days" and schedule.rule_matches_period(r, today, today)]
    days = sorted({d for r in valid for d in r.days})
    if list(station.reception_days or []) != days:
        station.reception_days = days


async def create_rule(session: AsyncSession, station: Station, data: RuleIn) -> ReceptionRule:
    rule = ReceptionRule(
        station_id=station.id,
        kind=data.kind,
        days=list(data.days),
        per_month=data.per_month if data.kind == "duty_rhythm" else 0,
        per_quarter_home=data.per_quarter_home if data.kind == "duty_rhythm" else 0,
        home_station_id=data.home_station_id if data.kind == "duty_rhythm" else None,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        note=data.note,
    )
    await _check_rule(session, station, rule)
    session.add(rule)
    await _flush(session)
    await sync_reception_days(session, station, local_today())
    await _flush(session)
    return rule


async def get_rule(session: AsyncSession, rule_id: uuid.UUID) -> ReceptionRule:
    rule = await session.get(ReceptionRule, rule_id)
    if rule is None:
        raise NotFound("接待规则不存在", code="rule_not_found")
    return rule


async def update_rule(session: AsyncSession, rule: ReceptionRule, patch: RulePatch) -> ReceptionRule:
    station = await organisation.get_station(session, rule.station_id)
    for key, value in _changes(patch).items():
        setattr(rule, key, list(value) if key == "days" else value)
    await _check_rule(session, station, rule)
    await _flush(session)
    await sync_reception_days(session, station, local_today())
    await _flush(session)
    return rule


async def delete_rule(session: AsyncSession, rule: ReceptionRule) -> None:
    station = await organisation.get_station(session, rule.station_id)
    await session.delete(rule)
    await _flush(session)
    await sync_reception_days(session, station, local_today())
    await _flush(session)


# --- exceptions -----------------------------------------------------------------------------------
async def exception_outs(session: AsyncSession, rows: Sequence[ReceptionException]) -> list[ExceptionOut]:
    names = {s.id: s.name for s in await repo.stations(session, [r.station_id for r in rows if r.station_id])}
    return [
        ExceptionOut(
            r.id,
            r.station_id,
            names.get(r.station_id, "") if r.station_id else "全部家站室",
            r.day,
            r.kind,
            EXCEPTION_KINDS[r.kind],
            r.reason,
        )
        for r in rows
    ]


async def list_exceptions(
    session: AsyncSession, year: int, month: int, station_id: uuid.UUID | None = None
) -> list[ExceptionOut]:
    start, end = check_month(year, month)
    rows = await repo.exceptions_between(session, [station_id] if station_id else None, start, end)
    return await exception_outs(session, rows)


async def create_exception(session: AsyncSession, data: ExceptionIn) -> ReceptionException:
    if not EARLIEST <= data.day <= date(2100, 12, 31):
        raise InvalidInput("日期应在 2000 年到 2100 年之间", code="invalid_date")
    if data.station_id is not None:
        await station_in_body(session, data.station_id)
    row = ReceptionException(station_id=data.station_id, day=data.day, kind=data.kind, reason=_text(data.reason))
    session.add(row)
    await _flush(session)
    return row


async def get_exception(session: AsyncSession, exception_id: uuid.UUID) -> ReceptionException:
    row = await session.get(ReceptionException, exception_id)
    if row is None:
        raise NotFound("接待日调整不存在", code="exception_not_found")
    return row


async def delete_exception(session: AsyncSession, row: ReceptionException) -> None:
    await session.delete(row)
    await _flush(session)


# --- the calendar ---------------------------------------------------------------------------------
async def month_calendar(session: AsyncSession, year: int, month: int, station: Station | None = None) -> CalendarOut:
    """Every day of a month with the stations receiving, who is rostered and how many were received;
    for one station or every active station of the office."""
    start, end = check_month(year, month)
    stations = [station] if station else await station_list(session, active_only=True)
    calendars = await repo.calendars(session, stations, start, end)
    entries = await repo.roster_between(session, start, end, [s.id for s in stations])
    outs = await deputy_outs(session, [_key_of(e) for e in entries])
    rostered: dict[tuple[uuid.UUID, date], list[DeputyOut]] = defaultdict(list)
    for e in entries:
        rostered[(e.station_id, e.day)].append(outs[_key_of(e)])
    held = await repo.reception_counts(session, [s.id for s in stations], start, end)
    days = []
    for day in schedule.dates(start, end):
        receiving, cancelled = [], []
        for s in stations:
            cal = calendars[s.id]
            if schedule.is_reception_day(cal, day):
                receiving.append(StationDay(s.id, s.name, rostered[(s.id, day)], held.get((s.id, day), 0)))
            elif cal.active and schedule.scheduled(cal, day):
                cancelled.append(s.name)
        days.append(CalendarDay(day, day.isoweekday(), receiving, cancelled))
    return CalendarOut(year, month, station.id if station else None, days)


async def is_reception_day(session: AsyncSession, station: Station, day: date) -> bool:
    cal = (await repo.calendars(session, [station], day, day))[station.id]
    return schedule.is_reception_day(cal, day)


# --- rosters --------------------------------------------------------------------------------------
async def roster_outs(session: AsyncSession, entries: Sequence[RosterEntry]) -> list[RosterEntryOut]:
    outs = await deputy_outs(session, [_key_of(e) for e in entries])
    names = {s.id: s.name for s in await repo.stations(session, list({e.station_id for e in entries}))}
    return [
        RosterEntryOut(
            e.id,
            e.station_id,
            names.get(e.station_id, ""),
            e.day,
            outs[_key_of(e)],
            e.source,
            e.reminder_status,
            REMINDER_STATES.get(e.reminder_status or "", "待提醒"),
        )
        for e in entries
    ]


async def month_roster(
    session: AsyncSession, year: int, month: int, station_id: uuid.UUID | None = None
) -> list[RosterEntryOut]:
    start, end = check_month(year, month)
    entries = await repo.roster_between(session, start, end, [station_id] if station_id else None)
    outs = await roster_outs(session, entries)
    return sorted(outs, key=lambda o: (o.day, o.station_name, o.deputy.name))


async def my_schedule(session: AsyncSession, caller: Caller, start: date, end: date) -> list[RosterEntryOut]:
    """The caller's own rostered days (a deputy linked to their user account)."""
    person_id = _require_deputy(caller)
    if end < start or (end - start).days > 400:
        raise InvalidInput("查询区间应在 400 天以内,且结束日期不早于开始日期", code="invalid_dates")
    return await roster_outs(session, await repo.roster_between(session, start, end, person_id=person_id))


async def _eligible(session: AsyncSession, station: Station, key: DeputyKey) -> None:
    """A deputy may be rostered at a station they are assigned to; at a 代表之家 also any deputy
    assigned to a station of this office (the quarterly home turn)."""
    rows = await repo.assignments(session, None if station.kind == "deputy_home" else [station.id])
    if any((a.person_id, a.directory_mandate_id) == key for a in rows):
        return
    person_id, _ = key
    if person_id and not await repo.persons_by_id(session, [person_id]):
        raise InvalidInput("所选代表不在本机关的代表名册中", code="unknown_deputy")
    raise InvalidInput(f"该代表未进驻{station.name},不能在此排班", code="not_assigned")


async def add_roster_entry(session: AsyncSession, data: RosterEntryIn, today: date | None = None) -> RosterEntry:
    today = today or local_today()
    station = await station_in_body(session, data.station_id)
    key = deputy_key(data.deputy)
    if not station.is_active:
        raise InvalidInput(f"{station.name}已停用,不能排班", code="station_inactive")
    if data.day < today or data.day.year > 2100:
        raise InvalidInput("只能为今天及以后的接待日排班", code="invalid_date")
    if not await is_reception_day(session, station, data.day):
        raise InvalidInput(
            f"{data.day:%Y年%m月%d日}不是{station.name}的接待日;如需临时增加接待,请先添加“增加接待”的日期调整",
            code="not_reception_day",
        )
    await _eligible(session, station, key)
    busy = await repo.roster_on(session, data.day, key)
    if any(e.station_id != station.id for e in busy):
        raise Conflict("该代表当天已在其他家站室排班", code="busy_that_day")
    entry = RosterEntry(station_id=station.id, day=data.day, person_id=key[0], directory_mandate_id=key[1])
    entry.source = "manual"
    session.add(entry)
    await _flush(session)
    return entry


async def get_roster_entry(session: AsyncSession, entry_id: uuid.UUID) -> RosterEntry:
    entry = await session.get(RosterEntry, entry_id)
    if entry is None:
        raise NotFound("排班记录不存在", code="roster_entry_not_found")
    return entry


async def delete_roster_entry(session: AsyncSession, entry: RosterEntry) -> None:
    await session.delete(entry)
    await _flush(session)


@dataclass
class _Rhythm:
    per_month: int
    per_quarter_home: int
    home_station_id: uuid.UUID | None


def _rhythm(rules: Sequence[ReceptionRule], start: date, end: date) -> _Rhythm:
    """The 月进站、季进家 rule in force in the month (the latest starting); without one, each deputy is
    rostered once a month at the station and no home turn is planned."""
    found = [r for r in rules if r.kind == "duty_rhythm" and schedule.rule_matches_period(r, start, end)]
    if not found:
        return _Rhythm(1, 0, None)
    rule = max(found, key=lambda r: (r.valid_from, r.created_at))
    return _Rhythm(rule.per_month, rule.per_quarter_home, rule.home_station_id)


async def _home_station(session: AsyncSession, station: Station, rhythm: _Rhythm) -> Station | None:
    """The 代表之家 for the quarterly turn: the rule's, else one in the station's township, else any."""
    homes = [s for s in await station_list(session, active_only=True) if s.kind == "deputy_home"]
    chosen = next((s for s in homes if s.id == rhythm.home_station_id), None)
    local = [s for s in homes if station.township_code and s.township_code == station.township_code]
    return chosen or (local or homes or [None])[0]


async def _coverage(
    session: AsyncSession, station: Station, year: int, month: int, deputies: Sequence[DeputyKey], rhythm: _Rhythm
) -> list[CoverageOut]:
    start, end = schedule.month_bounds(year, month)
    q_start, q_end = schedule.quarter_bounds(start)
    entries = await repo.roster_for_deputies(session, deputies, q_start, q_end)
    homes = {s.id for s in await station_list(session) if s.kind == "deputy_home"}
    outs = await deputy_outs(session, deputies)
    last_month = end == q_end
    found = []
    for key in deputies:
        mine = [e for e in entries if _key_of(e) == key]
        at_station = sum(1 for e in mine if e.station_id == station.id and start <= e.day <= end)
        at_home = sum(1 for e in mine if e.station_id in homes)
        home_ok = at_home >= rhythm.per_quarter_home or not last_month
        found.append(
            CoverageOut(
                outs[key],
                at_station,
                rhythm.per_month,
                at_home,
                rhythm.per_quarter_home,
                at_station >= rhythm.per_month and home_ok,
            )
        )
    return found


async def coverage(session: AsyncSession, station: Station, year: int, month: int) -> list[CoverageOut]:
    """月进站、季进家 of each live deputy of the station in a month (the home turn is due by the
    quarter's last month)."""
    start, end = check_month(year, month)
    rules = (await repo.rules_of(session, [station.id])).get(station.id, [])
    return await _coverage(
        session, station, year, month, await live_station_deputies(session, station), _rhythm(rules, start, end)
    )


class _Planner:
    """Spreads roster slots over reception days: each slot goes to the least-loaded free day."""

    def __init__(self, entries: Sequence[RosterEntry]) -> None:
        self.load: Counter[tuple[uuid.UUID, date]] = Counter((e.station_id, e.day) for e in entries)
        self.busy: set[tuple[DeputyKey, date]] = {(_key_of(e), e.day) for e in entries}

    def place(self, station_id: uuid.UUID, days: Sequence[date], key: DeputyKey) -> date | None:
        free = [d for d in days if (key, d) not in self.busy]
        if not free:
            return None
        day = min(free, key=lambda d: (self.load[(station_id, d)], d))
        self.load[(station_id, day)] += 1
        self.busy.add((key, day))
        return day


async def generate_roster(
    session: AsyncSession, station: Station, year: int, month: int, today: date | None = None
) -> GenerateOut:
    """Roster a month at a station from its rules: every live assigned deputy `per_month` times at the
    station, spread evenly over its reception days, and (for a station that is not itself a home)
    their quarterly turn at a 代表之家, spread over the quarter's months. Days already past, entries
    made by hand and entries already reminded are kept and count towards the obligations; running it
    again replaces only what it generated before."""
    today = today or local_today()
    start, end = check_month(year, month)
    if not station.is_active:
        raise InvalidInput(f"{station.name}已停用,不能排班", code="station_inactive")
    if end <= today:
        raise InvalidInput("只能为尚未过去的月份生成排班", code="invalid_month")
    calendars = await repo.calendars(session, [station], start, end)
    open_days = [d for d in schedule.reception_days(calendars[station.id], start, end) if d > today]
    if not open_days:
        raise InvalidInput(
            f"{station.name}在{year}年{month}月没有尚未过去的接待日,请先设置接待规则", code="no_reception_days"
        )
    deputies = await live_station_deputies(session, station)
    if not deputies:
        raise InvalidInput(f"{station.name}尚无在任代表进站,无法排班", code="no_deputies")
    rules = (await repo.rules_of(session, [station.id])).get(station.id, [])
    rhythm = _rhythm(rules, start, end)

    await repo.delete_generated(session, station.id, deputies, max(start, today + timedelta(days=1)), end)
    q_start, q_end = schedule.quarter_bounds(start)
    existing = await repo.roster_for_deputies(session, deputies, q_start, q_end)
    kept = sum(1 for e in existing if e.station_id == station.id and start <= e.day <= end)
    planner = _Planner(await repo.roster_between(session, start, end))
    names = await deputy_names(session, deputies)
    created: list[RosterEntry] = []
    unmet: list[str] = []

    def add(station_id: uuid.UUID, day: date, key: DeputyKey) -> None:
        entry = RosterEntry(station_id=station_id, day=day, person_id=key[0], directory_mandate_id=key[1])
        entry.source = "generated"
        created.append(entry)

    for key in deputies:
        have = sum(1 for e in existing if _key_of(e) == key and e.station_id == station.id and start <= e.day <= end)
        for _ in range(max(0, rhythm.per_month - have)):
            day = planner.place(station.id, open_days, key)
            if day is None:
                unmet.append(names[key])
                break
            add(station.id, day, key)

    if rhythm.per_quarter_home and station.kind != "deputy_home":
        unmet += await _plan_home_turns(session, station, rhythm, deputies, existing, planner, add, start, today)

    session.add_all(created)
    await _flush(session)
    return GenerateOut(
        station.id,
        year,
        month,
        open_days,
        len(created),
        kept,
        await _coverage(session, station, year, month, deputies, rhythm),
        list(dict.fromkeys(unmet)),
    )


async def _plan_home_turns(
    session: AsyncSession,
    station: Station,
    rhythm: _Rhythm,
    deputies: Sequence[DeputyKey],
    existing: Sequence[RosterEntry],
    planner: _Planner,
    add: Any,
    month_start: date,
    today: date,
) -> list[str]:
    """季进家: deputy i of the station is due at a home in month i mod 3 of the quarter (or later, if
    that month is already past), so the home's days fill evenly over the quarter."""
    home = await _home_station(session, station, rhythm)
    names = await deputy_names(session, deputies)
    month_index = (month_start.month - 1) % 3
    last_month = month_index == 2
    if home is None:
        return [names[k] for k in deputies] if last_month else []
    start, end = schedule.month_bounds(month_start.year, month_start.month)
    cal = (await repo.calendars(session, [home], start, end))[home.id]
    home_days = [d for d in schedule.reception_days(cal, start, end) if d > today]
    homes = {s.id for s in await station_list(session) if s.kind == "deputy_home"}
    unmet = []
    for index, key in enumerate(deputies):
        have = sum(1 for e in existing if _key_of(e) == key and e.station_id in homes)
        if index % 3 > month_index:
            continue
        for _ in range(max(0, rhythm.per_quarter_home - have)):
            day = planner.place(home.id, home_days, key)
            if day is None:
                if last_month:
                    unmet.append(names[key])
                break
            add(home.id, day, key)
    return unmet


# --- the reminder the day before ------------------------------------------------------------------
@dataclass
class ReminderResult:
    sent: int = 0  # deputies notified now
    already: int = 0  # notified by an earlier run
    unreachable: int = 0  # no platform user to reach (recorded on the entry)


async def remind_rostered(session: AsyncSession, tenant: TenantRef, day: date) -> ReminderResult:
    """Notify the deputies rostered on `day` (run the day before). One event per (station, day,
    deputy), so a rerun notifies nobody twice; a deputy without a linked user (or recorded by another
    office) is marked unreachable on the entry, for staff to call."""
    from renda.modules.notifications import service as notifications

    entries = await repo.roster_between(session, day, day)
    stations = {s.id: s for s in await repo.stations(session, list({e.station_id for e in entries}))}
    calendars = await repo.calendars(session, list(stations.values()), day, day)
    persons = await repo.persons_by_id(session, [e.person_id for e in entries if e.person_id])
    result = ReminderResult()
    now = utcnow()
    for entry in entries:
        station = stations[entry.station_id]
        if not schedule.is_reception_day(calendars[station.id], day):
            continue  # cancelled since (a holiday added after rostering): nobody is called in
        person = persons.get(entry.person_id) if entry.person_id else None
        if person is None or person.user_id is None:
            if entry.reminder_status is None:
                entry.reminder_status, entry.reminded_at = "unreachable", now
            result.unreachable += 1
            continue
        new = await notifications.notify(
            session,
            kind=REMINDER_KIND,
            event_key=f"reception_roster:{station.id}:{day.isoformat()}:p:{person.id}",
            recipients=[person.user_id],
            variables={
                "deputy": person.name,
                "station": station.name,
                "date": f"{day.month}月{day.day}日",
                "address": station.address or station.name,
            },
            link=f"/t/{tenant.code}/receptions?tab=mine",
        )
        if new:
            result.sent += 1
        else:
            result.already += 1
        if entry.reminder_status != "sent":
            entry.reminder_status, entry.reminded_at = "sent", now
    await session.flush()
    return result


async def resync_all(session: AsyncSession, today: date) -> None:
    """Keep every station's `reception_days` mirror current as rules start and end (daily job)."""
    for station in await repo.stations(session):
        await sync_reception_days(session, station, today)
    await session.flush()


# --- reception records ----------------------------------------------------------------------------
async def reception_outs(session: AsyncSession, rows: Sequence[Reception]) -> list[ReceptionOut]:
    present = await repo.deputies_of(session, [r.id for r in rows])
    outs = await deputy_outs(session, [_key_of(d) for ds in present.values() for d in ds])
    names = {s.id: s.name for s in await repo.stations(session, list({r.station_id for r in rows}))}
    return [
        ReceptionOut(
            r.id,
            r.station_id,
            names.get(r.station_id, ""),
            r.held_on,
            r.off_schedule,
            "非接待日" if r.off_schedule else "接待日",
            r.visitor_name,
            r.visitor_count,
            r.visitor_phone_masked,
            r.issue,
            r.category,
            category_label(r.category),
            r.place,
            r.handling,
            [outs[_key_of(d)] for d in present.get(r.id, [])],
            r.opinion_id,
            r.opinion_ticket,
            r.created_at,
        )
        for r in rows
    ]


def _filter_args(filters: ReceptionFilter, caller: Caller) -> dict[str, Any]:
    start = end = None
    if filters.month:
        start, end = schedule.month_bounds(*month_of(filters.month))
    if filters.category:
        check_category(filters.category)
    person_id = filters.person_id
    if not caller.reads_all:  # a deputy sees the receptions they held, whatever the filter says
        person_id = _require_deputy(caller)
        if filters.person_id not in (None, person_id) or filters.mandate_id is not None:
            person_id = uuid.UUID(int=0)  # nobody: another deputy's records are not theirs to read
    return {
        "station_id": filters.station_id,
        "start": start,
        "end": end,
        "category": filters.category,
        "person_id": person_id,
        "mandate_id": filters.mandate_id,
        "q": filters.q,
        "off_schedule": filters.off_schedule,
    }


def filter_params(filters: ReceptionFilter) -> dict[str, Any]:
    """The filters as stored with an export request (JSON: no empty values)."""
    return {k: v for k, v in msgspec.to_builtins(filters).items() if v is not None}


async def list_receptions(
    session: AsyncSession, caller: Caller, filters: ReceptionFilter, page: int, page_size: int
) -> ReceptionPage:
    result = await paginate(session, repo.receptions_query(**_filter_args(filters, caller)), page, page_size)
    return ReceptionPage(await reception_outs(session, result.items), result.total, result.page, result.page_size)


def may_read_records(caller: Caller) -> bool:
    """Whether the caller reads any records at all (staff: all; a linked deputy: their own)."""
    return caller.reads_all or caller.person_id is not None


async def register_summary(session: AsyncSession, caller: Caller, filters: ReceptionFilter) -> RegisterSummary:
    """The register's totals for the filtered records: receptions, people, off-schedule, converted."""
    query = repo.receptions_query(**_filter_args(filters, caller))
    totals, by_category = await repo.summary(session, query)
    return RegisterSummary(
        totals[0], totals[1], totals[2], totals[3], {category_label(c): n for c, n in by_category.items()}
    )


async def get_reception(session: AsyncSession, caller: Caller, reception_id: uuid.UUID) -> Reception:
    """A record the caller may see: any (staff), or one they were present at (a deputy)."""
    row = await session.get(Reception, reception_id)
    if row is None:
        raise NotFound("接待记录不存在", code="reception_not_found")
    if not caller.reads_all:
        person_id = _require_deputy(caller)
        present = (await repo.deputies_of(session, [row.id])).get(row.id, [])
        if all(d.person_id != person_id for d in present):
            raise NotFound("接待记录不存在", code="reception_not_found")
    return row


def _check_held_on(day: date, today: date) -> None:
    if day > today:
        raise InvalidInput("接待日期不能晚于今天", code="invalid_date")
    if day < EARLIEST:
        raise InvalidInput("接待日期不能早于 2000 年", code="invalid_date")


def _set_phone(row: Reception, phone: str | None) -> None:
    row.visitor_phone_encrypted = encrypt(phone) if phone else None
    row.visitor_phone_hash = lookup_hash("mobile:" + phone) if phone else None
    row.visitor_phone_masked = mask_phone(phone) if phone else None


def _with_caller(caller: Caller, refs: Sequence[DeputyIn]) -> list[DeputyIn]:
    """A deputy recording a reception is present at it (first, as its lead, unless listed)."""
    if caller.manages:
        return list(refs)
    person_id = _require_deputy(caller)
    if any(r.person_id == person_id for r in refs):
        return list(refs)
    return [DeputyIn(person_id=person_id), *refs]


async def _set_present(session: AsyncSession, row: Reception, keys: Sequence[DeputyKey]) -> None:
    """Replace the deputies present (row by row, so the audit log sees each change)."""
    for old in (await repo.deputies_of(session, [row.id])).get(row.id, []):
        await session.delete(old)
    await session.flush()  # the unique (reception, deputy) constraint: old rows go before new ones come
    session.add_all(
        ReceptionDeputy(reception_id=row.id, position=i, person_id=p, directory_mandate_id=m)
        for i, (p, m) in enumerate(keys)
    )


async def create_reception(
    session: AsyncSession, tenant: TenantRef, caller: Caller, data: ReceptionIn, today: date | None = None
) -> Reception:
    """Record a reception. One held on a day that is not the station's reception day is accepted and
    marked 非接待日 (`off_schedule`). With `to_opinion`, it becomes a 群众意见 in the same transaction."""
    today = today or local_today()
    station = await station_in_body(session, data.station_id)
    if not station.is_active:
        raise InvalidInput(f"{station.name}已停用,不能登记接待", code="station_inactive")
    _check_held_on(data.held_on, today)
    visitor = data.visitor_name.strip()
    issue = data.issue.strip()
    if not visitor or not issue:
        raise InvalidInput("请填写来访群众姓名和反映的问题", code="required")
    phone = clean_phone(data.visitor_phone)
    keys = await _check_present(session, tenant, _with_caller(caller, data.deputies))
    if not keys:
        raise InvalidInput("请至少选择一名接待代表", code="deputies_required")
    row = Reception(
        id=uuid.uuid4(),
        station_id=station.id,
        held_on=data.held_on,
        off_schedule=not await is_reception_day(session, station, data.held_on),
        visitor_name=visitor,
        visitor_count=data.visitor_count,
        issue=issue,
        category=check_category(data.category),
        place=_text(data.place) or station.name,
        handling=_text(data.handling),
        recorded_by=caller.user_id,
    )
    _set_phone(row, phone)
    session.add(row)
    await _flush(session)
    await _set_present(session, row, keys)
    await _flush(session)
    if data.to_opinion:
        await convert_to_opinion(session, tenant, caller, row)
    return row


async def _check_may_edit(session: AsyncSession, caller: Caller, row: Reception) -> None:
    """Staff edit any record; a deputy only one they were present at (`get_reception` checked that
    they may see it; seeing is being present for a deputy)."""
    if caller.manages:
        return
    person_id = _require_deputy(caller)
    present = (await repo.deputies_of(session, [row.id])).get(row.id, [])
    if all(d.person_id != person_id for d in present):
        raise PermissionDenied("只能修改自己参加的接待记录", code="not_your_reception")


async def update_reception(
    session: AsyncSession, tenant: TenantRef, caller: Caller, row: Reception, patch: ReceptionPatch
) -> Reception:
    await _check_may_edit(session, caller, row)
    changes = _changes(patch)
    if "held_on" in changes:
        _check_held_on(changes["held_on"], local_today())
        station = await organisation.get_station(session, row.station_id)
        row.off_schedule = not await is_reception_day(session, station, changes["held_on"])
        row.held_on = changes["held_on"]
    for key in ("visitor_name", "issue"):
        if key in changes:
            value = changes[key].strip()
            if not value:
                raise InvalidInput("请填写来访群众姓名和反映的问题", code="required")
            setattr(row, key, value)
    if "category" in changes:
        row.category = check_category(changes["category"])
    if "visitor_count" in changes:
        row.visitor_count = changes["visitor_count"]
    if "visitor_phone" in changes:
        _set_phone(row, clean_phone(changes["visitor_phone"]))
    for key in ("place", "handling"):
        if key in changes:
            setattr(row, key, _text(changes[key]))
    if "deputies" in changes:
        keys = await _check_present(session, tenant, _with_caller(caller, changes["deputies"]))
        if not keys:
            raise InvalidInput("请至少选择一名接待代表", code="deputies_required")
        await _set_present(session, row, keys)
    await _flush(session)
    return row


async def delete_reception(session: AsyncSession, caller: Caller, row: Reception) -> None:
    await _check_may_edit(session, caller, row)
    if row.opinion_id is not None:
        raise Conflict("该接待记录已转为群众意见,不能删除", code="converted")
    await session.delete(row)
    await _flush(session)


async def convert_to_opinion(session: AsyncSession, tenant: TenantRef, caller: Caller, row: Reception) -> Reception:
    """转为群众意见: the opinions module takes the issue in (受理) with the visitor's name and phone,
    the first deputy present of this register and the station; the record keeps the opinion's id."""
    from renda.modules.opinions import service as opinions

    await _check_may_edit(session, caller, row)
    if row.opinion_id is not None:
        raise Conflict(f"该接待记录已转为群众意见(编号 {row.opinion_ticket})", code="already_converted")
    present = (await repo.deputies_of(session, [row.id])).get(row.id, [])
    phone = decrypt(row.visitor_phone_encrypted) if row.visitor_phone_encrypted else None
    opinion = await opinions.intake(
        session,
        tenant,
        source="reception",
        content=row.issue,
        category=row.category,
        submitter_name=row.visitor_name,
        submitter_phone=phone if phone and MOBILE.match(phone) else None,  # the opinion's SMS needs a mobile
        deputy_person_id=next((d.person_id for d in present if d.person_id), None),
        station_id=row.station_id,
        source_id=row.id,
    )
    row.opinion_id, row.opinion_ticket = opinion.id, opinion.ticket
    await _flush(session)
    return row


# --- the register's Excel export (registered in tasks.py) -----------------------------------------
REGISTER_EXPORT_HEADERS = [
    "接待日期",
    "家站室",
    "是否接待日",
    "接待代表",
    "来访群众",
    "人数",
    "联系电话",
    "问题类别",
    "反映问题",
    "接待地点",
    "处理情况",
    "群众意见编号",
]
EXPORT_PAGE = 500


async def export_register_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """The register as filtered on its page (exports are requested by staff, who read every record)."""
    try:
        filters = msgspec.convert(params or {}, ReceptionFilter, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"导出条件无效:{exc}", code="invalid_export_params") from exc
    everyone = Caller(uuid.UUID(int=0), manages=False, reads_all=True, person_id=None)
    query = repo.receptions_query(**_filter_args(filters, everyone))
    offset = 0
    while True:
        rows = list((await session.execute(query.limit(EXPORT_PAGE).offset(offset))).scalars())
        for out in await reception_outs(session, rows):
            yield [
                out.held_on,
                out.station_name,
                out.schedule_label,
                "、".join(d.name for d in out.deputies),
                out.visitor_name,
                out.visitor_count,
                out.visitor_phone_masked or "",  # an export file travels: the phone leaves masked
                out.category_label,
                out.issue,
                out.place or "",
                out.handling or "",
                out.opinion_ticket or "",
            ]
        if len(rows) < EXPORT_PAGE:
            return
        offset += EXPORT_PAGE


def station_kind_label(station: Station) -> str:
    return STATION_KINDS.get(station.kind, station.kind)


async def station_calendars(
    session: AsyncSession, today: date, station_ids: Sequence[uuid.UUID] | None = None
) -> list[StationCalendarOut]:
    """Stations with their rules in words, their next three reception days and their deputies."""
    stations = await repo.stations(session, station_ids)
    rules = await repo.rules_of(session, [s.id for s in stations])
    upcoming = await next_reception_days(session, [s.id for s in stations], today)
    deputies = await station_deputies(session, [s.id for s in stations])
    found = []
    for s in stations:
        labels = [rule_label(r) for r in rules.get(s.id, []) if schedule.rule_matches_period(r, today, date.max)]
        if not any(r.kind in schedule.CALENDAR_KINDS for r in rules.get(s.id, [])):
            labels.insert(0, organisation.reception_label(s.reception_days or []))
        found.append(
            StationCalendarOut(
                s.id,
                s.name,
                s.kind,
                station_kind_label(s),
                s.is_active,
                s.address,
                ";".join(labels),
                upcoming.get(s.id, []),
                deputies.get(s.id, []),
            )
        )
    return found
