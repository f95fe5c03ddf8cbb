"""Evidence (佐证): a deputy submits proof of duty done elsewhere (a training, an inspection of another
body, an award...) with photos or documents; the office's staff verify it or reject it with a reason.

Only verified evidence earns points, through the ledger's reconcile job (trainings by their hours,
awards by their level). A deputy sees their own evidence; staff, committee members and viewers see all.
Files are checked by type and size before anything is stored: a refused file refuses the submission.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from renda.core.db import get_database, utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import paginate_rows
from renda.core.permissions import Role
from renda.core.timezone import local_today
from renda.core.uploads import MAX_FILE_BYTES, checked_file
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import Person
from renda.modules.duty.activities import check_hours
from renda.modules.duty.activity_schemas import EvidenceFileOut, EvidenceIn, EvidenceOut, EvidencePage
from renda.modules.duty.common import DutyCaller, require_deputy, require_manage
from renda.modules.duty.models import AWARD_LEVELS, EVIDENCE_KINDS, EVIDENCE_STATUSES, Evidence, EvidenceFile
from renda.modules.members import service as members
from renda.modules.notifications import service as notifications
from renda.tenants.scoping import TenantRef

MAX_FILES = 10
MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_REASON = 500
# The request that carries them: every file at its largest, and the fields.
MAX_BODY = MAX_FILES * (MAX_FILE_BYTES + 64 * 1024) + 256 * 1024


@dataclass(frozen=True)
class Upload:
    filename: str | None
    content: bytes


# --- checks ------------------------------------------------------------------------------------------
def _clean(data: EvidenceIn) -> EvidenceIn:
    title = " ".join(data.title.split())
    if not title:
        raise InvalidInput("请填写佐证标题", code="title_required")
    if data.kind not in EVIDENCE_KINDS:
        raise InvalidInput("请选择履职类别", code="invalid_kind", details={"allowed": list(EVIDENCE_KINDS)})
    today = local_today()
    if data.occurred_on > today:
        raise InvalidInput("履职日期不能晚于今天", code="occurred_in_future")
    if data.occurred_on.year < today.year - 1:
        raise InvalidInput(
            f"只能提交 {today.year - 1} 年以来的履职佐证;更早年度的履职档案已归档", code="occurred_too_early"
        )
    hours = check_hours(data.kind, data.hours, what="参加培训的佐证")
    if data.kind == "award":
        if data.award_level not in AWARD_LEVELS:
            raise InvalidInput("请选择表彰的级别", code="award_level_required")
    elif data.award_level is not None:
        raise InvalidInput("只有获得表彰的佐证需要选择表彰级别", code="award_level_only_for_award")
    return EvidenceIn(
        kind=data.kind,
        title=title,
        occurred_on=data.occurred_on,
        description=data.description.replace("\r\n", "\n").strip(),
        hours=hours,
        award_level=data.award_level,
    )


def checked_uploads(uploads: list[Upload]) -> list[tuple[str, str, bytes]]:
    """(name, content type, bytes) of each file; the first that is refused refuses them all."""
    files = [u for u in uploads if u.filename or u.content]  # an empty file input sends an empty part
    if len(files) > MAX_FILES:
        raise InvalidInput(f"每份佐证最多上传 {MAX_FILES} 个文件", code="too_many_files")
    return [(*checked_file(u.filename, u.content), u.content) for u in files]


# --- a deputy's submissions --------------------------------------------------------------------------
async def submit_evidence(
    session: AsyncSession, caller: DutyCaller, tenant: TenantRef, data: EvidenceIn, uploads: list[Upload]
) -> Evidence:
    """The caller's own evidence, pending; the office's staff are told to verify it."""
    person_id = require_deputy(caller)
    data = _clean(data)
    files = checked_uploads(uploads)
    if not data.description and not files:
        raise InvalidInput("请填写情况说明,或上传照片、文件作为佐证", code="evidence_empty")
    evidence = Evidence(
        person_id=person_id,
        year=data.occurred_on.year,
        kind=data.kind,
        title=data.title,
        description=data.description,
        occurred_on=data.occurred_on,
        hours=data.hours,
        award_level=data.award_level,
        status="pending",
        submitted_by=caller.actor,
        submitted_at=utcnow(),
    )
    session.add(evidence)
    await session.flush()
    session.add_all(
        EvidenceFile(evidence_id=evidence.id, filename=name, content_type=kind, size=len(content), content=content)
        for name, kind, content in files
    )
    await session.flush()
    name = await session.scalar(select(Person.name).where(Person.id == person_id)) or ""
    await notifications.notify(
        session,
        kind="duty_evidence_to_verify",
        event_key=f"duty-evidence:{evidence.id}:submitted",
        recipients=await staff_user_ids(tenant),
        variables=_variables(evidence, name),
        link=f"/t/{tenant.code}/duty/evidence/{evidence.id}",
    )
    return evidence


async def withdraw_evidence(session: AsyncSession, caller: DutyCaller, evidence: Evidence) -> None:
    """The deputy takes back their own evidence while it waits for verification."""
    if evidence.person_id != caller.person_id:
        raise PermissionDenied("只能撤回本人提交的佐证", code="duty_not_own")
    if evidence.status != "pending":
        raise Conflict("佐证已核实或已退回,不能撤回", code="evidence_not_pending")
    await session.delete(evidence)
    await session.flush()
    await notifications.withdraw(session, f"duty-evidence:{evidence.id}:", "佐证已撤回")


# --- staff: verification -----------------------------------------------------------------------------
async def verify_evidence(session: AsyncSession, caller: DutyCaller, tenant: TenantRef, evidence: Evidence) -> Evidence:
    """Verified: it counts. A rejected one may be verified after all (a reason proved wrong)."""
    require_manage(caller)
    if evidence.status == "verified":
        raise Conflict("该佐证已核实", code="evidence_already_verified")
    evidence.status, evidence.reject_reason = "verified", ""
    evidence.reviewed_by, evidence.reviewed_at = caller.actor, utcnow()
    await session.flush()
    await _tell_deputy(session, tenant, evidence, "duty_evidence_verified")
    return evidence


async def reject_evidence(
    session: AsyncSession, caller: DutyCaller, tenant: TenantRef, evidence: Evidence, reason: str
) -> Evidence:
    """Rejected with a reason the deputy reads; a verified one may be rejected later (it stops counting)."""
    require_manage(caller)
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("请填写退回理由", code="reason_required")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"退回理由不能超过 {MAX_REASON} 个字", code="reason_too_long")
    if evidence.status == "rejected":
        raise Conflict("该佐证已退回", code="evidence_already_rejected")
    evidence.status, evidence.reject_reason = "rejected", reason
    evidence.reviewed_by, evidence.reviewed_at = caller.actor, utcnow()
    await session.flush()
    await _tell_deputy(session, tenant, evidence, "duty_evidence_rejected", reason=reason)
    return evidence


def _variables(evidence: Evidence, name: str, **extra: str) -> dict[str, str]:
    day = evidence.occurred_on
    return {
        "name": name,
        "title": evidence.title,
        "kind": EVIDENCE_KINDS[evidence.kind],
        "date": f"{day.year}年{day.month}月{day.day}日",
        **extra,
    }


async def _tell_deputy(session: AsyncSession, tenant: TenantRef, evidence: Evidence, kind: str, **extra: str) -> None:
    user_id = (await deputies.user_ids_of(session, [evidence.person_id])).get(evidence.person_id)
    if user_id is None:  # a deputy who does not sign in: staff tell them in person
        return
    name = await session.scalar(select(Person.name).where(Person.id == evidence.person_id)) or ""
    await notifications.notify(
        session,
        kind=kind,
        event_key=f"duty-evidence:{evidence.id}:{evidence.status}:{evidence.reviewed_at:%Y%m%d%H%M%S%f}",
        recipients=[user_id],
        variables=_variables(evidence, name, **extra),
        link=f"/t/{tenant.code}/duty/evidence/{evidence.id}",
    )


async def staff_user_ids(tenant: TenantRef) -> list[uuid.UUID]:
    """Who verifies: the office's staff (代表工作人员) and its administrators."""
    async with get_database().platform_session() as platform:
        return [
            user.id
            for membership, user in await members.list_members(platform, tenant)
            if {Role.STAFF, Role.OFFICE_ADMIN} & set(membership.roles or [])
        ]


