"""Queries of the organisation module, all in the request's tenant schema.

Persons, terms and mandates belong to the deputies register; they are read here through their
models, never written.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.deputies.models import LEVELS, Congress, Mandate, MandateStatus, Person, Term
from renda.modules.deputies.service import search_key
from renda.modules.organisation.models import (
    Body,
    BodyMember,
    CommitteeMember,
    DeputyGroup,
    GroupMembership,
    Station,
    StationAssignment,
)
from renda.modules.organisation.schemas import GroupFilter, StationFilter

POSITION_ORDER = case(
    {"chair": 0, "vice_chair": 1, "secretary_general": 2, "member": 3}, value=CommitteeMember.position, else_=9
)
BODY_ROLE_ORDER = case({"chair": 0, "vice_chair": 1, "member": 2}, value=BodyMember.role, else_=9)


# --- terms ----------------------------------------------------------------------------------------
async def own_terms(session: AsyncSession, office_code: str) -> list[Term]:
    """Terms of the office's own congress (the one whose standing committee the office serves)."""
    query = (
        select(Term)
        .join(Congress, Congress.id == Term.congress_id)
        .where(Congress.division_code == office_code)
        .order_by(Term.number.desc())
    )
    return list((await session.execute(query)).scalars())


# --- persons --------------------------------------------------------------------------------------
async def persons_by_id(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Person]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {p.id: p for p in (await session.execute(select(Person).where(Person.id.in_(wanted)))).scalars()}


