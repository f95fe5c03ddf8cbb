"""The handling units (承办单位) and the users who answer for them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.permissions import Role
from renda.core.timezone import local_today
from renda.modules.accounts import service as accounts
from renda.modules.members import service as members
from renda.modules.opinions.common import Viewer, clean_note, overdue_clause, require_manage
from renda.modules.opinions.models import HandlingUnit, HandlingUnitUser, Opinion
from renda.modules.opinions.schemas import UnitIn, UnitOut, UnitPatch, UnitUserOut
from renda.tenants.scoping import TenantRef


async def unit_user_ids(session: AsyncSession, unit_id: uuid.UUID) -> list[uuid.UUID]:
    query = select(HandlingUnitUser.user_id).where(HandlingUnitUser.unit_id == unit_id)
    return list((await session.execute(query)).scalars())


async def get_unit(session: AsyncSession, unit_id: uuid.UUID) -> HandlingUnit:
    unit = await session.get(HandlingUnit, unit_id)
    if unit is None:
        raise NotFound("承办单位不存在", code="unit_not_found")
    return unit


async def _user_names(user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    async with get_database().platform_session() as platform:
        found = await accounts.contacts_of(platform, wanted)
    return {user_id: found[user_id].display_name if user_id in found else "(已删除的用户)" for user_id in wanted}


async def list_units(session: AsyncSession, today: date | None = None) -> list[UnitOut]:
    today = today or local_today()
    units = list(
        (
            await session.execute(select(HandlingUnit).order_by(HandlingUnit.is_active.desc(), HandlingUnit.name))
        ).scalars()
    )
    links = (await session.execute(select(HandlingUnitUser.unit_id, HandlingUnitUser.user_id))).all()
    names = await _user_names(user_id for _, user_id in links)
    counts = dict(
        (
            await session.execute(
                select(Opinion.unit_id, func.count()).where(Opinion.status == "assigned").group_by(Opinion.unit_id)
            )
        ).all()
    )
    overdue = dict(
        (
            await session.execute(
                select(Opinion.unit_id, func.count()).where(overdue_clause(today)).group_by(Opinion.unit_id)
            )
        ).all()
    )
    return [
        UnitOut(
            id=u.id,
            name=u.name,
            contact_name=u.contact_name,
            note=u.note,
            is_active=u.is_active,
            users=sorted(
                (UnitUserOut(user_id, names[user_id]) for unit_id, user_id in links if unit_id == u.id),
                key=lambda x: x.display_name,
            ),
            open_count=counts.get(u.id, 0),
            overdue_count=overdue.get(u.id, 0),
        )
        for u in units
    ]


async def unit_out(session: AsyncSession, unit: HandlingUnit) -> UnitOut:
    return next(u for u in await list_units(session) if u.id == unit.id)


def _unit_name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise InvalidInput("请填写承办单位名称", code="name_required")
    if len(name) > 100:
        raise InvalidInput("承办单位名称不能超过 100 个字", code="name_too_long")
    return name


async def _check_unit_name(session: AsyncSession, name: str, unit_id: uuid.UUID | None) -> None:
    query = select(HandlingUnit.id).where(HandlingUnit.name == name)
    if unit_id is not None:
        query = query.where(HandlingUnit.id != unit_id)
    if await session.scalar(query) is not None:
        raise Conflict(f"已有名为“{name}”的承办单位", code="duplicate_name")


async def create_unit(session: AsyncSession, viewer: Viewer, data: UnitIn) -> HandlingUnit:
    require_manage(viewer)
    name = _unit_name(data.name)
    await _check_unit_name(session, name, None)
    unit = HandlingUnit(
        name=name, contact_name=clean_note(data.contact_name), note=clean_note(data.note), is_active=True
    )
    session.add(unit)
    await session.flush()
    return unit


async def update_unit(session: AsyncSession, viewer: Viewer, unit: HandlingUnit, patch: UnitPatch) -> HandlingUnit:
    require_manage(viewer)
    changes = {
        k: v for k, v in {f: getattr(patch, f) for f in patch.__struct_fields__}.items() if v is not msgspec.UNSET
    }
    if "name" in changes:
        changes["name"] = _unit_name(changes["name"])
        await _check_unit_name(session, changes["name"], unit.id)
    for key in ("contact_name", "note"):
        if key in changes:
            changes[key] = clean_note(changes[key])
    for key, value in changes.items():
        setattr(unit, key, value)
    await session.flush()
    return unit


async def delete_unit(session: AsyncSession, viewer: Viewer, unit: HandlingUnit) -> None:
    require_manage(viewer)
    if await session.scalar(select(Opinion.id).where(Opinion.unit_id == unit.id).limit(1)) is not None:
        raise Conflict("该承办单位已有交办记录,不能删除;不再承办时请改为停用", code="unit_in_use")
    await session.delete(unit)
    await session.flush()


async def unit_candidates(tenant: TenantRef) -> list[tuple[uuid.UUID, str]]:
    """Members of this office with the handling unit role: who can answer for a unit."""
    async with get_database().platform_session() as platform:
        return [
            (u.id, u.display_name)
            for m, u in await members.list_members(platform, tenant)
            if Role.HANDLING_UNIT in (m.roles or [])
        ]


async def add_unit_user(
    session: AsyncSession, viewer: Viewer, tenant: TenantRef, unit: HandlingUnit, user_id: uuid.UUID
) -> None:
    require_manage(viewer)
    if user_id not in dict(await unit_candidates(tenant)):
        raise InvalidInput("所选用户不是本机关“承办单位”角色的成员,请先在“成员与邀请”中邀请", code="invalid_unit_user")
    query = select(HandlingUnitUser.id).where(HandlingUnitUser.unit_id == unit.id, HandlingUnitUser.user_id == user_id)
    if await session.scalar(query) is not None:
        raise Conflict("该用户已是本承办单位的经办人", code="already_member")
    session.add(HandlingUnitUser(unit_id=unit.id, user_id=user_id))
    await session.flush()


async def remove_unit_user(session: AsyncSession, viewer: Viewer, unit: HandlingUnit, user_id: uuid.UUID) -> None:
    require_manage(viewer)
    query = select(HandlingUnitUser).where(HandlingUnitUser.unit_id == unit.id, HandlingUnitUser.user_id == user_id)
    link = (await session.execute(query)).scalar_one_or_none()
    if link is None:
        raise NotFound("该用户不是本承办单位的经办人", code="unit_user_not_found")
    await session.delete(link)
    await session.flush()