# --- reading -----------------------------------------------------------------------------------------
async def get_evidence(
    session: AsyncSession, caller: DutyCaller, evidence_id: uuid.UUID, *, for_update: bool = False
) -> Evidence:
    """The evidence, if the caller may see it: a deputy's own; anyone's for those who see the office's."""
    query = select(Evidence).where(Evidence.id == evidence_id)
    if for_update:
        query = query.with_for_update()
    evidence = (await session.execute(query)).scalar_one_or_none()
    if evidence is None or not caller.may_see(evidence.person_id):
        raise NotFound("佐证不存在", code="evidence_not_found")
    return evidence


async def get_file(
    session: AsyncSession, evidence: Evidence, file_id: uuid.UUID, *, with_content: bool = False
) -> EvidenceFile:
    query = select(EvidenceFile).where(EvidenceFile.id == file_id, EvidenceFile.evidence_id == evidence.id)
    if with_content:
        query = query.options(undefer(EvidenceFile.content))
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise NotFound("佐证文件不存在", code="evidence_file_not_found")
    return found


@dataclass(frozen=True)
class EvidenceFilter:
    status: str | None = None
    kind: str | None = None
    year: int | None = None
    person_id: uuid.UUID | None = None
    q: str | None = None


def check_filter(filters: EvidenceFilter) -> EvidenceFilter:
    if filters.status is not None and filters.status not in EVIDENCE_STATUSES:
        raise InvalidInput("佐证状态无效", code="invalid_status", details={"allowed": list(EVIDENCE_STATUSES)})
    if filters.kind is not None and filters.kind not in EVIDENCE_KINDS:
        raise InvalidInput("履职类别无效", code="invalid_kind", details={"allowed": list(EVIDENCE_KINDS)})
    if filters.year is not None and not 2000 <= filters.year <= 2100:
        raise InvalidInput("年度应在 2000 到 2100 之间", code="invalid_year")
    if filters.q is not None and len(filters.q) > 100:
        raise InvalidInput("查找内容不能超过 100 个字", code="query_too_long")
    return filters


