"""The handling units as the opinions loop shows them: the shared register (units module) with how many
opinions each unit holds and how many of those are overdue. Staff change the register here through the
opinions' own `Viewer`."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.timezone import local_today
from renda.modules.opinions.common import Viewer, overdue_clause, require_manage
from renda.modules.opinions.models import Opinion
from renda.modules.opinions.schemas import UnitOut
from renda.modules.units import service as units
from renda.modules.units.service import HandlingUnit, UnitIn, UnitPatch
from renda.tenants.scoping import TenantRef

get_unit = units.get_unit
unit_user_ids = units.unit_user_ids
unit_candidates = units.unit_candidates


async def list_units(session: AsyncSession, today: date | None = None) -> list[UnitOut]:
    today = today or local_today()
    rows = await units.list_unit_rows(session)
    users = await units.unit_users(session)
    open_query = select(Opinion.unit_id, func.count()).where(Opinion.status == "assigned").group_by(Opinion.unit_id)
    overdue_query = select(Opinion.unit_id, func.count()).where(overdue_clause(today)).group_by(Opinion.unit_id)
    counts = dict((await session.execute(open_query)).all())
    overdue = dict((await session.execute(overdue_query)).all())
    return [
        UnitOut(
            id=u.id,
            name=u.name,
            contact_name=u.contact_name,
            note=u.note,
            is_active=u.is_active,
            users=users.get(u.id, []),
            open_count=counts.get(u.id, 0),
            overdue_count=overdue.get(u.id, 0),
        )
        for u in rows
    ]


async def unit_out(session: AsyncSession, unit: HandlingUnit) -> UnitOut:
    return next(u for u in await list_units(session) if u.id == unit.id)


async def create_unit(session: AsyncSession, viewer: Viewer, data: UnitIn) -> HandlingUnit:
    require_manage(viewer)
    return await units.create_unit(session, True, data)


async def update_unit(session: AsyncSession, viewer: Viewer, unit: HandlingUnit, patch: UnitPatch) -> HandlingUnit:
    require_manage(viewer)
    return await units.update_unit(session, True, unit, patch)


async def delete_unit(session: AsyncSession, viewer: Viewer, unit: HandlingUnit) -> None:
    require_manage(viewer)
    await units.delete_unit(session, True, unit)


async def add_unit_user(
    session: AsyncSession, viewer: Viewer, tenant: TenantRef, unit: HandlingUnit, user_id: uuid.UUID
) -> None:
    require_manage(viewer)
    await units.add_unit_user(session, True, tenant, unit, user_id)


async def remove_unit_user(session: AsyncSession, viewer: Viewer, unit: HandlingUnit, user_id: uuid.UUID) -> None:
    require_manage(viewer)
    await units.remove_unit_user(session, True, unit, user_id)
