"""The rules of an office's organisation: its standing committee per term, its special committees and
working commissions, its deputy groups and its stations (家站室).

Every check that has a database constraint behind it is also made here first, so the caller gets a
message naming the person or group concerned; the constraint still decides under concurrent writes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import date
from typing import Any, TypeVar

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.pagination import paginate
from renda.modules.accounts.service import memberships_of
from renda.modules.deputies import directory
from renda.modules.deputies.models import LEVEL_LABELS, DirectoryEntry, MandateStatus, Person, Term
from renda.modules.organisation import repository as repo
from renda.modules.organisation.models import (
    BODY_KINDS,
    BODY_MEMBER_KINDS,
    COMMITTEE_POSITIONS,
    GROUP_KINDS,
    STATION_KINDS,
    Body,
    BodyMember,
    CommitteeMember,
    DeputyGroup,
    GroupMembership,
    Station,
    StationAssignment,
)
from renda.modules.organisation.schemas import (
    BodyDetail,
    BodyIn,
    BodyMemberIn,
    BodyMemberOut,
    BodyMemberPatch,
    BodyOut,
    BodyPatch,
    BodyRoleOut,
    CommitteeMemberIn,
    CommitteeMemberOut,
    CommitteeMemberPatch,
    CommitteeOut,
    ExternalDeputyRef,
    GroupDetail,
    GroupFilter,
    GroupIn,
    GroupOut,
    GroupPage,
    GroupPatch,
    PersonOrganisation,
    PersonRef,
    PlaceOut,
    StationDetail,
    StationFilter,
    StationIn,
    StationOut,
    StationPage,
    StationPatch,
    TermOut,
)
from renda.tenants.models import Tenant
from renda.tenants.scoping import TenantRef

BODY_ROLE_LABELS = {
    "special_committee": {"chair": "主任委员", "vice_chair": "副主任委员", "member": "委员"},
    "working_commission": {"chair": "主任", "vice_chair": "副主任", "member": "委员"},
}
GENDER_LABELS = {"male": "男", "female": "女"}
COUNCIL_POSITIONS = frozenset({"chair", "vice_chair", "secretary_general"})
F = TypeVar("F", GroupFilter, StationFilter)

# Unique constraints and indexes → what the caller is told when one of them refuses a write.
CONFLICTS: dict[str, tuple[str, str]] = {
    "uq_committee_members_one_chair": ("second_chair", "本届常委会已有在任主任;如需更换,请先为原主任填写离任日期"),
    "uq_group_memberships_one_geographic_external": (
        "already_in_geographic_group",
        "该代表已编入其他代表小组,每名代表只能编入一个代表小组",
    ),
    "uq_group_memberships_group_external": ("already_member", "该代表已是本小组成员"),
    "uq_station_assignments_station_external": ("already_assigned", "该代表已进驻本站点"),
    "uq_group_memberships_one_geographic": (
        "already_in_geographic_group",
        "该代表已编入其他代表小组,每名代表只能编入一个代表小组",
    ),
    "uq_group_memberships_group_id": ("already_member", "该代表已是本小组成员"),
    "uq_station_assignments_station_id": ("already_assigned", "该代表已进驻本站点"),
    "uq_body_members_body_id": ("already_member", "该组成人员已是本委员会成员"),
    "uq_body_members_body_person": ("already_member", "该代表已是本委员会成员"),
    "uq_bodies_name": ("duplicate_name", "已有同名的委员会"),
    "uq_deputy_groups_name": ("duplicate_name", "已有同名的代表小组"),
    "uq_stations_name": ("duplicate_name", "已有同名的家站室"),
}


async def _delete_found(session: AsyncSession, row: Any, missing: NotFound) -> None:
    """Delete a looked-up row, or say it is not there."""
    if row is None:
        raise missing
    await session.delete(row)
    await _flush(session)


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        cause = getattr(exc.orig, "__cause__", None)
        name = getattr(cause, "constraint_name", None) or next((n for n in CONFLICTS if n in str(exc.orig)), None)
        if name in CONFLICTS:
            code, message = CONFLICTS[name]
            raise Conflict(message, code=code) from exc
        raise


def _changes(patch: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}


def _clean_name(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"请填写{what}", code="name_required")
    return value


def _optional_text(value: str | None) -> str | None:
    return (value or "").strip() or None


def reception_label(days: Iterable[int]) -> str:
    days = list(days)
    if not days:
        return "未设固定接待日"
    label = "每月" + "、".join(f"{d}日" for d in days)
    return label + "(逢十接待日)" if days == [10, 20, 30] else label


# --- references: persons, users, townships, terms ---------------------------------------------------
async def _person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise InvalidInput("所选代表不在本机关的代表名册中", code="unknown_person")
    return person


async def _check_user(tenant: TenantRef, user_id: uuid.UUID) -> None:
    """The linked user must be a member of this office: the contact assignments act through them."""
    async with get_database().platform_session() as platform:
        codes = {m.tenant_code for m in await memberships_of(platform, user_id)}
    if tenant.code not in codes:
        raise InvalidInput("所选用户不是本机关的成员,请先在“成员与邀请”中添加", code="invalid_user")


def check_township(tenant: TenantRef, code: str | None) -> str | None:
    """A township (乡镇、街道) code inside the office's territory, or nothing."""
    if not code:
        return None
    prefix = {"city": tenant.code[:4], "county": tenant.code[:6]}.get(tenant.level, tenant.code)
    if len(code) != 9 or not code.isdigit() or not code.startswith(prefix) or code.endswith("000"):
        raise InvalidInput(f"乡镇(街道)代码“{code}”不是本机关辖区内的 9 位乡镇代码", code="invalid_township")
    return code


