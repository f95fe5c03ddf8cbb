"""The deputies, users, townships and terms that organisation records refer to, including deputies
recorded by other offices (read through the platform's mandate directory)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.errors import InvalidInput
from renda.modules.accounts.service import memberships_of
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import LEVEL_LABELS, DirectoryEntry, MandateStatus, Person, Term
from renda.modules.organisation import repository as repo
from renda.modules.organisation.common import GENDER_LABELS
from renda.modules.organisation.models import (
    DeputyGroup,
    Station,
)
from renda.modules.organisation.schemas import (
    ExternalDeputyRef,
    PersonRef,
)
from renda.tenants.models import Tenant
from renda.tenants.scoping import TenantRef


# --- references: persons, users, townships, terms ---------------------------------------------------
async def find_person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise InvalidInput("所选代表不在本机关的代表名册中", code="unknown_person")
    return person


async def check_user(tenant: TenantRef, user_id: uuid.UUID) -> None:
    """The linked user must be a member of this office: the contact assignments act through them."""
    async with get_database().platform_session() as platform:
        codes = {m.tenant_code for m in await memberships_of(platform, user_id)}
    if tenant.code not in codes:
        raise InvalidInput("所选用户不是本机关的成员,请先在“成员与邀请”中添加", code="invalid_user")


def check_township(tenant: TenantRef, code: str | None) -> str | None:
    """A township (乡镇、街道) code inside the office's territory, or nothing."""
    if not code:
        return None
    prefix = {"city": tenant.code[:4], "county": tenant.code[:6]}.get(tenant.level, tenant.code)
    if len(code) != 9 or not code.isdigit() or not code.startswith(prefix) or code.endswith("000"):
        raise InvalidInput(f"乡镇(街道)代码“{code}”不是本机关辖区内的 9 位乡镇代码", code="invalid_township")
    return code


async def own_term(session: AsyncSession, tenant: TenantRef, term_id: uuid.UUID) -> Term:
    term = next((t for t in await repo.own_terms(session, tenant.code) if t.id == term_id), None)
    if term is None:
        raise InvalidInput("届次不存在,或不是本级人民代表大会的届次", code="invalid_term")
    return term


def check_dates(term: Term, started_on: date, ended_on: date | None) -> None:
    if started_on < term.starts_on or (term.ends_on and started_on > term.ends_on):
        raise InvalidInput(f"任职日期应在第{term.number}届任期之内", code="invalid_dates")
    if ended_on and (ended_on < started_on or (term.ends_on and ended_on > term.ends_on)):
        raise InvalidInput("离任日期不能早于任职日期,也不能晚于本届任期结束", code="invalid_dates")


async def person_refs(session: AsyncSession, persons: Iterable[Person]) -> list[PersonRef]:
    persons = list(persons)
    levels = await repo.live_levels(session, [p.id for p in persons])
    return [
        PersonRef(
            p.id,
            p.name,
            GENDER_LABELS.get(p.gender, p.gender),
            levels.get(p.id, []),
            "、".join(LEVEL_LABELS[level] for level in levels.get(p.id, [])) or "无在任代表资格",
        )
        for p in persons
    ]


async def search_candidates(
    session: AsyncSession, q: str | None, *, group: DeputyGroup | None = None, station: Station | None = None
) -> list[PersonRef]:
    """Deputies to pick from when adding to a group or station: those not already in it."""
    exclude = repo.group_member_ids(group.id) if group else repo.station_deputy_ids(station.id) if station else None
    return await person_refs(session, await repo.search_persons(session, q, exclude=exclude))


# --- deputies recorded by other offices (read through the platform's mandate directory) -----------
async def _directory_entries(mandate_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[DirectoryEntry, str]]:
    """Directory entries by mandate id, with the name of the recording office."""
    wanted = set(mandate_ids)
    if not wanted:
        return {}
    query = (
        select(DirectoryEntry, Tenant.name)
        .join(Tenant, Tenant.code == DirectoryEntry.recorded_by, isouter=True)
        .where(DirectoryEntry.mandate_id.in_(wanted))
    )
    async with get_database().platform_session() as platform:
        return {entry.mandate_id: (entry, name or entry.recorded_by) for entry, name in (await platform.execute(query))}


def _external_ref(mandate_id: uuid.UUID, found: dict[uuid.UUID, tuple[DirectoryEntry, str]]) -> ExternalDeputyRef:
    if mandate_id not in found:  # withdrawn from the directory since
        return ExternalDeputyRef(mandate_id, "(已不在代表名录中)", "", "", "", "", False)
    entry, office = found[mandate_id]
    return ExternalDeputyRef(
        mandate_id,
        entry.person_name,
        entry.level,
        LEVEL_LABELS.get(entry.level, entry.level),
        entry.recorded_by,
        office,
        entry.status != MandateStatus.ENDED,
    )


async def external_refs(mandate_ids: Iterable[uuid.UUID]) -> list[ExternalDeputyRef]:
    mandate_ids = list(mandate_ids)
    found = await _directory_entries(mandate_ids)
    refs = [_external_ref(m, found) for m in mandate_ids]
    pinyin = {m: found[m][0].name_pinyin for m in found}
    return sorted(refs, key=lambda r: (pinyin.get(r.mandate_id, "~"), str(r.mandate_id)))


async def _with_external_names(
    names: dict[uuid.UUID, list[str]], external: dict[uuid.UUID, list[uuid.UUID]]
) -> dict[uuid.UUID, list[str]]:
    """The names of the office's own deputies per group or station, then those recorded elsewhere."""
    refs = {r.mandate_id: r for r in await external_refs(m for ids in external.values() for m in ids)}
    merged = dict(names)
    for key, ids in external.items():
        merged[key] = [*names.get(key, []), *(f"{refs[m].name}(由{refs[m].recorded_by_name}登记)" for m in ids)]
    return merged


async def group_member_names(session: AsyncSession, group_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    names = await repo.group_member_names(session, group_ids)
    return await _with_external_names(names, await repo.group_external_ids(session, group_ids))


async def station_deputy_names(session: AsyncSession, station_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    names = await repo.station_deputy_names(session, station_ids)
    return await _with_external_names(names, await repo.station_external_ids(session, station_ids))


async def elsewhere_entry(tenant: TenantRef, mandate_id: uuid.UUID) -> DirectoryEntry:
    """A live mandate another office records and organises in this office's territory."""
    query = select(DirectoryEntry).where(
        DirectoryEntry.mandate_id == mandate_id,
        deputies.in_territory(tenant),
        deputies.live(),
        DirectoryEntry.recorded_by != tenant.code,
    )
    async with get_database().platform_session() as platform:
        entry = (await platform.execute(query)).scalar_one_or_none()
    if entry is None:
        raise InvalidInput("所选代表不是由其他机关登记、编在本辖区的在任代表", code="not_in_territory")
    return entry


async def search_elsewhere(
    tenant: TenantRef, q: str | None, exclude: Iterable[uuid.UUID] = ()
) -> list[deputies.ElsewhereEntry]:
    """Deputies recorded elsewhere and organised here, to pick from (those already added left out)."""
    if not q or not q.strip():
        return []
    excluded = set(exclude)
    async with get_database().platform_session() as platform:
        found, _ = await deputies.recorded_elsewhere(platform, tenant, q=q, page_size=50)
    return [e for e in found if e.entry.mandate_id not in excluded][:20]
