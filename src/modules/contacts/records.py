"""Contact records (联系记录): who contacted which deputies, when and how, what was raised, and files.

A committee member records and sees their own records only; staff record for any member and see
all. An issue raised can be handed on, once, as a people's opinion (opinions module) or as a
suggestion draft of the deputy (suggestions module); the id it gets there is kept on the issue.
"""

from __future__ import annotations

import posixpath
import uuid
from datetime import date

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TooLarge
from renda.core.pagination import paginate
from renda.core.timezone import local_today
from renda.modules.contacts import repository as repo
from renda.modules.contacts.common import Caller, Register, deputy_ref, own_terms, register, unique_ids
from renda.modules.contacts.models import (
    MODES,
    ContactAttachment,
    ContactIssue,
    ContactRecord,
    RecordDeputy,
)
from renda.modules.contacts.schemas import (
    AttachmentOut,
    ContactedDeputy,
    DeputyRef,
    IssueIn,
    IssueOut,
    OpinionIn,
    RecordDetail,
    RecordFilter,
    RecordIn,
    RecordOut,
    RecordPage,
    RecordPatch,
    SuggestionIn,
)
from renda.modules.organisation import service as organisation
from renda.modules.organisation.models import CommitteeMember
from renda.modules.organisation.service import TermOut
from renda.tenants.scoping import TenantRef

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 20
# Extension → (stored content type, what the bytes must start with; None: any UTF-8 text).
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    "txt": ("text/plain; charset=utf-8", None),
}
ALLOWED_LABEL = "PDF、JPG、PNG、Word(doc/docx)、Excel(xls/xlsx)或 TXT"


# --- reading --------------------------------------------------------------------------------------
async def get_record(session: AsyncSession, caller: Caller, record_id: uuid.UUID) -> ContactRecord:
    """A record the caller may see; another member's is simply not there for a committee member."""
    record = await session.get(ContactRecord, record_id)
    if record is None or not caller.may_see(record.committee_member_id):
        raise NotFound("联系记录不存在", code="record_not_found")
    return record


def _deputy(reg: Register, person_id: uuid.UUID, names: dict[uuid.UUID, str]) -> DeputyRef:
    if person_id in reg.deputies:
        return deputy_ref(reg.deputies[person_id], reg.townships)
    return DeputyRef(person_id, names.get(person_id, ""), "", None, None, None, None)


async def _records_out(session: AsyncSession, tenant: TenantRef, records: list[ContactRecord]) -> list[RecordOut]:
    ids = [r.id for r in records]
    reg = await register(session, tenant, None)
    deputies = await repo.record_deputies(session, ids)
    names = await repo.person_names(session, {d.person_id for rows in deputies.values() for d in rows})
    issues = await repo.counts_by_record(session, ContactIssue, ids)
    files = await repo.counts_by_record(session, ContactAttachment, ids)
    return [
        RecordOut(
            r.id,
            r.term_id,
            r.committee_member_id,
            r.member_name,
            r.contacted_on,
            r.mode,
            MODES[r.mode],
            r.topics,
            r.summary,
            [ContactedDeputy(_deputy(reg, d.person_id, names), d.assigned) for d in deputies.get(r.id, [])],
            issues.get(r.id, 0),
            files.get(r.id, 0),
            r.recorded_by,
        )
        for r in records
    ]


async def list_records(
    session: AsyncSession, tenant: TenantRef, caller: Caller, filters: RecordFilter, page: int, page_size: int
) -> RecordPage:
    query = repo.records_query(filters, None if caller.sees_all else caller.member_ids)
    result = await paginate(session, query, page, page_size)
    return RecordPage(await _records_out(session, tenant, result.items), result.total, result.page, result.page_size)


def _issue_out(issue: ContactIssue, names: dict[uuid.UUID, str]) -> IssueOut:
    if issue.opinion_id:
        label = f"已转为群众意见({issue.opinion_ticket})" if issue.opinion_ticket else "已转为群众意见"
    elif issue.suggestion_draft_id:
        label = "已转为代表建议草稿"
    else:
        label = "待处理"
    return IssueOut(
        issue.id,
        issue.content,
        issue.person_id,
        names.get(issue.person_id) if issue.person_id else None,
        issue.opinion_id,
        issue.opinion_ticket,
        issue.suggestion_draft_id,
        label,
    )


async def record_detail(session: AsyncSession, tenant: TenantRef, record: ContactRecord) -> RecordDetail:
    (out,) = await _records_out(session, tenant, [record])
    issues = await repo.issues(session, record.id)
    names = await repo.person_names(session, {i.person_id for i in issues if i.person_id})
    files = [
        AttachmentOut(a.id, a.filename, a.content_type, a.size, a.uploaded_by)
        for a in await repo.attachments(session, record.id)
    ]
    return RecordDetail(**msgspec.structs.asdict(out), issues=[_issue_out(i, names) for i in issues], attachments=files)


