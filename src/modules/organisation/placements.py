"""Tells the register (deputies) how to read the groups and stations its deputies are placed in, and
that a committee seat keeps a person from being deleted: the register filters and shows them without
importing this module."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.deputies.models import Person
from renda.modules.deputies.service import Place, Placement, register_deletion_check, register_placement
from renda.modules.organisation.models import (
    GROUP_KINDS,
    STATION_KINDS,
    CommitteeMember,
    DeputyGroup,
    GroupMembership,
    Station,
    StationAssignment,
)


def _group(group: DeputyGroup) -> Place:
    return Place(group.id, group.name, group.kind, GROUP_KINDS.get(group.kind, group.kind))


def _station(station: Station) -> Place:
    return Place(station.id, station.name, station.kind, STATION_KINDS.get(station.kind, station.kind), station.address)


async def all_groups(session: AsyncSession) -> list[Place]:
    return [_group(g) for g in await session.scalars(select(DeputyGroup).order_by(DeputyGroup.kind, DeputyGroup.name))]


async def groups_of(session: AsyncSession, person_id: uuid.UUID) -> list[Place]:
    query = (
        select(DeputyGroup)
        .join(GroupMembership, GroupMembership.group_id == DeputyGroup.id)
        .where(GroupMembership.person_id == person_id)
        .order_by(DeputyGroup.kind, DeputyGroup.name)
    )
    return [_group(g) for g in await session.scalars(query)]


def in_group(group_id: uuid.UUID) -> ColumnElement[bool]:
    return exists().where(GroupMembership.person_id == Person.id, GroupMembership.group_id == group_id)


async def all_stations(session: AsyncSession) -> list[Place]:
    return [_station(s) for s in await session.scalars(select(Station).order_by(Station.kind, Station.name))]


async def stations_of(session: AsyncSession, person_id: uuid.UUID) -> list[Place]:
    query = (
        select(Station)
        .join(StationAssignment, StationAssignment.station_id == Station.id)
        .where(StationAssignment.person_id == person_id)
        .order_by(Station.kind, Station.name)
    )
    return [_station(s) for s in await session.scalars(query)]


def at_station(station_id: uuid.UUID) -> ColumnElement[bool]:
    return exists().where(StationAssignment.person_id == Person.id, StationAssignment.station_id == station_id)


async def committee_seat(session: AsyncSession, person_id: uuid.UUID) -> str | None:
    found = await session.scalar(select(CommitteeMember.id).where(CommitteeMember.person_id == person_id).limit(1))
    return "有常委会组成人员任职记录" if found is not None else None


register_placement(Placement("group", all_groups, groups_of, in_group))
register_placement(Placement("station", all_stations, stations_of, at_station))
register_deletion_check(committee_seat)
