"""What other modules use of the handling-unit register (承办单位): the units, who answers for them,
and the staff's changes to both. Callers decide who may change the register (`manage`); a unit that
has ever been assigned work cannot be deleted (the assigning tables' foreign keys restrict it) and is
deactivated instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from renda.core.permissions import Role
from renda.modules.accounts import service as accounts
from renda.modules.members import service as members
from renda.modules.units.models import HandlingUnit, HandlingUnitUser
from renda.modules.units.schemas import UnitIn, UnitPatch, UnitUserIn, UnitUserOut
from renda.tenants.scoping import TenantRef

__all__ = [
    "HandlingUnit",
    "UnitIn",
    "UnitPatch",
    "UnitUserIn",
    "UnitUserOut",
    "add_unit_user",
    "create_unit",
    "delete_unit",
    "get_unit",
    "list_unit_rows",
    "remove_unit_user",
    "unit_candidates",
    "unit_ids_of_user",
    "unit_names",
    "unit_user_ids",
    "unit_users",
    "update_unit",
]


def _require(manage: bool) -> None:
    if not manage:
        raise PermissionDenied("只有代表工作人员可以维护承办单位", code="units_staff_only")


async def get_unit(session: AsyncSession, unit_id: uuid.UUID) -> HandlingUnit:
    unit = await session.get(HandlingUnit, unit_id)
    if unit is None:
        raise NotFound("承办单位不存在", code="unit_not_found")
    return unit


async def list_unit_rows(session: AsyncSession) -> list[HandlingUnit]:
    """Active units first, then by name."""
    query = select(HandlingUnit).order_by(HandlingUnit.is_active.desc(), HandlingUnit.name)
    return list((await session.execute(query)).scalars())


async def unit_names(session: AsyncSession, unit_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = list(set(unit_ids))
    if not wanted:
        return {}
    query = select(HandlingUnit.id, HandlingUnit.name).where(HandlingUnit.id.in_(wanted))
    return dict((await session.execute(query)).all())


async def unit_user_ids(session: AsyncSession, unit_id: uuid.UUID) -> list[uuid.UUID]:
    query = select(HandlingUnitUser.user_id).where(HandlingUnitUser.unit_id == unit_id)
    return list((await session.execute(query)).scalars())


async def unit_ids_of_user(session: AsyncSession, user_id: uuid.UUID | None) -> frozenset[uuid.UUID]:
    """The units a user answers for (none for a token or an unknown user)."""
    if user_id is None:
        return frozenset()
    query = select(HandlingUnitUser.unit_id).where(HandlingUnitUser.user_id == user_id)
    return frozenset((await session.execute(query)).scalars())


async def _user_names(user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    async with get_database().platform_session() as platform:
        found = await accounts.contacts_of(platform, wanted)
    return {user_id: found[user_id].display_name if user_id in found else "(已删除的用户)" for user_id in wanted}


async def unit_users(session: AsyncSession) -> dict[uuid.UUID, list[UnitUserOut]]:
    """Every unit's users, by name."""
    links = (await session.execute(select(HandlingUnitUser.unit_id, HandlingUnitUser.user_id))).all()
    names = await _user_names(user_id for _, user_id in links)
    found: dict[uuid.UUID, list[UnitUserOut]] = {}
    for unit_id, user_id in links:
        found.setdefault(unit_id, []).append(UnitUserOut(user_id, names[user_id]))
    for users in found.values():
        users.sort(key=lambda u: u.display_name)
    return found


def _clean(value: str | None, limit: int, what: str, field: str | None = None) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise InvalidInput(f"{what}不能超过 {limit} 个字", code="text_too_long", field=field)
    return text or None


def _unit_name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise InvalidInput("请填写承办单位名称", code="name_required", field="name")
    if len(name) > 100:
        raise InvalidInput("承办单位名称不能超过 100 个字", code="name_too_long", field="name")
    return name


async def _check_unit_name(session: AsyncSession, name: str, unit_id: uuid.UUID | None) -> None:
    query = select(HandlingUnit.id).where(HandlingUnit.name == name)
    if unit_id is not None:
        query = query.where(HandlingUnit.id != unit_id)
    if await session.scalar(query) is not None:
        raise Conflict(f"已有名为“{name}”的承办单位", code="duplicate_name", field="name")


async def create_unit(session: AsyncSession, manage: bool, data: UnitIn) -> HandlingUnit:
    _require(manage)
    name = _unit_name(data.name)
    await _check_unit_name(session, name, None)
    unit = HandlingUnit(
        name=name,
        contact_name=_clean(data.contact_name, 50, "联系人", "contact_name"),
        note=_clean(data.note, 200, "备注", "note"),
        is_active=True,
    )
    session.add(unit)
    await session.flush()
    return unit


async def update_unit(session: AsyncSession, manage: bool, unit: HandlingUnit, patch: UnitPatch) -> HandlingUnit:
    _require(manage)
    changes = {f: getattr(patch, f) for f in patch.__struct_fields__ if getattr(patch, f) is not msgspec.UNSET}
    if "name" in changes:
        changes["name"] = _unit_name(changes["name"])
        await _check_unit_name(session, changes["name"], unit.id)
    if "contact_name" in changes:
        changes["contact_name"] = _clean(changes["contact_name"], 50, "联系人", "contact_name")
    if "note" in changes:
        changes["note"] = _clean(changes["note"], 200, "备注", "note")
    for key, value in changes.items():
        setattr(unit, key, value)
    await session.flush()
    return unit


async def delete_unit(session: AsyncSession, manage: bool, unit: HandlingUnit) -> None:
    """Delete a unit that was never assigned anything: the loops' foreign keys refuse the others, inside
    a savepoint so the request's transaction goes on to answer the conflict."""
    _require(manage)
    try:
        async with session.begin_nested():
            await session.delete(unit)
            await session.flush()
    except IntegrityError:
        raise Conflict("该承办单位已有交办记录,不能删除;不再承办时请改为停用", code="unit_in_use") from None


async def unit_candidates(tenant: TenantRef) -> list[tuple[uuid.UUID, str]]:
    """Members of this office with the handling unit role: who can answer for a unit."""
    async with get_database().platform_session() as platform:
        return [
            (u.id, u.display_name)
            for m, u in await members.list_members(platform, tenant)
            if Role.HANDLING_UNIT in (m.roles or [])
        ]


async def add_unit_user(
    session: AsyncSession, manage: bool, tenant: TenantRef, unit: HandlingUnit, user_id: uuid.UUID
) -> None:
    _require(manage)
    if user_id not in dict(await unit_candidates(tenant)):
        raise InvalidInput("所选用户不是本机关“承办单位”角色的成员,请先在“成员与邀请”中邀请", code="invalid_unit_user")
    query = select(HandlingUnitUser.id).where(HandlingUnitUser.unit_id == unit.id, HandlingUnitUser.user_id == user_id)
    if await session.scalar(query) is not None:
        raise Conflict("该用户已是本承办单位的经办人", code="already_member")
    session.add(HandlingUnitUser(unit_id=unit.id, user_id=user_id))
    await session.flush()


async def remove_unit_user(session: AsyncSession, manage: bool, unit: HandlingUnit, user_id: uuid.UUID) -> None:
    _require(manage)
    query = select(HandlingUnitUser).where(HandlingUnitUser.unit_id == unit.id, HandlingUnitUser.user_id == user_id)
    link = (await session.execute(query)).scalar_one_or_none()
    if link is None:
        raise NotFound("该用户不是本承办单位的经办人", code="unit_user_not_found")
    await session.delete(link)
    await session.flush()
