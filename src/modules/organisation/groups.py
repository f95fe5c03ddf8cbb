"""Deputy groups (geographic and professional) and their members."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import Conflict, NotFound
from renda.core.pagination import paginate
from renda.modules.deputies.models import Person
from renda.modules.organisation import repository as repo
from renda.modules.organisation.common import clean_name, delete_found, flush, sent_fields
from renda.modules.organisation.models import (
    GROUP_KINDS,
    DeputyGroup,
    GroupMembership,
)
from renda.modules.organisation.refs import check_township, elsewhere_entry, external_refs, find_person, person_refs
from renda.modules.organisation.schemas import (
    GroupDetail,
    GroupFilter,
    GroupIn,
    GroupOut,
    GroupPage,
    GroupPatch,
)
from renda.tenants.scoping import TenantRef


# --- deputy groups --------------------------------------------------------------------------------
async def groups_out(session: AsyncSession, groups: list[DeputyGroup]) -> list[GroupOut]:
    counts = await repo.group_member_counts(session, [g.id for g in groups])
    leaders = await repo.persons_by_id(session, [g.leader_person_id for g in groups if g.leader_person_id])
    refs = {r.id: r for r in await person_refs(session, leaders.values())}
    return [
        GroupOut(
            g.id,
            g.kind,
            GROUP_KINDS[g.kind],
            g.name,
            g.township_code,
            refs.get(g.leader_person_id) if g.leader_person_id else None,
            counts.get(g.id, 0),
        )
        for g in groups
    ]


async def list_groups(session: AsyncSession, filters: GroupFilter, page: int, page_size: int) -> GroupPage:
    result = await paginate(session, repo.groups_query(filters), page, page_size)
    return GroupPage(await groups_out(session, result.items), result.total, result.page, result.page_size)


async def group_summary(session: AsyncSession) -> dict[str, Any]:
    """Groups and memberships per kind, and the deputies not yet in any geographic group."""
    counts = await repo.group_counts_by_kind(session)
    return {
        "by_kind": {kind: counts.get(kind, (0, 0)) for kind in GROUP_KINDS},
        "unassigned": await repo.unassigned_deputy_count(session),
    }


async def get_group(session: AsyncSession, group_id: uuid.UUID) -> DeputyGroup:
    group = await session.get(DeputyGroup, group_id)
    if group is None:
        raise NotFound("代表小组不存在", code="group_not_found")
    return group


async def group_detail(session: AsyncSession, group: DeputyGroup) -> GroupDetail:
    (out,) = await groups_out(session, [group])
    members = await person_refs(session, await repo.group_members(session, group.id))
    external = await external_refs((await repo.group_external_ids(session, [group.id])).get(group.id, []))
    return GroupDetail(**msgspec.structs.asdict(out), members=members, external_members=external)


async def _check_geographic(session: AsyncSession, group: DeputyGroup, person_ids: list[uuid.UUID]) -> None:
    clashes = await repo.geographic_groups_of(session, person_ids, exclude_group=group.id)
    if clashes:
        names = "、".join(f"{p.name}(已在“{g.name}”)" for p, g in clashes)
        raise Conflict(
            f"每名代表只能编入一个代表小组:{names}。请先将其从原小组移出", code="already_in_geographic_group"
        )


async def _add_member(session: AsyncSession, group: DeputyGroup, person: Person) -> GroupMembership:
    if await repo.group_membership(session, group.id, person.id):
        raise Conflict(f"{person.name}已是{group.name}成员", code="already_member")
    if group.kind == "geographic":
        await _check_geographic(session, group, [person.id])
    membership = GroupMembership(group_id=group.id, group_kind=group.kind, person_id=person.id)
    session.add(membership)
    return membership


async def create_group(session: AsyncSession, tenant: TenantRef, data: GroupIn) -> DeputyGroup:
    name, township_code = clean_name(data.name, "小组名称"), check_township(tenant, data.township_code)
    group = DeputyGroup(kind=data.kind, name=name, township_code=township_code)
    leader = await find_person(session, data.leader_person_id) if data.leader_person_id else None
    session.add(group)
    await flush(session)
    if leader is not None:
        await _add_member(session, group, leader)
        group.leader_person_id = leader.id
        await flush(session)
    return group


async def update_group(session: AsyncSession, tenant: TenantRef, group: DeputyGroup, patch: GroupPatch) -> DeputyGroup:
    changes = sent_fields(patch)
    if "name" in changes:
        group.name = clean_name(changes["name"], "小组名称")
    if "township_code" in changes:
        group.township_code = check_township(tenant, changes["township_code"])
    await flush(session)  # a taken name is a conflict here, not an error in the queries below
    if changes.get("kind", group.kind) != group.kind:
        if changes["kind"] == "geographic":
            await _check_geographic(session, group, [p.id for p in await repo.group_members(session, group.id)])
            for mandate_id in (await repo.group_external_ids(session, [group.id])).get(group.id, []):
                await _check_external_geographic(session, group, mandate_id)
        group.kind = changes["kind"]
        for membership in await repo.group_memberships(session, group.id):
            membership.group_kind = group.kind  # the one-geographic-group index reads this copy
    if "leader_person_id" in changes:
        leader_id = changes["leader_person_id"]
        if leader_id is not None:
            leader = await find_person(session, leader_id)
            if not await repo.group_membership(session, group.id, leader.id):
                await _add_member(session, group, leader)
        group.leader_person_id = leader_id
    await flush(session)
    return group


async def delete_group(session: AsyncSession, group: DeputyGroup) -> None:
    await session.delete(group)
    await flush(session)


async def add_group_member(session: AsyncSession, group: DeputyGroup, person_id: uuid.UUID) -> GroupMembership:
    membership = await _add_member(session, group, await find_person(session, person_id))
    await flush(session)
    return membership


async def remove_group_member(session: AsyncSession, group: DeputyGroup, person_id: uuid.UUID) -> None:
    membership = await repo.group_membership(session, group.id, person_id)
    if membership is None:
        raise NotFound("该代表不是本小组成员", code="group_member_not_found")
    if group.leader_person_id == person_id:
        group.leader_person_id = None  # a group is not led by someone outside it
    await session.delete(membership)
    await flush(session)


async def _check_external_geographic(session: AsyncSession, group: DeputyGroup, mandate_id: uuid.UUID) -> None:
    other = await repo.external_geographic_group(session, mandate_id, exclude_group=group.id)
    if other is not None:
        (ref,) = await external_refs([mandate_id])
        raise Conflict(
            f"每名代表只能编入一个代表小组:{ref.name}(已在“{other.name}”)。请先将其从原小组移出",
            code="already_in_geographic_group",
        )


async def add_external_member(
    session: AsyncSession, tenant: TenantRef, group: DeputyGroup, mandate_id: uuid.UUID
) -> GroupMembership:
    """A deputy recorded by another office and organised in this territory joins the group."""
    entry = await elsewhere_entry(tenant, mandate_id)
    if await repo.external_membership(session, group.id, mandate_id):
        raise Conflict(f"{entry.person_name}已是{group.name}成员", code="already_member")
    if group.kind == "geographic":
        await _check_external_geographic(session, group, mandate_id)
    membership = GroupMembership(group_id=group.id, group_kind=group.kind, directory_mandate_id=mandate_id)
    session.add(membership)
    await flush(session)
    return membership


async def remove_external_member(session: AsyncSession, group: DeputyGroup, mandate_id: uuid.UUID) -> None:
    await delete_found(
        session,
        await repo.external_membership(session, group.id, mandate_id),
        NotFound("该代表不是本小组成员", code="group_member_not_found"),
    )