# --- writing --------------------------------------------------------------------------------------
async def _member_for(
    session: AsyncSession, tenant: TenantRef, caller: Caller, member_id: uuid.UUID | None
) -> CommitteeMember:
    """The committee member a record is for: one of the caller's own seats (a committee member), or
    the one staff chose."""
    if member_id is None:
        if caller.sees_all:
            raise InvalidInput("请选择联系代表的常委会组成人员", code="committee_member_required")
        own = await _own_seats(session, tenant, caller)
        if not own:
            raise PermissionDenied(
                "您的账号尚未关联常委会组成人员,请联系代表工作机构在“组织机构”中关联", code="not_a_committee_member"
            )
        return own[0]
    if not caller.may_see(member_id):
        raise PermissionDenied("只能登记本人的联系记录", code="not_own_record")
    member = await session.get(CommitteeMember, member_id)
    if member is None:
        raise InvalidInput("所选组成人员不存在", code="unknown_committee_member")
    return member


async def _own_seats(session: AsyncSession, tenant: TenantRef, caller: Caller) -> list[CommitteeMember]:
    """The caller's seats, the current term's serving one first."""
    current = {t.id for t in await own_terms(session, tenant) if t.is_current}
    seats = [await session.get(CommitteeMember, m) for m in caller.member_ids]
    found = [s for s in seats if s is not None]
    return sorted(found, key=lambda s: (s.term_id not in current, s.ended_on is not None, s.started_on))


async def own_seat(session: AsyncSession, tenant: TenantRef, caller: Caller) -> CommitteeMember | None:
    seats = await _own_seats(session, tenant, caller)
    return seats[0] if seats else None


def _term_of(terms: list[TermOut], member: CommitteeMember) -> TermOut:
    return next(t for t in terms if t.id == member.term_id)


def _check_date(term: TermOut, member: CommitteeMember | None, contacted_on: date) -> None:
    if contacted_on > local_today():
        raise InvalidInput("联系日期不能晚于今天", code="invalid_date")
    if contacted_on < term.starts_on or (term.ends_on and contacted_on > term.ends_on):
        raise InvalidInput(f"联系日期应在第{term.number}届任期之内", code="invalid_date")
    if member is not None and (
        contacted_on < member.started_on or (member.ended_on and contacted_on > member.ended_on)
    ):
        raise InvalidInput(f"联系日期应在{member.name}任职期间", code="invalid_date")


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


async def _deputies(
    session: AsyncSession, reg: Register, member: CommitteeMember, person_ids: list[uuid.UUID]
) -> list[RecordDeputy]:
    """The contacted deputies, each a deputy of the office's own level, marked when assigned to the member."""
    assigned = {
        a.person_id for a in await repo.assignments(session, member.term_id) if a.committee_member_id == member.id
    }
    rows = []
    for person_id in unique_ids(person_ids):
        if person_id not in reg.deputies:
            raise InvalidInput(
                "所联系的代表应为本机关名册中本级在任代表(其他机关的代表不能登记)", code="unknown_deputy"
            )
        rows.append(RecordDeputy(person_id=person_id, assigned=person_id in assigned))
    return rows


def _issue(record: ContactRecord, data: IssueIn, contacted: set[uuid.UUID]) -> ContactIssue:
    content = data.content.strip()
    if not content:
        raise InvalidInput("请填写反映的问题", code="issue_required")
    if data.person_id is not None and data.person_id not in contacted:
        raise InvalidInput("反映问题的代表应是本次联系的代表之一", code="issue_person_not_contacted")
    return ContactIssue(record_id=record.id, person_id=data.person_id, content=content)


async def create_record(session: AsyncSession, tenant: TenantRef, caller: Caller, data: RecordIn) -> ContactRecord:
    member = await _member_for(session, tenant, caller, data.committee_member_id)
    term = _term_of(await own_terms(session, tenant), member)
    _check_date(term, member, data.contacted_on)
    topics = _clean(data.topics)
    if topics is None:
        raise InvalidInput("请填写联系的主题", code="topics_required")
    reg = await register(session, tenant, term)
    deputies = await _deputies(session, reg, member, data.person_ids)
    record = ContactRecord(
        term_id=term.id,
        committee_member_id=member.id,
        member_name=member.name,
        contacted_on=data.contacted_on,
        mode=data.mode,
        topics=topics,
        summary=_clean(data.summary),
        recorded_by=caller.actor,
    )
    session.add(record)
    await session.flush()
    for row in deputies:
        row.record_id = record.id
    contacted = {d.person_id for d in deputies}
    session.add_all([*deputies, *(_issue(record, issue, contacted) for issue in data.issues)])
    await session.flush()
    return record


