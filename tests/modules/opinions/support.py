"""People, units and opinions for the opinion tests, made through the services."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select, update

from renda.modules.deputies.models import Person
from renda.modules.opinions.common import SYSTEM_VIEWER
from renda.modules.opinions.intake import intake as record_intake
from renda.modules.opinions.listing import steps_of
from renda.modules.opinions.models import Opinion, OpinionStep
from renda.modules.opinions.schemas import UnitIn
from renda.modules.opinions.units import add_unit_user, create_unit
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import Caller, make_caller
from tests.modules.organisation.support import add_persons

ACTOR = "system:test:群众意见"


def unique(label: str) -> str:
    return f"{label}{uuid.uuid4().hex[:6]}"


@dataclass
class Office:
    code: str
    staff: Caller
    unit_user: Caller
    other_unit_user: Caller
    deputy: Caller
    deputy_person: uuid.UUID
    viewer: Caller
    committee: Caller
    unit_id: uuid.UUID
    other_unit_id: uuid.UUID


async def office(database, code: str, place: str) -> Office:
    """Staff, two handling units each with one user, a deputy who signs in, a viewer, a committee member."""
    staff = await make_caller(database, f"{place}工作人员", {code: ["staff"]})
    unit_user = await make_caller(database, f"{place}交通局经办人", {code: ["handling_unit"]})
    other_unit_user = await make_caller(database, f"{place}教育局经办人", {code: ["handling_unit"]})
    deputy = await make_caller(database, f"{place}代表账号", {code: ["deputy"]})
    viewer = await make_caller(database, f"{place}只读用户", {code: ["viewer"]})
    committee = await make_caller(database, f"{place}常委会组成人员", {code: ["committee_member"]})
    [person] = await add_persons(code, f"{place}代表{uuid.uuid4().hex[:4]}")
    tenant = await load_tenant(code)
    async with tenant_session(tenant, actor=ACTOR) as session:
        await session.execute(update(Person).where(Person.id == person).values(user_id=deputy.user_id))
        units = []
        for name, user in ((unique(f"{place}交通运输局"), unit_user), (unique(f"{place}教育局"), other_unit_user)):
            unit = await create_unit(session, SYSTEM_VIEWER, UnitIn(name=name))
            await add_unit_user(session, SYSTEM_VIEWER, tenant, unit, user.user_id)
            units.append(unit.id)
        await session.commit()
    return Office(code, staff, unit_user, other_unit_user, deputy, person, viewer, committee, *units)


async def intake(code: str, content: str, **fields) -> Opinion:
    tenant = await load_tenant(code)
    async with tenant_session(tenant, actor=ACTOR) as session:
        opinion = await record_intake(session, tenant, source=fields.pop("source", "staff"), content=content, **fields)
        await session.commit()
        return opinion


async def get(code: str, opinion_id: uuid.UUID) -> Opinion:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        return await session.get_one(Opinion, opinion_id)


async def steps(code: str, opinion_id: uuid.UUID) -> list[OpinionStep]:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        return await steps_of(session, opinion_id)


async def count_opinions(code: str) -> int:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        return len((await session.execute(select(Opinion.id))).all())


async def set_deadline(code: str, opinion_id: uuid.UUID, deadline) -> None:
    """Time passing: the deadline of an assigned opinion is moved into the past."""
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        await session.execute(update(Opinion).where(Opinion.id == opinion_id).values(deadline=deadline))
        await session.commit()


async def wait_for(predicate: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


LINK = re.compile(r"https?://[^\s]+/p/(\d+)/opinions/rate/([A-Za-z0-9_-]+)")


def rating_link(text: str) -> tuple[str, str]:
    """(office, token) of the rating link in an SMS text."""
    found = LINK.search(text)
    assert found, text
    return found.group(1), found.group(2)


HTML = {"Accept": "text/html"}
