"""Stations (家站室) and the deputies assigned to them."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import flush_or_conflict
from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.pagination import paginate
from renda.modules.organisation import repository as repo
from renda.modules.organisation.common import (
    clean_name,
    delete_found,
    flush,
    optional_text,
    reception_label,
    sent_fields,
)
from renda.modules.organisation.models import (
    STATION_KINDS,
    Station,
    StationAssignment,
)
from renda.modules.organisation.refs import (
    check_township,
    elsewhere_entry,
    external_refs,
    find_person,
    person_refs,
    station_deputy_names,
)
from renda.modules.organisation.schemas import (
    StationDetail,
    StationFilter,
    StationIn,
    StationOut,
    StationPage,
    StationPatch,
)
from renda.tenants.scoping import TenantRef

# The receptions module's records restrict the deletion of their station (t0007).
RECEPTIONS_OF_STATION = "fk_receptions_station_id_stations"


# --- stations -------------------------------------------------------------------------------------
def station_out(station: Station, count: int) -> StationOut:
    days = list(station.reception_days or [])
    return StationOut(
        station.id,
        station.kind,
        STATION_KINDS[station.kind],
        station.name,
        station.address,
        station.township_code,
        days,
        reception_label(days),
        station.opening_rules,
        station.is_active,
        count,
    )


async def list_stations(
    session: AsyncSession, filters: StationFilter, page: int, page_size: int
) -> tuple[StationPage, dict[uuid.UUID, list[str]]]:
    """A page of stations, and the names of the deputies assigned to each."""
    result = await paginate(session, repo.stations_query(filters), page, page_size)
    names = await station_deputy_names(session, [s.id for s in result.items])
    items = [station_out(s, len(names.get(s.id, []))) for s in result.items]
    return StationPage(items, result.total, result.page, result.page_size), names


async def station_summary(session: AsyncSession) -> dict[str, int]:
    counts = await repo.station_counts(session)
    return {kind: counts.get(kind, 0) for kind in STATION_KINDS}


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> Station:
    station = await session.get(Station, station_id)
    if station is None:
        raise NotFound("家站室不存在", code="station_not_found")
    return station


async def station_detail(session: AsyncSession, station: Station) -> StationDetail:
    deputies = await person_refs(session, await repo.station_deputies(session, station.id))
    external = await external_refs((await repo.station_external_ids(session, [station.id])).get(station.id, []))
    out = station_out(station, len(deputies) + len(external))
    return StationDetail(**msgspec.structs.asdict(out), deputies=deputies, external_deputies=external)


async def create_station(session: AsyncSession, tenant: TenantRef, data: StationIn) -> Station:
    station = Station(
        kind=data.kind,
        name=clean_name(data.name, "名称"),
        address=optional_text(data.address),
        township_code=check_township(tenant, data.township_code),
        reception_days=sorted(set(data.reception_days)),
        opening_rules=optional_text(data.opening_rules),
        is_active=data.is_active,
    )
    session.add(station)
    await flush(session)
    return station


async def update_station(session: AsyncSession, tenant: TenantRef, station: Station, patch: StationPatch) -> Station:
    changes = sent_fields(patch)
    if "name" in changes:
        changes["name"] = clean_name(changes["name"], "名称")
    if "township_code" in changes:
        changes["township_code"] = check_township(tenant, changes["township_code"])
    if "reception_days" in changes:
        changes["reception_days"] = sorted(set(changes["reception_days"]))
    for key in ("address", "opening_rules"):
        if key in changes:
            changes[key] = optional_text(changes[key])
    for key, value in changes.items():
        setattr(station, key, value)
    await flush(session)
    return station


async def delete_station(session: AsyncSession, station: Station) -> None:
    """A station whose receptions are on record keeps them (their foreign key restricts): 409, stop it instead."""
    await session.delete(station)
    in_use = ("station_in_use", f"{station.name}已有接待记录,不能删除;不再使用时请将其停用")
    await flush_or_conflict(session, {RECEPTIONS_OF_STATION: in_use})


async def assign_deputy(session: AsyncSession, station: Station, person_id: uuid.UUID) -> StationAssignment:
    person = await find_person(session, person_id)
    if not station.is_active:
        raise InvalidInput(f"{station.name}已停用,不能安排代表进站", code="station_inactive")
    if await repo.station_assignment(session, station.id, person.id):
        raise Conflict(f"{person.name}已进驻{station.name}", code="already_assigned")
    assignment = StationAssignment(station_id=station.id, person_id=person.id)
    session.add(assignment)
    await flush(session)
    return assignment


async def unassign_deputy(session: AsyncSession, station: Station, person_id: uuid.UUID) -> None:
    await delete_found(
        session,
        await repo.station_assignment(session, station.id, person_id),
        NotFound("该代表未进驻本站点", code="station_assignment_not_found"),
    )


async def assign_external_deputy(
    session: AsyncSession, tenant: TenantRef, station: Station, mandate_id: uuid.UUID
) -> StationAssignment:
    """进家入站 for a deputy recorded by another office and organised in this territory."""
    entry = await elsewhere_entry(tenant, mandate_id)
    if not station.is_active:
        raise InvalidInput(f"{station.name}已停用,不能安排代表进站", code="station_inactive")
    if await repo.external_assignment(session, station.id, mandate_id):
        raise Conflict(f"{entry.person_name}已进驻{station.name}", code="already_assigned")
    assignment = StationAssignment(station_id=station.id, directory_mandate_id=mandate_id)
    session.add(assignment)
    await flush(session)
    return assignment


async def unassign_external_deputy(session: AsyncSession, station: Station, mandate_id: uuid.UUID) -> None:
    await delete_found(
        session,
        await repo.external_assignment(session, station.id, mandate_id),
        NotFound("该代表未进驻本站点", code="station_assignment_not_found"),
    )