async def _own_term(session: AsyncSession, tenant: TenantRef, term_id: uuid.UUID) -> Term:
    term = next((t for t in await repo.own_terms(session, tenant.code) if t.id == term_id), None)
    if term is None:
        raise InvalidInput("届次不存在,或不是本级人民代表大会的届次", code="invalid_term")
    return term


def _check_dates(term: Term, started_on: date, ended_on: date | None) -> None:
    if started_on < term.starts_on or (term.ends_on and started_on > term.ends_on):
        raise InvalidInput(f"任职日期应在第{term.number}届任期之内", code="invalid_dates")
    if ended_on and (ended_on < started_on or (term.ends_on and ended_on > term.ends_on)):
        raise InvalidInput("离任日期不能早于任职日期,也不能晚于本届任期结束", code="invalid_dates")


async def person_refs(session: AsyncSession, persons: Iterable[Person]) -> list[PersonRef]:
    persons = list(persons)
    levels = await repo.live_levels(session, [p.id for p in persons])
    return [
        PersonRef(
            p.id,
            p.name,
            GENDER_LABELS.get(p.gender, p.gender),
            levels.get(p.id, []),
            "、".join(LEVEL_LABELS[level] for level in levels.get(p.id, [])) or "无在任代表资格",
        )
        for p in persons
    ]


async def search_candidates(
    session: AsyncSession, q: str | None, *, group: DeputyGroup | None = None, station: Station | None = None
) -> list[PersonRef]:
    """Deputies to pick from when adding to a group or station: those not already in it."""
    exclude = repo.group_member_ids(group.id) if group else repo.station_deputy_ids(station.id) if station else None
    return await person_refs(session, await repo.search_persons(session, q, exclude=exclude))


# --- deputies recorded by other offices (read through the platform's mandate directory) -----------
async def _directory_entries(mandate_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[DirectoryEntry, str]]:
    """Directory entries by mandate id, with the name of the recording office."""
    wanted = set(mandate_ids)
    if not wanted:
        return {}
    query = (
        select(DirectoryEntry, Tenant.name)
        .join(Tenant, Tenant.code == DirectoryEntry.recorded_by, isouter=True)
        .where(DirectoryEntry.mandate_id.in_(wanted))
    )
    async with get_database().platform_session() as platform:
        return {entry.mandate_id: (entry, name or entry.recorded_by) for entry, name in (await platform.execute(query))}


