"""The deputies the star rating is about: who holds a live mandate, their names and geographic groups,
and which group leader (代表小组组长) checks whom."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from renda.modules.deputies.models import Mandate, MandateStatus, Person
from renda.modules.organisation.models import DeputyGroup, GroupMembership


def has_live_mandate(person_id: ColumnElement[uuid.UUID]) -> ColumnElement[bool]:
    """The person holds a mandate that has not ended (a suspended one still counts: the deputy is
    rated for the year)."""
    return exists().where(Mandate.person_id == person_id, Mandate.status != MandateStatus.ENDED)


async def live_person_ids(session: AsyncSession) -> list[uuid.UUID]:
    query = select(Person.id).where(has_live_mandate(Person.id)).order_by(Person.name_pinyin, Person.id)
    return list((await session.execute(query)).scalars())


async def names_of(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = set(person_ids)
    if not wanted:
        return {}
    return dict((await session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))).all())


def group_name_of(person_id: ColumnElement[uuid.UUID]) -> ColumnElement[str | None]:
    """The person's geographic group (one at most), as a column of a list."""
    return (
        select(DeputyGroup.name)
        .join(GroupMembership, GroupMembership.group_id == DeputyGroup.id)
        .where(GroupMembership.person_id == person_id, GroupMembership.group_kind == "geographic")
        .limit(1)
        .scalar_subquery()
    )


async def group_names_of(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = set(person_ids)
    if not wanted:
        return {}
    query = (
        select(GroupMembership.person_id, DeputyGroup.name)
        .join(DeputyGroup, DeputyGroup.id == GroupMembership.group_id)
        .where(GroupMembership.person_id.in_(wanted), GroupMembership.group_kind == "geographic")
    )
    return dict((await session.execute(query)).all())


def in_group(person_id: ColumnElement[uuid.UUID], group_id: uuid.UUID) -> ColumnElement[bool]:
    return exists().where(GroupMembership.person_id == person_id, GroupMembership.group_id == group_id)


def led_by(person_id: ColumnElement[uuid.UUID], leader_id: uuid.UUID) -> ColumnElement[bool]:
    """The person is a member of a group `leader_id` leads (the leader themselves excluded)."""
    return (person_id != leader_id) & exists().where(
        GroupMembership.person_id == person_id,
        GroupMembership.group_id == DeputyGroup.id,
        DeputyGroup.leader_person_id == leader_id,
    )


async def leads_group_of(session: AsyncSession, leader_id: uuid.UUID, person_id: uuid.UUID) -> bool:
    if leader_id == person_id:
        return False
    query = (
        select(GroupMembership.id)
        .join(DeputyGroup, DeputyGroup.id == GroupMembership.group_id)
        .where(GroupMembership.person_id == person_id, DeputyGroup.leader_person_id == leader_id)
        .limit(1)
    )
    return await session.scalar(query) is not None


async def is_leader(session: AsyncSession, person_id: uuid.UUID) -> bool:
    return (
        await session.scalar(select(DeputyGroup.id).where(DeputyGroup.leader_person_id == person_id).limit(1))
        is not None
    )


async def leaders_of(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
    """leader person → the given persons in the groups they lead (never themselves)."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    member = aliased(GroupMembership)
    query = (
        select(DeputyGroup.leader_person_id, member.person_id)
        .join(member, member.group_id == DeputyGroup.id)
        .where(DeputyGroup.leader_person_id.is_not(None), member.person_id.in_(wanted))
    )
    found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for leader, person in (await session.execute(query)).all():
        if leader != person:
            found[leader].add(person)
    return dict(found)


async def group_choices(session: AsyncSession) -> list[tuple[uuid.UUID, str]]:
    query = select(DeputyGroup.id, DeputyGroup.name).order_by(DeputyGroup.kind, DeputyGroup.name)
    return [(row.id, row.name) for row in (await session.execute(query)).all()]
