"""Special committees and working commissions, and their members."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.modules.deputies.models import Person
from renda.modules.organisation import repository as repo
from renda.modules.organisation.common import BODY_ROLE_LABELS, clean_name, flush, optional_text, sent_fields
from renda.modules.organisation.models import (
    BODY_KINDS,
    BODY_MEMBER_KINDS,
    COMMITTEE_POSITIONS,
    Body,
    BodyMember,
    CommitteeMember,
)
from renda.modules.organisation.refs import find_person, person_refs
from renda.modules.organisation.schemas import (
    BodyDetail,
    BodyIn,
    BodyMemberIn,
    BodyMemberOut,
    BodyMemberPatch,
    BodyOut,
    BodyPatch,
    PersonRef,
)


# --- special committees and working commissions ---------------------------------------------------
def _body_out(body: Body, count: int) -> BodyOut:
    return BodyOut(body.id, body.kind, BODY_KINDS[body.kind], body.name, body.description, count)


async def list_bodies(session: AsyncSession) -> list[BodyOut]:
    return [_body_out(body, n) for body, n in await repo.bodies_with_counts(session)]


async def get_body(session: AsyncSession, body_id: uuid.UUID) -> Body:
    body = await session.get(Body, body_id)
    if body is None:
        raise NotFound("委员会不存在", code="body_not_found")
    return body


def _body_member_out(body: Body, m: BodyMember, c: CommitteeMember | None, p: Person | None) -> BodyMemberOut:
    kind = "committee_member" if c else "deputy" if p else "staff"
    name = c.name if c else p.name if p else m.name or ""
    position = COMMITTEE_POSITIONS[c.position] if c else None
    role_label = BODY_ROLE_LABELS[body.kind][m.role]
    return BodyMemberOut(
        m.id, kind, BODY_MEMBER_KINDS[kind], m.committee_member_id, m.person_id, name, position, m.role, role_label
    )


async def body_detail(session: AsyncSession, body: Body) -> BodyDetail:
    rows = await repo.body_members(session, body.id)
    members = [_body_member_out(body, m, c, p) for m, c, p in rows]
    return BodyDetail(**msgspec.structs.asdict(_body_out(body, len(members))), members=members)


async def create_body(session: AsyncSession, data: BodyIn) -> Body:
    body = Body(kind=data.kind, name=clean_name(data.name, "名称"), description=optional_text(data.description))
    session.add(body)
    await flush(session)
    return body


async def update_body(session: AsyncSession, body: Body, patch: BodyPatch) -> Body:
    changes = sent_fields(patch)
    if "name" in changes:
        body.name = clean_name(changes["name"], "名称")
    if "kind" in changes:
        body.kind = changes["kind"]
    if "description" in changes:
        body.description = optional_text(changes["description"])
    await flush(session)
    return body


async def delete_body(session: AsyncSession, body: Body) -> None:
    await session.delete(body)
    await flush(session)


async def _check_body_chair(session: AsyncSession, body: Body, role: str, body_member_id: uuid.UUID | None) -> None:
    if role == "chair" and await repo.body_chair(session, body.id, exclude=body_member_id):
        label = BODY_ROLE_LABELS[body.kind]["chair"]
        raise Conflict(f"{body.name}已有{label}", code="body_chair_taken")


async def add_body_member(session: AsyncSession, body: Body, data: BodyMemberIn) -> BodyMember:
    """Add a standing-committee member, a deputy of this office, or a named person (exactly one)."""
    given = [v for v in (data.committee_member_id, data.person_id, data.name) if v is not None]
    if len(given) != 1:
        raise InvalidInput("请选择一名常委会组成人员或代表,或填写一名工作人员的姓名(只能选其一)", code="invalid_member")
    if data.committee_member_id is not None:
        member = await session.get(CommitteeMember, data.committee_member_id)
        if member is None:
            raise InvalidInput("所选常委会组成人员不存在", code="unknown_committee_member")
        if member.ended_on is not None:
            raise InvalidInput(f"{member.name}已离任,不能加入委员会", code="committee_member_ended")
        if await repo.body_member(session, body.id, member.id):
            raise Conflict(f"{member.name}已是{body.name}成员", code="already_member")
        row = BodyMember(body_id=body.id, committee_member_id=member.id, role=data.role)
    elif data.person_id is not None:
        person = await find_person(session, data.person_id)
        if await repo.body_deputy(session, body.id, person.id):
            raise Conflict(f"{person.name}已是{body.name}成员", code="already_member")
        row = BodyMember(body_id=body.id, person_id=person.id, role=data.role)
    else:
        row = BodyMember(body_id=body.id, name=clean_name(data.name or "", "姓名"), role=data.role)
    await _check_body_chair(session, body, data.role, None)
    session.add(row)
    await flush(session)
    return row


async def _body_member(session: AsyncSession, body: Body, committee_member_id: uuid.UUID) -> BodyMember:
    row = await repo.body_member(session, body.id, committee_member_id)
    if row is None:
        raise NotFound("该组成人员不是本委员会成员", code="body_member_not_found")
    return row


async def get_body_member(session: AsyncSession, body: Body, body_member_id: uuid.UUID) -> BodyMember:
    row = await repo.body_member_by_id(session, body.id, body_member_id)
    if row is None:
        raise NotFound("该人员不是本委员会成员", code="body_member_not_found")
    return row


async def _set_body_member_role(session: AsyncSession, body: Body, row: BodyMember, role: str) -> BodyMember:
    await _check_body_chair(session, body, role, row.id)
    row.role = role
    await flush(session)
    return row


async def update_body_member(
    session: AsyncSession, body: Body, committee_member_id: uuid.UUID, patch: BodyMemberPatch
) -> BodyMember:
    row = await _body_member(session, body, committee_member_id)
    return await _set_body_member_role(session, body, row, patch.role)


async def update_body_member_by_id(
    session: AsyncSession, body: Body, body_member_id: uuid.UUID, patch: BodyMemberPatch
) -> BodyMember:
    row = await get_body_member(session, body, body_member_id)
    return await _set_body_member_role(session, body, row, patch.role)


async def remove_body_member(session: AsyncSession, body: Body, committee_member_id: uuid.UUID) -> None:
    await session.delete(await _body_member(session, body, committee_member_id))
    await flush(session)


async def remove_body_member_by_id(session: AsyncSession, body: Body, body_member_id: uuid.UUID) -> None:
    await session.delete(await get_body_member(session, body, body_member_id))
    await flush(session)


async def body_deputy_candidates(session: AsyncSession, body: Body, q: str | None) -> list[PersonRef]:
    """Deputies of this office's register who are not yet members of the body."""
    return await person_refs(session, await repo.search_persons(session, q, exclude=repo.body_deputy_ids(body.id)))
