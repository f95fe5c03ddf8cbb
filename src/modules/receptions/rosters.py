"""Rosters of deputies on stations' reception days: entries by hand, monthly generation, coverage,
a deputy's own schedule and the reminder the day before.

Rosters put deputies of all five levels (persons of this office, mandates recorded elsewhere) on a
station's reception days; a month is generated from the rules ("月进站、季进家") and edited by hand.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.timezone import local_today
from renda.modules.organisation.models import Station
from renda.modules.receptions import repository as repo
from renda.modules.receptions import schedule
from renda.modules.receptions.calendars import is_reception_day
from renda.modules.receptions.common import (
    Caller,
    DeputyKey,
    check_month,
    deputy_key,
    deputy_names,
    deputy_outs,
    flush,
    key_of,
    live_station_deputies,
    require_deputy,
    station_in_body,
    station_list,
)
from renda.modules.receptions.models import (
    CANCELLED,
    REMINDER_STATES,
    ReceptionRule,
    RosterEntry,
)
from renda.modules.receptions.schemas import (
    CoverageOut,
    GenerateOut,
    RosterEntryIn,
    RosterEntryOut,
)
from renda.tenants.scoping import TenantRef

REMINDER_KIND = "reception_roster"


# --- public reads (portal) ------------------------------------------------------------------------
async def rostered_on(session: AsyncSession, station_id: uuid.UUID, day: date) -> list[str]:
    """The public names of the deputies rostered at a station on a day (own and recorded elsewhere)."""
    entries = await repo.roster_between(session, day, day, [station_id])
    names = await deputy_names(session, [key_of(e) for e in entries])
    return [names[key_of(e)] for e in entries]


# --- rosters --------------------------------------------------------------------------------------
async def roster_outs(session: AsyncSession, entries: Sequence[RosterEntry]) -> list[RosterEntryOut]:
    outs = await deputy_outs(session, [key_of(e) for e in entries])
    names = {s.id: s.name for s in await repo.stations(session, list({e.station_id for e in entries}))}
    return [
        RosterEntryOut(
            e.id,
            e.station_id,
            names.get(e.station_id, ""),
            e.day,
            outs[key_of(e)],
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
    person_id = require_deputy(caller)
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
    await flush(session)
    return entry


async def get_roster_entry(session: AsyncSession, entry_id: uuid.UUID) -> RosterEntry:
    entry = await session.get(RosterEntry, entry_id)
    if entry is None:
        raise NotFound("排班记录不存在", code="roster_entry_not_found")
    return entry


async def delete_roster_entry(session: AsyncSession, entry: RosterEntry) -> None:
    await session.delete(entry)
    await flush(session)


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
        mine = [e for e in entries if key_of(e) == key]
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
        self.busy: set[tuple[DeputyKey, date]] = {(key_of(e), e.day) for e in entries}

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
        have = sum(1 for e in existing if key_of(e) == key and e.station_id == station.id and start <= e.day <= end)
        for _ in range(max(0, rhythm.per_month - have)):
            day = planner.place(station.id, open_days, key)
            if day is None:
                unmet.append(names[key])
                break
            add(station.id, day, key)

    if rhythm.per_quarter_home and station.kind != "deputy_home":
        unmet += await _plan_home_turns(session, station, rhythm, deputies, existing, planner, add, start, today)

    session.add_all(created)
    await flush(session)
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
        have = sum(1 for e in existing if key_of(e) == key and e.station_id in homes)
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
        if entry.reminder_status == CANCELLED or not schedule.is_reception_day(calendars[station.id], day):
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