def _external_ref(mandate_id: uuid.UUID, found: dict[uuid.UUID, tuple[DirectoryEntry, str]]) -> ExternalDeputyRef:
    if mandate_id not in found:  # withdrawn from the directory since
        return ExternalDeputyRef(mandate_id, "(已不在代表名录中)", "", "", "", "", False)
    entry, office = found[mandate_id]
    return ExternalDeputyRef(
        mandate_id,
        entry.person_name,
        entry.level,
        LEVEL_LABELS.get(entry.level, entry.level),
        entry.recorded_by,
        office,
        entry.status != MandateStatus.ENDED,
    )


async def external_refs(mandate_ids: Iterable[uuid.UUID]) -> list[ExternalDeputyRef]:
    mandate_ids = list(mandate_ids)
    found = await _directory_entries(mandate_ids)
    refs = [_external_ref(m, found) for m in mandate_ids]
    pinyin = {m: found[m][0].name_pinyin for m in found}
    return sorted(refs, key=lambda r: (pinyin.get(r.mandate_id, "~"), str(r.mandate_id)))


async def _with_external_names(
    names: dict[uuid.UUID, list[str]], external: dict[uuid.UUID, list[uuid.UUID]]
) -> dict[uuid.UUID, list[str]]:
    """The names of the office's own deputies per group or station, then those recorded elsewhere."""
    refs = {r.mandate_id: r for r in await external_refs(m for ids in external.values() for m in ids)}
    merged = dict(names)
    for key, ids in external.items():
        merged[key] = [*names.get(key, []), *(f"{refs[m].name}(由{refs[m].recorded_by_name}登记)" for m in ids)]
    return merged