async def update_record(
    session: AsyncSession, tenant: TenantRef, caller: Caller, record: ContactRecord, patch: RecordPatch
) -> ContactRecord:
    changes = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}
    term = next(t for t in await own_terms(session, tenant) if t.id == record.term_id)
    if "contacted_on" in changes:
        member = await session.get(CommitteeMember, record.committee_member_id) if record.committee_member_id else None
        _check_date(term, member, changes["contacted_on"])
        record.contacted_on = changes["contacted_on"]
    if "mode" in changes:
        record.mode = changes["mode"]
    if "topics" in changes:
        topics = _clean(changes["topics"])
        if topics is None:
            raise InvalidInput("请填写联系的主题", code="topics_required")
        record.topics = topics
    if "summary" in changes:
        record.summary = _clean(changes["summary"])
    if "person_ids" in changes:
        await _replace_deputies(session, tenant, record, term, changes["person_ids"])
    record.updated_at = utcnow()
    await session.flush()
    return record


async def _replace_deputies(
    session: AsyncSession, tenant: TenantRef, record: ContactRecord, term: TermOut, person_ids: list[uuid.UUID]
) -> None:
    member = await session.get(CommitteeMember, record.committee_member_id) if record.committee_member_id else None
    if member is None:
        raise InvalidInput("该记录的组成人员已被删除,不能修改所联系的代表", code="member_removed")
    new = await _deputies(session, await register(session, tenant, term), member, person_ids)
    wanted = {d.person_id for d in new}
    raised = {i.person_id for i in await repo.issues(session, record.id) if i.person_id}
    if raised - wanted:
        raise InvalidInput("已有反映问题的代表不能从本次联系中移出,请先删除其反映的问题", code="issue_person_removed")
    current = (await repo.record_deputies(session, [record.id])).get(record.id, [])
    for row in current:
        if row.person_id not in wanted:
            await session.delete(row)
    await session.flush()
    have = {row.person_id for row in current}
    for row in new:
        if row.person_id not in have:
            row.record_id = record.id
            session.add(row)


async def delete_record(session: AsyncSession, record: ContactRecord) -> None:
    if any(i.opinion_id or i.suggestion_draft_id for i in await repo.issues(session, record.id)):
        raise Conflict("该记录中已有问题转为群众意见或代表建议,不能删除", code="record_has_conversions")
    await session.delete(record)
    await session.flush()


# --- issues ---------------------------------------------------------------------------------------
async def add_issue(session: AsyncSession, record: ContactRecord, data: IssueIn) -> ContactIssue:
    contacted = {d.person_id for d in (await repo.record_deputies(session, [record.id])).get(record.id, [])}
    issue = _issue(record, data, contacted)
    session.add(issue)
    await session.flush()
    return issue


async def get_issue(session: AsyncSession, record: ContactRecord, issue_id: uuid.UUID) -> ContactIssue:
    issue = await session.get(ContactIssue, issue_id)
    if issue is None or issue.record_id != record.id:
        raise NotFound("该记录中没有这个问题", code="issue_not_found")
    return issue


def _check_unconverted(issue: ContactIssue) -> None:
    if issue.opinion_id or issue.suggestion_draft_id:
        what = "群众意见" if issue.opinion_id else "代表建议草稿"
        raise Conflict(f"该问题已转为{what},不能重复转交或删除", code="issue_converted")


async def delete_issue(session: AsyncSession, issue: ContactIssue) -> None:
    _check_unconverted(issue)
    await session.delete(issue)
    await session.flush()


async def _issue_deputy(session: AsyncSession, record: ContactRecord, issue: ContactIssue) -> uuid.UUID:
    """Whose issue it is: the deputy named on it, else the record's only deputy."""
    if issue.person_id is not None:
        return issue.person_id
    deputies = (await repo.record_deputies(session, [record.id])).get(record.id, [])
    if len(deputies) != 1:
        raise InvalidInput("本次联系了多名代表,请先在问题中注明由哪名代表反映", code="issue_person_required")
    return deputies[0].person_id


async def issue_to_opinion(
    session: AsyncSession, tenant: TenantRef, record: ContactRecord, issue: ContactIssue, data: OpinionIn
) -> ContactIssue:
    """Hand the issue to the closed loop of people's opinions (受理), in the caller's transaction."""
    _check_unconverted(issue)
    deputy = await _issue_deputy(session, record, issue)
    from renda.modules.opinions import service as opinions

    opinion = await opinions.intake(
        session,
        tenant,
        source="contact",
        content=issue.content,
        category=_clean(data.category),
        submitter_name=None,
        submitter_phone=None,
        deputy_person_id=deputy,
        station_id=None,
        source_id=issue.id,
    )
    issue.opinion_id, issue.opinion_ticket, issue.converted_at = opinion.id, opinion.ticket, utcnow()
    await session.flush()
    return issue