async def live_levels(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """The levels of each person's live (active or suspended) mandates, highest level first."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    query = (
        select(Mandate.person_id, Mandate.level)
        .where(Mandate.person_id.in_(wanted), Mandate.status != MandateStatus.ENDED)
        .distinct()
    )
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    for person_id, level in (await session.execute(query)).all():
        found[person_id].append(level)
    return {pid: sorted(levels, key=LEVELS.index) for pid, levels in found.items()}


def person_search(query: Select[Any], q: str | None) -> Select[Any]:
    """Name, full pinyin or initials: 张, zhangsan and zs all find 张三."""
    if not q or not q.strip():
        return query
    key = search_key(q)
    conditions = [Person.name.contains(q.strip(), autoescape=True)]
    if key:
        conditions += [Person.name_pinyin.startswith(key, autoescape=True), Person.name_initials.startswith(key)]
    return query.where(or_(*conditions))


async def search_persons(
    session: AsyncSession, q: str | None, *, exclude: Select[Any] | None = None, limit: int = 20
) -> list[Person]:
    query = person_search(select(Person), q).order_by(Person.name_pinyin, Person.id).limit(limit)
    if exclude is not None:
        query = query.where(Person.id.not_in(exclude))
    return list((await session.execute(query)).scalars())


async def unassigned_deputy_count(session: AsyncSession) -> int:
    """Deputies with a live mandate who are in no geographic group yet (每名代表都应编入代表小组)."""
    live = exists().where(Mandate.person_id == Person.id, Mandate.status != MandateStatus.ENDED)
    grouped = exists().where(GroupMembership.person_id == Person.id, GroupMembership.group_kind == "geographic")
    return (await session.execute(select(func.count()).select_from(Person).where(live, ~grouped))).scalar_one()


# --- the standing committee -----------------------------------------------------------------------
async def committee_members(session: AsyncSession, term_id: uuid.UUID) -> list[CommitteeMember]:
    query = (
        select(CommitteeMember)
        .where(CommitteeMember.term_id == term_id)
        .order_by(
            CommitteeMember.ended_on.is_not(None), POSITION_ORDER, CommitteeMember.started_on, CommitteeMember.name
        )
    )
    return list((await session.execute(query)).scalars())


async def serving_committee_member(
    session: AsyncSession, term_id: uuid.UUID, *, exclude: uuid.UUID | None = None, **where: Any
) -> CommitteeMember | None:
    """A member of the term still serving who matches `where` (position, person_id or user_id)."""
    query = select(CommitteeMember).where(CommitteeMember.term_id == term_id, CommitteeMember.ended_on.is_(None))
    for column, value in where.items():
        query = query.where(getattr(CommitteeMember, column) == value)
    if exclude is not None:
        query = query.where(CommitteeMember.id != exclude)
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def body_roles(
    session: AsyncSession, committee_member_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[Body, BodyMember]]]:
    if not committee_member_ids:
        return {}
    query = (
        select(Body, BodyMember)
        .join(BodyMember, BodyMember.body_id == Body.id)
        .where(BodyMember.committee_member_id.in_(committee_member_ids))
        .order_by(Body.kind, Body.name)
    )
    found: dict[uuid.UUID, list[tuple[Body, BodyMember]]] = defaultdict(list)
    for body, member in (await session.execute(query)).all():
        found[member.committee_member_id].append((body, member))
    return found


async def person_committee_positions(session: AsyncSession, person_id: uuid.UUID) -> list[CommitteeMember]:
    query = (
        select(CommitteeMember)
        .where(CommitteeMember.person_id == person_id)
        .order_by(CommitteeMember.started_on.desc())
    )
    return list((await session.execute(query)).scalars())


# --- bodies ---------------------------------------------------------------------------------------
async def bodies_with_counts(session: AsyncSession) -> list[tuple[Body, int]]:
    count = select(func.count()).where(BodyMember.body_id == Body.id).scalar_subquery()
    rows = await session.execute(select(Body, count).order_by(Body.kind, Body.name))
    return [(body, n) for body, n in rows.all()]


async def body_members(
    session: AsyncSession, body_id: uuid.UUID
) -> list[tuple[BodyMember, CommitteeMember | None, Person | None]]:
    """The members of a body with their committee seat or deputy, chair first, then by name."""
    display_name = func.coalesce(CommitteeMember.name, Person.name, BodyMember.name)
    query = (
        select(BodyMember, CommitteeMember, Person)
        .outerjoin(CommitteeMember, CommitteeMember.id == BodyMember.committee_member_id)
        .outerjoin(Person, Person.id == BodyMember.person_id)
        .where(BodyMember.body_id == body_id)
        .order_by(BODY_ROLE_ORDER, display_name, BodyMember.id)
    )
    return [(m, c, p) for m, c, p in (await session.execute(query)).all()]


async def body_member(session: AsyncSession, body_id: uuid.UUID, committee_member_id: uuid.UUID) -> BodyMember | None:
    query = select(BodyMember).where(
        BodyMember.body_id == body_id, BodyMember.committee_member_id == committee_member_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def body_member_by_id(session: AsyncSession, body_id: uuid.UUID, body_member_id: uuid.UUID) -> BodyMember | None:
    query = select(BodyMember).where(BodyMember.body_id == body_id, BodyMember.id == body_member_id)
    return (await session.execute(query)).scalar_one_or_none()


async def body_deputy(session: AsyncSession, body_id: uuid.UUID, person_id: uuid.UUID) -> BodyMember | None:
    query = select(BodyMember).where(BodyMember.body_id == body_id, BodyMember.person_id == person_id)
    return (await session.execute(query)).scalar_one_or_none()


def body_deputy_ids(body_id: uuid.UUID) -> Select[Any]:
    return select(BodyMember.person_id).where(BodyMember.body_id == body_id, BodyMember.person_id.is_not(None))


async def body_chair(session: AsyncSession, body_id: uuid.UUID, exclude: uuid.UUID | None) -> BodyMember | None:
    """The body's chair, other than the body member `exclude` (a body-member id)."""
    query = select(BodyMember).where(BodyMember.body_id == body_id, BodyMember.role == "chair")
    if exclude is not None:
        query = query.where(BodyMember.id != exclude)
    return (await session.execute(query.limit(1))).scalar_one_or_none()


# --- deputy groups --------------------------------------------------------------------------------
def groups_query(filters: GroupFilter) -> Select[Any]:
    query = select(DeputyGroup).order_by(DeputyGroup.kind, DeputyGroup.township_code.nulls_last(), DeputyGroup.name)
    if filters.kind:
        query = query.where(DeputyGroup.kind == filters.kind)
    if filters.township_code:
        query = query.where(DeputyGroup.township_code == filters.township_code)
    if filters.q and filters.q.strip():
        query = query.where(DeputyGroup.name.contains(filters.q.strip(), autoescape=True))
    if filters.empty is not None:
        has_members = exists().where(GroupMembership.group_id == DeputyGroup.id)
        query = query.where(~has_members if filters.empty else has_members)
    return query


async def group_member_counts(session: AsyncSession, group_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not group_ids:
        return {}
    query = (
        select(GroupMembership.group_id, func.count())
        .where(GroupMembership.group_id.in_(group_ids))
        .group_by(GroupMembership.group_id)
    )
    return {gid: n for gid, n in (await session.execute(query)).all()}


async def group_counts_by_kind(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """kind → (groups, memberships)."""
    members = select(func.count()).where(GroupMembership.group_id == DeputyGroup.id).scalar_subquery()
    query = select(DeputyGroup.kind, func.count(), func.coalesce(func.sum(members), 0)).group_by(DeputyGroup.kind)
    return {kind: (groups, int(total)) for kind, groups, total in (await session.execute(query)).all()}


def group_member_ids(group_id: uuid.UUID) -> Select[Any]:
    return select(GroupMembership.person_id).where(
        GroupMembership.group_id == group_id, GroupMembership.person_id.is_not(None)
    )


async def _external_ids(
    session: AsyncSession, owner: Any, owner_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """owner (a group or station) → the directory mandate ids of its deputies recorded by other offices."""
    if not owner_ids:
        return {}
    table = owner.class_
    query = select(owner, table.directory_mandate_id).where(
        owner.in_(owner_ids), table.directory_mandate_id.is_not(None)
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for owner_id, mandate_id in (await session.execute(query)).all():
        found[owner_id].append(mandate_id)
    return found


async def group_external_ids(session: AsyncSession, group_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    return await _external_ids(session, GroupMembership.group_id, group_ids)


async def external_membership(
    session: AsyncSession, group_id: uuid.UUID, mandate_id: uuid.UUID
) -> GroupMembership | None:
    query = select(GroupMembership).where(
        GroupMembership.group_id == group_id, GroupMembership.directory_mandate_id == mandate_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def external_geographic_group(
    session: AsyncSession, mandate_id: uuid.UUID, *, exclude_group: uuid.UUID | None = None
) -> DeputyGroup | None:
    """The geographic group a deputy recorded elsewhere already belongs to here, if any."""
    query = (
        select(DeputyGroup)
        .join(GroupMembership, GroupMembership.group_id == DeputyGroup.id)
        .where(GroupMembership.directory_mandate_id == mandate_id, GroupMembership.group_kind == "geographic")
    )
    if exclude_group is not None:
        query = query.where(DeputyGroup.id != exclude_group)
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def group_members(session: AsyncSession, group_id: uuid.UUID) -> list[Person]:
    query = select(Person).where(Person.id.in_(group_member_ids(group_id))).order_by(Person.name_pinyin, Person.id)
    return list((await session.execute(query)).scalars())


async def group_membership(session: AsyncSession, group_id: uuid.UUID, person_id: uuid.UUID) -> GroupMembership | None:
    query = select(GroupMembership).where(GroupMembership.group_id == group_id, GroupMembership.person_id == person_id)
    return (await session.execute(query)).scalar_one_or_none()


async def group_memberships(session: AsyncSession, group_id: uuid.UUID) -> list[GroupMembership]:
    return list((await session.execute(select(GroupMembership).where(GroupMembership.group_id == group_id))).scalars())


async def person_groups(session: AsyncSession, person_id: uuid.UUID) -> list[DeputyGroup]:
    query = (
        select(DeputyGroup)
        .join(GroupMembership, GroupMembership.group_id == DeputyGroup.id)
        .where(GroupMembership.person_id == person_id)
        .order_by(DeputyGroup.kind, DeputyGroup.name)
    )
    return list((await session.execute(query)).scalars())


async def geographic_groups_of(
    session: AsyncSession, person_ids: Sequence[uuid.UUID], *, exclude_group: uuid.UUID | None = None
) -> list[tuple[Person, DeputyGroup]]:
    """Which of these persons already belong to a geographic group (other than `exclude_group`)."""
    if not person_ids:
        return []
    query = (
        select(Person, DeputyGroup)
        .join(GroupMembership, GroupMembership.person_id == Person.id)
        .join(DeputyGroup, DeputyGroup.id == GroupMembership.group_id)
        .where(Person.id.in_(person_ids), GroupMembership.group_kind == "geographic")
    )
    if exclude_group is not None:
        query = query.where(DeputyGroup.id != exclude_group)
    return [(p, g) for p, g in (await session.execute(query)).all()]


async def groups_led_by(session: AsyncSession, person_id: uuid.UUID) -> list[DeputyGroup]:
    query = select(DeputyGroup).where(DeputyGroup.leader_person_id == person_id).order_by(DeputyGroup.name)
    return list((await session.execute(query)).scalars())


# --- stations -------------------------------------------------------------------------------------
def stations_query(filters: StationFilter) -> Select[Any]:
    query = select(Station).order_by(
        Station.is_active.desc(), Station.township_code.nulls_last(), Station.kind, Station.name
    )
    if filters.kind:
        query = query.where(Station.kind == filters.kind)
    if filters.township_code:
        query = query.where(Station.township_code == filters.township_code)
    if filters.active is not None:
        query = query.where(Station.is_active == filters.active)
    if filters.q and filters.q.strip():
        q = filters.q.strip()
        query = query.where(
            or_(Station.name.contains(q, autoescape=True), Station.address.contains(q, autoescape=True))
        )
    if filters.empty is not None:
        has_deputies = exists().where(StationAssignment.station_id == Station.id)
        query = query.where(~has_deputies if filters.empty else has_deputies)
    return query


def station_deputy_ids(station_id: uuid.UUID) -> Select[Any]:
    return select(StationAssignment.person_id).where(
        StationAssignment.station_id == station_id, StationAssignment.person_id.is_not(None)
    )


async def station_external_ids(
    session: AsyncSession, station_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    return await _external_ids(session, StationAssignment.station_id, station_ids)


async def external_assignment(
    session: AsyncSession, station_id: uuid.UUID, mandate_id: uuid.UUID
) -> StationAssignment | None:
    query = select(StationAssignment).where(
        StationAssignment.station_id == station_id, StationAssignment.directory_mandate_id == mandate_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def station_deputies(session: AsyncSession, station_id: uuid.UUID) -> list[Person]:
    query = select(Person).where(Person.id.in_(station_deputy_ids(station_id))).order_by(Person.name_pinyin, Person.id)
    return list((await session.execute(query)).scalars())


async def station_deputy_names(session: AsyncSession, station_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    if not station_ids:
        return {}
    query = (
        select(StationAssignment.station_id, Person.name)
        .join(Person, Person.id == StationAssignment.person_id)
        .where(StationAssignment.station_id.in_(station_ids))
        .order_by(Person.name_pinyin, Person.id)
    )
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    for station_id, name in (await session.execute(query)).all():
        found[station_id].append(name)
    return found


async def station_assignment(
    session: AsyncSession, station_id: uuid.UUID, person_id: uuid.UUID
) -> StationAssignment | None:
    query = select(StationAssignment).where(
        StationAssignment.station_id == station_id, StationAssignment.person_id == person_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def person_stations(session: AsyncSession, person_id: uuid.UUID) -> list[Station]:
    query = (
        select(Station)
        .join(StationAssignment, StationAssignment.station_id == Station.id)
        .where(StationAssignment.person_id == person_id)
        .order_by(Station.name)
    )
    return list((await session.execute(query)).scalars())


async def station_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Station.kind, func.count()).where(Station.is_active).group_by(Station.kind))
    return {kind: n for kind, n in rows.all()}


async def group_member_names(session: AsyncSession, group_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    if not group_ids:
        return {}
    query = (
        select(GroupMembership.group_id, Person.name)
        .join(Person, Person.id == GroupMembership.person_id)
        .where(GroupMembership.group_id.in_(group_ids))
        .order_by(Person.name_pinyin, Person.id)
    )
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    for group_id, name in (await session.execute(query)).all():
        found[group_id].append(name)
    return found