async def group_member_names(session: AsyncSession, group_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    names = await repo.group_member_names(session, group_ids)
    return await _with_external_names(names, await repo.group_external_ids(session, group_ids))


async def station_deputy_names(session: AsyncSession, station_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    names = await repo.station_deputy_names(session, station_ids)
    return await _with_external_names(names, await repo.station_external_ids(session, station_ids))


async def elsewhere_entry(tenant: TenantRef, mandate_id: uuid.UUID) -> DirectoryEntry:
    """A live mandate another office records and organises in this office's territory."""
    query = select(DirectoryEntry).where(
        DirectoryEntry.mandate_id == mandate_id,
        directory.in_territory(tenant),
        directory.live(),
        DirectoryEntry.recorded_by != tenant.code,
    )
    async with get_database().platform_session() as platform:
        entry = (await platform.execute(query)).scalar_one_or_none()
    if entry is None:
        raise InvalidInput("所选代表不是由其他机关登记、编在本辖区的在任代表", code="not_in_territory")
    return entry


async def search_elsewhere(
    tenant: TenantRef, q: str | None, exclude: Iterable[uuid.UUID] = ()
) -> list[directory.ElsewhereEntry]:
    """Deputies recorded elsewhere and organised here, to pick from (those already added left out)."""
    if not q or not q.strip():
        return []
    excluded = set(exclude)
    async with get_database().platform_session() as platform:
        found, _ = await directory.recorded_elsewhere(platform, tenant, q=q, page_size=50)
    return [e for e in found if e.entry.mandate_id not in excluded][:20]


# --- the standing committee -----------------------------------------------------------------------
def term_out(term: Term) -> TermOut:
    return TermOut(term.id, term.number, term.starts_on, term.ends_on, term.is_current)


async def own_terms(session: AsyncSession, tenant: TenantRef) -> list[TermOut]:
    return [term_out(t) for t in await repo.own_terms(session, tenant.code)]


async def _members_out(session: AsyncSession, members: list[CommitteeMember]) -> list[CommitteeMemberOut]:
    terms = {t.id: t for t in [await session.get(Term, tid) for tid in {m.term_id for m in members}] if t}
    roles = await repo.body_roles(session, [m.id for m in members])
    return [
        CommitteeMemberOut(
            m.id,
            m.term_id,
            terms[m.term_id].number,
            m.name,
            m.position,
            COMMITTEE_POSITIONS[m.position],
            m.on_council,
            m.person_id,
            m.user_id,
            m.started_on,
            m.ended_on,
            m.ended_on is None,
            [BodyRoleOut(b.id, b.name, bm.role, BODY_ROLE_LABELS[b.kind][bm.role]) for b, bm in roles.get(m.id, [])],
        )
        for m in members
    ]


async def committee_member_out(session: AsyncSession, member: CommitteeMember) -> CommitteeMemberOut:
    return (await _members_out(session, [member]))[0]


async def committee(session: AsyncSession, tenant: TenantRef, term_id: uuid.UUID | None = None) -> CommitteeOut:
    """The committee of one term; without a term, of the current one (else the latest)."""
    terms = await repo.own_terms(session, tenant.code)
    if term_id is not None:
        term = next((t for t in terms if t.id == term_id), None)
    else:
        term = next((t for t in terms if t.is_current), terms[0] if terms else None)
    if term is None:
        message = "届次不存在" if term_id else "尚未建立本级人民代表大会的届次,请先在代表名册中添加届次"
        raise NotFound(message, code="term_not_found")
    return CommitteeOut(term_out(term), await _members_out(session, await repo.committee_members(session, term.id)))


async def get_committee_member(session: AsyncSession, member_id: uuid.UUID) -> CommitteeMember:
    member = await session.get(CommitteeMember, member_id)
    if member is None:
        raise NotFound("常委会组成人员不存在", code="committee_member_not_found")
    return member


async def _check_committee(session: AsyncSession, member: CommitteeMember) -> None:
    """One serving chair per term; a deputy or a user appears at most once among the serving members."""
    if member.ended_on is not None:
        return
    checks = [
        ("position", "chair", "second_chair", "本届常委会已有在任主任{name};如需更换,请先为其填写离任日期"),
        ("person_id", member.person_id, "already_on_committee", "{name}已是本届常委会组成人员"),
        ("user_id", member.user_id, "user_already_linked", "该用户已关联到组成人员{name}"),
    ]
    with session.no_autoflush:  # the pending change must not reach the database before it is checked
        for column, value, code, message in checks:
            if value is None or getattr(member, column) != value:
                continue
            where = {column: value}
            other = await repo.serving_committee_member(session, member.term_id, exclude=member.id, **where)
            if other is not None:
                raise Conflict(message.format(name=other.name), code=code)


async def create_committee_member(session: AsyncSession, tenant: TenantRef, data: CommitteeMemberIn) -> CommitteeMember:
    term = await _own_term(session, tenant, data.term_id)
    person = await _person(session, data.person_id) if data.person_id else None
    name = _clean_name(data.name or (person.name if person else ""), "姓名,或选择一名代表")
    started_on = data.started_on or term.starts_on
    _check_dates(term, started_on, data.ended_on)
    if data.user_id:
        await _check_user(tenant, data.user_id)
    member = CommitteeMember(
        term_id=term.id,
        person_id=data.person_id,
        name=name,
        position=data.position,
        on_council=data.position in COUNCIL_POSITIONS if data.on_council is None else data.on_council,
        user_id=data.user_id,
        started_on=started_on,
        ended_on=data.ended_on,
    )
    await _check_committee(session, member)
    session.add(member)
    await _flush(session)
    return member


async def update_committee_member(
    session: AsyncSession, tenant: TenantRef, member: CommitteeMember, patch: CommitteeMemberPatch
) -> CommitteeMember:
    changes = _changes(patch)
    term = await session.get(Term, member.term_id)
    assert term is not None  # the foreign key keeps it
    if changes.get("person_id"):
        person = await _person(session, changes["person_id"])
        changes.setdefault("name", person.name)
    if "name" in changes:
        changes["name"] = _clean_name(changes["name"], "姓名")
    if changes.get("user_id"):
        await _check_user(tenant, changes["user_id"])
    _check_dates(term, changes.get("started_on", member.started_on), changes.get("ended_on", member.ended_on))
    with session.no_autoflush:
        for key, value in changes.items():
            setattr(member, key, value)
        await _check_committee(session, member)
    await _flush(session)
    return member


async def delete_committee_member(session: AsyncSession, member: CommitteeMember) -> None:
    await session.delete(member)
    await _flush(session)


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
    body = Body(kind=data.kind, name=_clean_name(data.name, "名称"), description=_optional_text(data.description))
    session.add(body)
    await _flush(session)
    return body


async def update_body(session: AsyncSession, body: Body, patch: BodyPatch) -> Body:
    changes = _changes(patch)
    if "name" in changes:
        body.name = _clean_name(changes["name"], "名称")
    if "kind" in changes:
        body.kind = changes["kind"]
    if "description" in changes:
        body.description = _optional_text(changes["description"])
    await _flush(session)
    return body


async def delete_body(session: AsyncSession, body: Body) -> None:
    await session.delete(body)
    await _flush(session)


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
        person = await _person(session, data.person_id)
        if await repo.body_deputy(session, body.id, person.id):
            raise Conflict(f"{person.name}已是{body.name}成员", code="already_member")
        row = BodyMember(body_id=body.id, person_id=person.id, role=data.role)
    else:
        row = BodyMember(body_id=body.id, name=_clean_name(data.name or "", "姓名"), role=data.role)
    await _check_body_chair(session, body, data.role, None)
    session.add(row)
    await _flush(session)
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
    await _flush(session)
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
    await _flush(session)


async def remove_body_member_by_id(session: AsyncSession, body: Body, body_member_id: uuid.UUID) -> None:
    await session.delete(await get_body_member(session, body, body_member_id))
    await _flush(session)


async def body_deputy_candidates(session: AsyncSession, body: Body, q: str | None) -> list[PersonRef]:
    """Deputies of this office's register who are not yet members of the body."""
    return await person_refs(session, await repo.search_persons(session, q, exclude=repo.body_deputy_ids(body.id)))


# --- deputy groups --------------------------------------------------------------------------------
async def _groups_out(session: AsyncSession, groups: list[DeputyGroup]) -> list[GroupOut]:
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
    return GroupPage(await _groups_out(session, result.items), result.total, result.page, result.page_size)


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
    (out,) = await _groups_out(session, [group])
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
    name, township_code = _clean_name(data.name, "小组名称"), check_township(tenant, data.township_code)
    group = DeputyGroup(kind=data.kind, name=name, township_code=township_code)
    leader = await _person(session, data.leader_person_id) if data.leader_person_id else None
    session.add(group)
    await _flush(session)
    if leader is not None:
        await _add_member(session, group, leader)
        group.leader_person_id = leader.id
        await _flush(session)
    return group


async def update_group(session: AsyncSession, tenant: TenantRef, group: DeputyGroup, patch: GroupPatch) -> DeputyGroup:
    changes = _changes(patch)
    if "name" in changes:
        group.name = _clean_name(changes["name"], "小组名称")
    if "township_code" in changes:
        group.township_code = check_township(tenant, changes["township_code"])
    await _flush(session)  # a taken name is a conflict here, not an error in the queries below
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
            leader = await _person(session, leader_id)
            if not await repo.group_membership(session, group.id, leader.id):
                await _add_member(session, group, leader)
        group.leader_person_id = leader_id
    await _flush(session)
    return group


async def delete_group(session: AsyncSession, group: DeputyGroup) -> None:
    await session.delete(group)
    await _flush(session)


async def add_group_member(session: AsyncSession, group: DeputyGroup, person_id: uuid.UUID) -> GroupMembership:
    membership = await _add_member(session, group, await _person(session, person_id))
    await _flush(session)
    return membership


async def remove_group_member(session: AsyncSession, group: DeputyGroup, person_id: uuid.UUID) -> None:
    membership = await repo.group_membership(session, group.id, person_id)
    if membership is None:
        raise NotFound("该代表不是本小组成员", code="group_member_not_found")
    if group.leader_person_id == person_id:
        group.leader_person_id = None  # a group is not led by someone outside it
    await session.delete(membership)
    await _flush(session)


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
    await _flush(session)
    return membership


async def remove_external_member(session: AsyncSession, group: DeputyGroup, mandate_id: uuid.UUID) -> None:
    await _delete_found(
        session,
        await repo.external_membership(session, group.id, mandate_id),
        NotFound("该代表不是本小组成员", code="group_member_not_found"),
    )


# --- stations -------------------------------------------------------------------------------------
def _station_out(station: Station, count: int) -> StationOut:
    days = list(station.reception_days or [])
    return StationOut(
        station.id,
        station.kind,
        STATION_KINDS[station.kind],
        station.name,
        station.address,
        station.township_code,
        days,
        reception_label(days),
        station.opening_rules,
        station.is_active,
        count,
    )


async def list_stations(
    session: AsyncSession, filters: StationFilter, page: int, page_size: int
) -> tuple[StationPage, dict[uuid.UUID, list[str]]]:
    """A page of stations, and the names of the deputies assigned to each."""
    result = await paginate(session, repo.stations_query(filters), page, page_size)
    names = await station_deputy_names(session, [s.id for s in result.items])
    items = [_station_out(s, len(names.get(s.id, []))) for s in result.items]
    return StationPage(items, result.total, result.page, result.page_size), names


async def station_summary(session: AsyncSession) -> dict[str, int]:
    counts = await repo.station_counts(session)
    return {kind: counts.get(kind, 0) for kind in STATION_KINDS}


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> Station:
    station = await session.get(Station, station_id)
    if station is None:
        raise NotFound("家站室不存在", code="station_not_found")
    return station


async def station_detail(session: AsyncSession, station: Station) -> StationDetail:
    deputies = await person_refs(session, await repo.station_deputies(session, station.id))
    external = await external_refs((await repo.station_external_ids(session, [station.id])).get(station.id, []))
    out = _station_out(station, len(deputies) + len(external))
    return StationDetail(**msgspec.structs.asdict(out), deputies=deputies, external_deputies=external)


async def create_station(session: AsyncSession, tenant: TenantRef, data: StationIn) -> Station:
    station = Station(
        kind=data.kind,
        name=_clean_name(data.name, "名称"),
        address=_optional_text(data.address),
        township_code=check_township(tenant, data.township_code),
        reception_days=sorted(set(data.reception_days)),
        opening_rules=_optional_text(data.opening_rules),
        is_active=data.is_active,
    )
    session.add(station)
    await _flush(session)
    return station


async def update_station(session: AsyncSession, tenant: TenantRef, station: Station, patch: StationPatch) -> Station:
    changes = _changes(patch)
    if "name" in changes:
        changes["name"] = _clean_name(changes["name"], "名称")
    if "township_code" in changes:
        changes["township_code"] = check_township(tenant, changes["township_code"])
    if "reception_days" in changes:
        changes["reception_days"] = sorted(set(changes["reception_days"]))
    for key in ("address", "opening_rules"):
        if key in changes:
            changes[key] = _optional_text(changes[key])
    for key, value in changes.items():
        setattr(station, key, value)
    await _flush(session)
    return station


async def delete_station(session: AsyncSession, station: Station) -> None:
    await session.delete(station)
    await _flush(session)


async def assign_deputy(session: AsyncSession, station: Station, person_id: uuid.UUID) -> StationAssignment:
    person = await _person(session, person_id)
    if not station.is_active:
        raise InvalidInput(f"{station.name}已停用,不能安排代表进站", code="station_inactive")
    if await repo.station_assignment(session, station.id, person.id):
        raise Conflict(f"{person.name}已进驻{station.name}", code="already_assigned")
    assignment = StationAssignment(station_id=station.id, person_id=person.id)
    session.add(assignment)
    await _flush(session)
    return assignment


async def unassign_deputy(session: AsyncSession, station: Station, person_id: uuid.UUID) -> None:
    await _delete_found(
        session,
        await repo.station_assignment(session, station.id, person_id),
        NotFound("该代表未进驻本站点", code="station_assignment_not_found"),
    )


async def assign_external_deputy(
    session: AsyncSession, tenant: TenantRef, station: Station, mandate_id: uuid.UUID
) -> StationAssignment:
    """进家入站 for a deputy recorded by another office and organised in this territory."""
    entry = await elsewhere_entry(tenant, mandate_id)
    if not station.is_active:
        raise InvalidInput(f"{station.name}已停用,不能安排代表进站", code="station_inactive")
    if await repo.external_assignment(session, station.id, mandate_id):
        raise Conflict(f"{entry.person_name}已进驻{station.name}", code="already_assigned")
    assignment = StationAssignment(station_id=station.id, directory_mandate_id=mandate_id)
    session.add(assignment)
    await _flush(session)
    return assignment


async def unassign_external_deputy(session: AsyncSession, station: Station, mandate_id: uuid.UUID) -> None:
    await _delete_found(
        session,
        await repo.external_assignment(session, station.id, mandate_id),
        NotFound("该代表未进驻本站点", code="station_assignment_not_found"),
    )


# --- one deputy -----------------------------------------------------------------------------------
async def person_organisation(session: AsyncSession, person_id: uuid.UUID) -> PersonOrganisation:
    """The groups, stations and committee seats of one deputy (for the register's profile page)."""
    if await session.get(Person, person_id) is None:
        raise NotFound("代表不存在", code="person_not_found")
    groups = await repo.person_groups(session, person_id)
    geographic = next((g for g in groups if g.kind == "geographic"), None)

    def place(obj: DeputyGroup | Station, labels: dict[str, str]) -> PlaceOut:
        return PlaceOut(obj.id, obj.name, labels[obj.kind])

    return PersonOrganisation(
        person_id,
        place(geographic, GROUP_KINDS) if geographic else None,
        [place(g, GROUP_KINDS) for g in groups if g.kind == "professional"],
        [place(g, GROUP_KINDS) for g in await repo.groups_led_by(session, person_id)],
        [place(s, STATION_KINDS) for s in await repo.person_stations(session, person_id)],
        await _members_out(session, await repo.person_committee_positions(session, person_id)),
    )


# --- Excel exports (registered in tasks.py) -------------------------------------------------------
GROUP_EXPORT_HEADERS = ["小组名称", "类型", "乡镇(街道)代码", "组长", "成员人数", "成员名单"]
STATION_EXPORT_HEADERS = [
    "名称",
    "类型",
    "乡镇(街道)代码",
    "地址",
    "接待日",
    "开放规则",
    "状态",
    "进站代表人数",
    "进站代表",
]


def _filters(params: dict[str, Any], kind: type[F]) -> F:
    try:
        return msgspec.convert(params or {}, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"导出条件无效:{exc}", code="invalid_export_params") from exc


async def export_group_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    groups = list((await session.execute(repo.groups_query(_filters(params, GroupFilter)))).scalars())
    members = await group_member_names(session, [g.id for g in groups])
    for out in await _groups_out(session, groups):
        names = members.get(out.id, [])
        yield [
            out.name,
            out.kind_label,
            out.township_code or "",
            out.leader.name if out.leader else "",
            out.member_count,
            "、".join(names),
        ]


async def export_station_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    stations = list((await session.execute(repo.stations_query(_filters(params, StationFilter)))).scalars())
    names = await station_deputy_names(session, [s.id for s in stations])
    for station in stations:
        out = _station_out(station, len(names.get(station.id, [])))
        yield [
            out.name,
            out.kind_label,
            out.township_code or "",
            out.address or "",
            out.reception_label,
            out.opening_rules or "",
            "启用" if out.is_active else "停用",
            out.deputy_count,
            "、".join(names.get(station.id, [])),
        ]