async def issue_to_suggestion(
    session: AsyncSession, tenant: TenantRef, record: ContactRecord, issue: ContactIssue, data: SuggestionIn
) -> ContactIssue:
    """Start a suggestion draft of the deputy who raised the issue (they file it themselves later)."""
    _check_unconverted(issue)
    deputy = await _issue_deputy(session, record, issue)
    title = _clean(data.title) or _default_title(issue.content)
    from renda.modules.suggestions import service as suggestions

    draft = await suggestions.create_draft(
        session,
        tenant,
        deputy_person_id=deputy,
        title=title,
        content=issue.content,
        source="contact",
        source_id=issue.id,
    )
    issue.suggestion_draft_id, issue.converted_at = draft.id, utcnow()
    await session.flush()
    return issue


def _default_title(content: str) -> str:
    first = content.strip().splitlines()[0] if content.strip() else "联系代表反映的问题"
    return first if len(first) <= 40 else first[:40] + "…"


# --- attachments ----------------------------------------------------------------------------------
def _checked_file(filename: str | None, content: bytes) -> tuple[str, str]:
    """A clean file name and the content type the bytes prove; refused before anything is stored."""
    name = posixpath.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable())[-200:]
    if not name:
        raise InvalidInput("请选择要上传的文件", code="file_required")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise TooLarge(
            f"附件“{name}”超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB,请压缩后再上传", code="attachment_too_large"
        )
    if not content:
        raise InvalidInput(f"附件“{name}”是空文件", code="empty_file")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_TYPES:
        raise InvalidInput(f"不支持该文件类型,请上传 {ALLOWED_LABEL} 文件", code="unsupported_file_type")
    content_type, magic = ALLOWED_TYPES[extension]
    if magic is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("文本文件应为 UTF-8 编码", code="unsupported_file_type") from None
    elif not content.startswith(magic):
        raise InvalidInput(f"文件内容与扩展名“.{extension}”不符,请检查文件", code="unsupported_file_type")
    return name, content_type


async def add_attachment(
    session: AsyncSession, caller: Caller, record: ContactRecord, filename: str | None, content: bytes
) -> ContactAttachment:
    name, content_type = _checked_file(filename, content)
    count = (await repo.counts_by_record(session, ContactAttachment, [record.id])).get(record.id, 0)
    if count >= MAX_ATTACHMENTS:
        raise InvalidInput(f"每条联系记录最多 {MAX_ATTACHMENTS} 个附件", code="too_many_attachments")
    attachment = ContactAttachment(
        record_id=record.id,
        filename=name,
        content_type=content_type,
        size=len(content),
        content=content,
        uploaded_by=caller.actor,
    )
    session.add(attachment)
    await session.flush()
    return attachment


async def get_attachment(
    session: AsyncSession, record: ContactRecord, attachment_id: uuid.UUID, *, with_content: bool = False
) -> ContactAttachment:
    query = select(ContactAttachment).where(
        ContactAttachment.id == attachment_id, ContactAttachment.record_id == record.id
    )
    if with_content:
        query = query.options(undefer(ContactAttachment.content))
    attachment = (await session.execute(query)).scalar_one_or_none()
    if attachment is None:
        raise NotFound("附件不存在", code="attachment_not_found")
    return attachment


async def delete_attachment(session: AsyncSession, attachment: ContactAttachment) -> None:
    await session.delete(attachment)
    await session.flush()


async def deputy_choices(
    session: AsyncSession, tenant: TenantRef, caller: Caller, term_id: uuid.UUID
) -> list[DeputyRef]:
    """The deputies a record may name: every deputy to cover, a committee member's own fixed ones first."""
    term = next(t for t in await own_terms(session, tenant) if t.id == term_id)
    reg = await register(session, tenant, term)
    own = {a.person_id for a in await repo.assignments(session, term_id) if a.committee_member_id in caller.member_ids}
    return sorted((reg.ref(d.id) for d in reg.to_cover()), key=lambda ref: ref.id not in own)


async def member_options(session: AsyncSession, tenant: TenantRef, caller: Caller) -> list[tuple[uuid.UUID, str]]:
    """The committee members a record may be for: every serving member (staff), else the caller's own."""
    try:
        committee = await organisation.committee(session, tenant)
    except NotFound:
        return []
    return [(m.id, m.name) for m in committee.members if m.is_serving and caller.may_see(m.id)]
