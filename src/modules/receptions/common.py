"""What every part of the receptions module needs: who is asking, the deputies and stations involved,
months, and turning constraint violations into conflicts.

Staff (and office API tokens with `receptions.write`) manage rules, rosters and every record. A
signed-in deputy (role deputy, linked by `Person.user_id`) sees the calendar, their own schedule and
the records of receptions they held, and records receptions they hold. Deputies are persons of this
office or mandates recorded elsewhere (`DeputyKey`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import flush_or_conflict
from renda.core.errors import InvalidInput, NotFound, PermissionDenied
from renda.core.permissions import Role, roles_grant
from renda.core.timezone import local_today
from renda.modules.organisation import service as organisation
from renda.modules.organisation.models import Station
from renda.modules.receptions import repository as repo
from renda.modules.receptions import schedule
from renda.modules.receptions.models import (
    ReceptionDeputy,
    RosterEntry,
)
from renda.modules.receptions.schemas import (
    DeputyIn,
    DeputyOut,
)
from renda.tenants.scoping import TenantAccess

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)  # calendars end here (rules and exceptions are checked against it)
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


def require_deputy(caller: Caller) -> uuid.UUID:
    if caller.person_id is None:
        raise PermissionDenied(
            "您的账号尚未关联代表名册中的代表,请联系代表工作人员在代表信息中关联", code="not_linked_deputy"
        )
    return caller.person_id


# --- small helpers --------------------------------------------------------------------------------
async def flush(session: AsyncSession) -> None:
    """Flush; a known unique constraint violated becomes a Conflict with its code and message."""
    await flush_or_conflict(session, CONFLICTS)


def clean_text(value: str | None) -> str | None:
    """Stripped text, or None when empty."""
    return (value or "").strip() or None


def changes_of(patch: msgspec.Struct) -> dict[str, Any]:
    """The fields a patch sets."""
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


def key_of(row: RosterEntry | ReceptionDeputy) -> DeputyKey:
    return (row.person_id, row.directory_mandate_id)


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