def _rows() -> Select[Any]:
    files = (
        select(
            EvidenceFile.evidence_id,
            func.json_agg(
                func.json_build_array(
                    EvidenceFile.id, EvidenceFile.filename, EvidenceFile.content_type, EvidenceFile.size
                ),
                type_=JSON,
            ).label("files"),
        )
        .group_by(EvidenceFile.evidence_id)
        .subquery()
    )
    return (
        select(
            Evidence.id,
            Evidence.person_id,
            Person.name.label("person_name"),
            Evidence.kind,
            Evidence.title,
            Evidence.description,
            Evidence.occurred_on,
            Evidence.year,
            Evidence.hours,
            Evidence.award_level,
            Evidence.status,
            Evidence.reject_reason,
            Evidence.submitted_at,
            Evidence.reviewed_by,
            Evidence.reviewed_at,
            files.c.files,
        )
        .join(Person, Person.id == Evidence.person_id)
        .outerjoin(files, files.c.evidence_id == Evidence.id)
    )


def _out(row: Any) -> EvidenceOut:
    return EvidenceOut(
        id=row.id,
        person_id=row.person_id,
        person_name=row.person_name,
        kind=row.kind,
        kind_label=EVIDENCE_KINDS[row.kind],
        title=row.title,
        description=row.description,
        occurred_on=row.occurred_on,
        year=row.year,
        hours=float(row.hours) if row.hours is not None else None,
        award_level=row.award_level,
        award_level_label=AWARD_LEVELS.get(row.award_level or ""),
        status=row.status,
        status_label=EVIDENCE_STATUSES[row.status],
        reject_reason=row.reject_reason,
        submitted_at=row.submitted_at,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        files=sorted(
            (EvidenceFileOut(uuid.UUID(f[0]), f[1], f[2], f[3]) for f in row.files or []), key=lambda f: f.filename
        ),
    )


async def evidence_out(session: AsyncSession, evidence: Evidence) -> EvidenceOut:
    await session.flush()
    return _out((await session.execute(_rows().where(Evidence.id == evidence.id))).one())


async def list_evidence(
    session: AsyncSession, caller: DutyCaller, filters: EvidenceFilter, page: int, page_size: int
) -> EvidencePage:
    """Newest first; a deputy's own only (whatever `person_id` says) unless the caller sees the office's."""
    filters = check_filter(filters)
    query = _rows()
    if not caller.full:
        query = query.where(Evidence.person_id == (caller.person_id or uuid.UUID(int=0)))
    elif filters.person_id is not None:
        query = query.where(Evidence.person_id == filters.person_id)
    if filters.status:
        query = query.where(Evidence.status == filters.status)
    if filters.kind:
        query = query.where(Evidence.kind == filters.kind)
    if filters.year:
        query = query.where(Evidence.year == filters.year)
    if filters.q:
        query = query.where(
            Evidence.title.icontains(filters.q, autoescape=True) | Person.name.icontains(filters.q, autoescape=True)
        )
    # Pending ones in the order they came (first in, first verified); the rest newest first.
    order = (
        (Evidence.submitted_at, Evidence.id)
        if filters.status == "pending"
        else (Evidence.submitted_at.desc(), Evidence.id)
    )
    found = await paginate_rows(session, query.order_by(*order), page, page_size)
    return EvidencePage([_out(r) for r in found.items], found.total, found.page, found.page_size)


async def pending_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).where(Evidence.status == "pending")) or 0)


def evidence_day_choices(today: date | None = None) -> tuple[date, date]:
    """The dates a deputy may pick: from 1 January of last year to today."""
    today = today or local_today()
    return date(today.year - 1, 1, 1), today
