"""Stations' reception calendars: rules, exceptions, the month calendar and the next reception days.

The calendar comes from rule rows per station (`schedule.py` says how dates are computed), with
exceptions (a cancelled holiday, an extra day). A station without calendar rules uses its
`Station.reception_days`; once it has rules, `reception_days` mirrors the month-day rules valid
today, so the organisation pages and the portal show what the rules say.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput, NotFound
from renda.core.timezone import local_today
from renda.modules.organisation import service as organisation
from renda.modules.organisation.models import STATION_KINDS, Station
from renda.modules.receptions import repository as repo
from renda.modules.receptions import schedule
from renda.modules.receptions.common import (
    EARLIEST,
    LATEST,
    changes_of,
    check_month,
    clean_text,
    deputy_outs,
    flush,
    key_of,
    station_deputies,
    station_in_body,
    station_list,
)
from renda.modules.receptions.models import (
    CANCELLED,
    EXCEPTION_KINDS,
    RULE_KINDS,
    ReceptionException,
    ReceptionRule,
)
from renda.modules.receptions.schemas import (
    CalendarDay,
    CalendarOut,
    DeputyOut,
    ExceptionIn,
    ExceptionOut,
    RuleIn,
    RuleOut,
    RulePatch,
    StationCalendarOut,
    StationDay,
)


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
    if rule.home_station_id is not None:  # also one a patch sent to a rule of another kind
        with session.no_autoflush:  # the patched rule must not be written before its station is found
            home = await session.get(Station, rule.home_station_id)
        if home is None:
            raise InvalidInput("所选的代表之家不存在", code="unknown_station")
        if rule.kind != "duty_rhythm":
            rule.home_station_id = None  # only the rhythm's quarterly visit goes home, as a new rule
        elif home.kind != "deputy_home" or not home.is_active:
            raise InvalidInput("季度进家的站点应为本机关在用的代表之家", code="invalid_home_station")
    rule.days = days
    rule.note = clean_text(rule.note)


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


async def follow_calendar(
    session: AsyncSession, station_ids: Sequence[uuid.UUID] | None, start: date, end: date = LATEST
) -> None:
    """After a change of the calendar: roster entries (today or later) on a day that is no longer a
    reception day stop waiting for their reminder at once, and messages of a reminder already sent but
    not yet delivered are withdrawn; entries on a day that is a reception day again wait again."""
    from renda.modules.notifications import service as notifications

    entries = await repo.roster_between(session, max(start, local_today()), end, station_ids)
    if not entries:
        return
    stations = await repo.stations(session, list({e.station_id for e in entries}))
    calendars = await repo.calendars(session, stations, min(e.day for e in entries), max(e.day for e in entries))
    for entry in entries:
        receiving = schedule.is_reception_day(calendars[entry.station_id], entry.day)
        if not receiving and entry.reminder_status != CANCELLED:
            if entry.reminder_status == "sent":
                await notifications.withdraw(
                    session, f"reception_roster:{entry.station_id}:{entry.day.isoformat()}:", "已停止接待"
                )
            entry.reminder_status, entry.reminded_at = CANCELLED, None
        elif receiving and entry.reminder_status == CANCELLED:
            entry.reminder_status = None
    await flush(session)


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
    await flush(session)
    await sync_reception_days(session, station, local_today())
    await follow_calendar(session, [station.id], rule.valid_from)
    return rule


async def get_rule(session: AsyncSession, rule_id: uuid.UUID) -> ReceptionRule:
    rule = await session.get(ReceptionRule, rule_id)
    if rule is None:
        raise NotFound("接待规则不存在", code="rule_not_found")
    return rule


async def update_rule(session: AsyncSession, rule: ReceptionRule, patch: RulePatch) -> ReceptionRule:
    station = await organisation.get_station(session, rule.station_id)
    for key, value in changes_of(patch).items():
        setattr(rule, key, list(value) if key == "days" else value)
    await _check_rule(session, station, rule)
    await flush(session)
    await sync_reception_days(session, station, local_today())
    await follow_calendar(session, [station.id], local_today())
    return rule


async def delete_rule(session: AsyncSession, rule: ReceptionRule) -> None:
    station = await organisation.get_station(session, rule.station_id)
    await session.delete(rule)
    await flush(session)
    await sync_reception_days(session, station, local_today())
    await follow_calendar(session, [station.id], local_today())


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
    row = ReceptionException(station_id=data.station_id, day=data.day, kind=data.kind, reason=clean_text(data.reason))
    session.add(row)
    await flush(session)
    await _follow_exception(session, row)
    return row


async def _follow_exception(session: AsyncSession, row: ReceptionException) -> None:
    """A day cancelled or restored: its roster entries follow (one station's, or every station's)."""
    await follow_calendar(session, [row.station_id] if row.station_id else None, row.day, row.day)


async def get_exception(session: AsyncSession, exception_id: uuid.UUID) -> ReceptionException:
    row = await session.get(ReceptionException, exception_id)
    if row is None:
        raise NotFound("接待日调整不存在", code="exception_not_found")
    return row


async def delete_exception(session: AsyncSession, row: ReceptionException) -> None:
    await session.delete(row)
    await flush(session)
    await _follow_exception(session, row)


# --- the calendar ---------------------------------------------------------------------------------
async def month_calendar(session: AsyncSession, year: int, month: int, station: Station | None = None) -> CalendarOut:
    """Every day of a month with the stations receiving, who is rostered and how many were received;
    for one station or every active station of the office."""
    start, end = check_month(year, month)
    stations = [station] if station else await station_list(session, active_only=True)
    calendars = await repo.calendars(session, stations, start, end)
    entries = await repo.roster_between(session, start, end, [s.id for s in stations])
    outs = await deputy_outs(session, [key_of(e) for e in entries])
    rostered: dict[tuple[uuid.UUID, date], list[DeputyOut]] = defaultdict(list)
    for e in entries:
        rostered[(e.station_id, e.day)].append(outs[key_of(e)])
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


async def resync_all(session: AsyncSession, today: date) -> None:
    """Keep every station's `reception_days` mirror current as rules start and end (daily job)."""
    for station in await repo.stations(session):
        await sync_reception_days(session, station, today)
    await session.flush()


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
