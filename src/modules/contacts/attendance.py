"""Invited attendance (邀请代表列席常委会会议): meetings of a term, the deputies invited, whether they
came and what they said, the public observers (公民旁听) per meeting, and a rotation that reaches
every deputy within the term.

The rotation suggests the least-invited deputies first (never invited before invited once, and so
on; among equals, the one invited longest ago), spreading each batch over townships and groups so a
meeting hears deputies from across the territory.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import msgspec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.pagination import paginate
from renda.modules.contacts import repository as repo
from renda.modules.contacts.common import Caller, eligible, own_terms, register, resolve_term, term_ref
from renda.modules.contacts.models import ATTENDANCE_STATUSES, AttendanceMeeting, MeetingInvitation
from renda.modules.contacts.schemas import (
    AttendanceIn,
    AttendanceSummary,
    DeputyRef,
    InvitationOut,
    InvitationsIn,
    MeetingDetail,
    MeetingIn,
    MeetingOut,
    MeetingPage,
    MeetingPatch,
    RotationEntry,
)
from renda.modules.notifications import service as notifications
from renda.modules.organisation.service import TermOut
from renda.tenants.scoping import TenantRef

INVITATION_KIND = "attendance_invitation"


def meeting_label(term_number: int, number: int) -> str:
    return f"第{term_number}届人大常委会第{number}次会议"


async def _term_of(session: AsyncSession, tenant: TenantRef, meeting: AttendanceMeeting) -> TermOut:
    return next(t for t in await own_terms(session, tenant) if t.id == meeting.term_id)


def _check_held_on(term: TermOut, held_on: date) -> None:
    if held_on < term.starts_on or (term.ends_on and held_on > term.ends_on):
        raise InvalidInput(f"会议日期应在第{term.number}届任期之内", code="invalid_date")


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        if "uq_contact_meetings_term_id" in str(exc.orig):
            raise Conflict("本届已有同一次数的常委会会议", code="duplicate_meeting") from exc
        if "uq_contact_meeting_invitations_meeting_id" in str(exc.orig):
            raise Conflict("该代表已受邀列席本次会议", code="already_invited") from exc
        raise


# --- meetings -------------------------------------------------------------------------------------
async def get_meeting(session: AsyncSession, meeting_id: uuid.UUID) -> AttendanceMeeting:
    meeting = await session.get(AttendanceMeeting, meeting_id)
    if meeting is None:
        raise NotFound("会议不存在", code="meeting_not_found")
    return meeting


def _meeting_out(term: TermOut, m: AttendanceMeeting, counts: tuple[int, int, int]) -> MeetingOut:
    return MeetingOut(
        m.id,
        m.term_id,
        m.number,
        m.title,
        meeting_label(term.number, m.number),
        m.held_on,
        m.observers,
        m.notes,
        *counts,
    )


async def list_meetings(
    session: AsyncSession, tenant: TenantRef, term_id: uuid.UUID | None, page: int, page_size: int
) -> MeetingPage:
    term = await resolve_term(session, tenant, term_id)
    result = await paginate(session, repo.meetings_query(term.id), page, page_size)
    counts = await repo.invitation_counts(session, [m.id for m in result.items])
    items = [_meeting_out(term, m, counts.get(m.id, (0, 0, 0))) for m in result.items]
    _, _, _, observers = await repo.term_attendance_totals(session, term.id)
    return MeetingPage(items, result.total, result.page, result.page_size, observers)


async def meeting_detail(session: AsyncSession, tenant: TenantRef, meeting: AttendanceMeeting) -> MeetingDetail:
    term = await _term_of(session, tenant, meeting)
    counts = (await repo.invitation_counts(session, [meeting.id])).get(meeting.id, (0, 0, 0))
    reg = await register(session, tenant, term)
    invitations = await repo.invitations(session, meeting.id)
    users = await repo.user_ids_of(session, [i.person_id for i in invitations])
    names = await repo.person_names(session, [i.person_id for i in invitations if i.person_id not in reg.deputies])
    rows = []
    for i in invitations:
        deputy = reg.ref(i.person_id) if i.person_id in reg.deputies else _former(i.person_id, names)
        rows.append(
            InvitationOut(
                i.id, deputy, i.status, ATTENDANCE_STATUSES[i.status], i.spoke, i.speech, i.person_id in users
            )
        )
    out = _meeting_out(term, meeting, counts)
    return MeetingDetail(**msgspec.structs.asdict(out), invitations=rows)


def _former(person_id: uuid.UUID, names: dict[uuid.UUID, str]) -> DeputyRef:
    """A deputy invited before their mandate ended: still listed with the meeting."""
    return DeputyRef(person_id, names.get(person_id, ""), "", None, None, None, None)


async def create_meeting(
    session: AsyncSession, tenant: TenantRef, caller: Caller, data: MeetingIn
) -> AttendanceMeeting:
    caller.require_staff()
    term = await resolve_term(session, tenant, data.term_id)
    _check_held_on(term, data.held_on)
    title = data.title.strip()
    if not title:
        raise InvalidInput("请填写会议名称或主要议题", code="title_required")
    meeting = AttendanceMeeting(
        term_id=term.id,
        number=data.number,
        title=title,
        held_on=data.held_on,
        observers=data.observers,
        notes=(data.notes or "").strip() or None,
    )
    session.add(meeting)
    await _flush(session)
    return meeting


async def update_meeting(
    session: AsyncSession, tenant: TenantRef, caller: Caller, meeting: AttendanceMeeting, patch: MeetingPatch
) -> AttendanceMeeting:
    caller.require_staff()
    changes = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}
    if "held_on" in changes:
        _check_held_on(await _term_of(session, tenant, meeting), changes["held_on"])
    if "title" in changes:
        changes["title"] = changes["title"].strip()
        if not changes["title"]:
            raise InvalidInput("请填写会议名称或主要议题", code="title_required")
    if "notes" in changes:
        changes["notes"] = (changes["notes"] or "").strip() or None
    for key, value in changes.items():
        setattr(meeting, key, value)
    await _flush(session)
    return meeting


async def delete_meeting(session: AsyncSession, caller: Caller, meeting: AttendanceMeeting) -> None:
    caller.require_staff()
    await session.delete(meeting)
    await session.flush()


# --- the rotation ---------------------------------------------------------------------------------
def rotate(
    candidates: list[repo.DeputyInfo], history: dict[uuid.UUID, tuple[int, date]], count: int
) -> list[repo.DeputyInfo]:
    """`count` deputies: the least-invited tier first, spread over townships and groups within it."""
    pool = list(candidates)
    picked: list[repo.DeputyInfo] = []
    used: Counter[tuple[str, str]] = Counter()

    def times(d: repo.DeputyInfo) -> int:
        return history.get(d.id, (0, date.min))[0]

    while pool and len(picked) < count:
        tier = min(times(d) for d in pool)
        best = min(
            (d for d in pool if times(d) == tier),
            key=lambda d: (
                used[(d.township_code or "", d.group_name or "")],
                history.get(d.id, (0, date.min))[1],
                d.pinyin,
                str(d.id),
            ),
        )
        picked.append(best)
        pool.remove(best)
        used[(best.township_code or "", best.group_name or "")] += 1
    return picked


async def rotation(
    session: AsyncSession, tenant: TenantRef, meeting: AttendanceMeeting, count: int = 5
) -> list[RotationEntry]:
    """The deputies to invite next to this meeting (those already invited to it left out)."""
    if not 1 <= count <= 200:
        raise InvalidInput("建议人数应在 1 到 200 之间", code="invalid_count")
    term = await _term_of(session, tenant, meeting)
    reg = await register(session, tenant, term)
    history = await repo.invitation_history(session, term.id)
    invited = {i.person_id for i in await repo.invitations(session, meeting.id)}
    candidates = [d for d in reg.to_cover() if d.id not in invited]
    return [
        RotationEntry(reg.ref(d.id), history.get(d.id, (0, None))[0], history.get(d.id, (0, None))[1])
        for d in rotate(candidates, history, count)
    ]


# --- invitations ----------------------------------------------------------------------------------
async def invite(
    session: AsyncSession, tenant: TenantRef, caller: Caller, meeting: AttendanceMeeting, data: InvitationsIn
) -> list[MeetingInvitation]:
    """Invite deputies of the office's own level; the ones linked to a platform user are notified in
    the same transaction (once per invitation, however often this is retried)."""
    caller.require_staff()
    term = await _term_of(session, tenant, meeting)
    reg = await register(session, tenant, term)
    already = {i.person_id for i in await repo.invitations(session, meeting.id)}
    people = []
    for person_id in dict.fromkeys(data.person_ids):
        info = eligible(reg, person_id, what="邀请列席")
        if not info.active:
            raise InvalidInput(f"{info.name}的代表职务暂停执行,不能邀请列席", code="deputy_suspended")
        if person_id in already:
            raise Conflict(f"{info.name}已受邀列席本次会议", code="already_invited")
        people.append(info)
    rows = [MeetingInvitation(meeting_id=meeting.id, person_id=p.id) for p in people]
    session.add_all(rows)
    await _flush(session)
    label = meeting_label(term.number, meeting.number)
    for row, person in zip(rows, people, strict=True):
        if person.user_id is None:
            continue
        await notifications.notify(
            session,
            kind=INVITATION_KIND,
            event_key=f"contacts.invitation:{row.id}",
            recipients=[person.user_id],
            variables={
                "name": person.name,
                "office": tenant.name,
                "meeting": label,
                "title": meeting.title,
                "date": f"{meeting.held_on.month}月{meeting.held_on.day}日",
            },
        )
    return rows


async def get_invitation(
    session: AsyncSession, meeting: AttendanceMeeting, invitation_id: uuid.UUID
) -> MeetingInvitation:
    invitation = await session.get(MeetingInvitation, invitation_id)
    if invitation is None or invitation.meeting_id != meeting.id:
        raise NotFound("该代表未受邀列席本次会议", code="invitation_not_found")
    return invitation


async def record_attendance(
    session: AsyncSession, caller: Caller, invitation: MeetingInvitation, data: AttendanceIn
) -> MeetingInvitation:
    """Attended, absent or excused, and the speech made; a speech needs the deputy to have attended."""
    caller.require_staff()
    status = invitation.status if data.status is msgspec.UNSET else data.status
    speech = invitation.speech if data.speech is msgspec.UNSET else ((data.speech or "").strip() or None)
    if speech and status != "attended":
        raise InvalidInput("只有已列席的代表才能记录发言,请先将出席情况改为“已列席”", code="speech_without_attendance")
    invitation.status, invitation.speech, invitation.spoke = status, speech, bool(speech)
    await session.flush()
    return invitation


async def remove_invitation(session: AsyncSession, caller: Caller, invitation: MeetingInvitation) -> None:
    caller.require_staff()
    await session.delete(invitation)
    await session.flush()


async def attendance_summary(session: AsyncSession, tenant: TenantRef, term_id: uuid.UUID | None) -> AttendanceSummary:
    """How far the rotation has come this term: deputies invited at least once, and those never invited."""
    term = await resolve_term(session, tenant, term_id)
    reg = await register(session, tenant, term)
    history = await repo.invitation_history(session, term.id)
    deputies = reg.to_cover()
    never = [reg.ref(d.id) for d in deputies if d.id not in history]
    meetings, invitations, attended, observers = await repo.term_attendance_totals(session, term.id)
    return AttendanceSummary(
        term_ref(term), len(deputies), len(deputies) - len(never), never, meetings, invitations, attended, observers
    )
