"""People of an office for the duty tests: staff, a viewer, a committee member and deputies who sign in,
each deputy a person with a live county mandate, all in one deputy group."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update

from renda.modules.deputies.models import Person
from renda.modules.organisation.models import DeputyGroup, GroupMembership
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import Caller, make_caller
from tests.modules.organisation.support import add_persons, fresh_term

ACTOR = "system:test:履职"


def unique(label: str) -> str:
    return f"{label}{uuid.uuid4().hex[:6]}"


@dataclass
class DutyOffice:
    code: str
    term_id: uuid.UUID
    staff: Caller
    viewer: Caller
    committee: Caller
    deputies: list[Caller]  # each signs in as the person at the same index of `persons`
    persons: list[uuid.UUID]
    group_id: uuid.UUID

    @property
    def deputy(self) -> Caller:
        return self.deputies[0]

    @property
    def person(self) -> uuid.UUID:
        return self.persons[0]


async def duty_office(
    database, code: str, place: str, deputies: int = 3, *, term_id: uuid.UUID | None = None
) -> DutyOffice:
    """Fresh people in the office (so tests sharing an office do not see each other's deputies in their
    own group): staff, a viewer, a committee member, and `deputies` deputies in a new group; their
    mandates in `term_id`, or a fresh term."""
    term_id = term_id or await fresh_term(code)
    tenant = await load_tenant(code)
    staff = await make_caller(database, f"{place}工作人员", {code: ["staff"]})
    viewer = await make_caller(database, f"{place}只读用户", {code: ["viewer"]})
    committee = await make_caller(database, f"{place}常委会组成人员", {code: ["committee_member"]})
    callers = [await make_caller(database, f"{place}代表{i}", {code: ["deputy"]}) for i in range(deputies)]
    names = [unique(f"{place}代表{i}") for i in range(deputies)]
    persons = await add_persons(code, *names, level="county", term_id=term_id)
    async with tenant_session(tenant, actor=ACTOR) as session:
        for person, caller in zip(persons, callers, strict=True):
            await session.execute(update(Person).where(Person.id == person).values(user_id=caller.user_id))
        group = DeputyGroup(kind="geographic", name=unique(f"{place}代表小组"), township_code=f"{code}100")
        session.add(group)
        await session.flush()
        session.add_all(GroupMembership(group_id=group.id, group_kind="geographic", person_id=p) for p in persons)
        await session.commit()
        group_id = group.id
    return DutyOffice(code, term_id, staff, viewer, committee, callers, persons, group_id)


async def person_name(code: str, person_id: uuid.UUID) -> str:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        return (await session.execute(select(Person.name).where(Person.id == person_id))).scalar_one()
