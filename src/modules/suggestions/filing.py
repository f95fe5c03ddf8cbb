"""Filing (提): a deputy on their own account, or staff for a deputy, writes a suggestion or a motion as a
draft, invites co-signers (each confirms or declines on their own account), adds attachments, and
submits it; it gets the year's number then. Until staff accept it, the lead may withdraw it.

The lead deputy must hold a live mandate in this office's register: the suggestion keeps that term and
mandate for good (办理工作不换届). Co-signers too are deputies with a live mandate here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from renda.core.timezone import local_today
from renda.core.uploads import ALLOWED_TYPES, MAX_FILE_BYTES, checked_file  # noqa: F401 (the pages' accept list)
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import Mandate, Person
from renda.modules.notifications import service as notifications
from renda.modules.suggestions.common import (
    CATEGORIES,
    LoopCaller,
    actor_of,
    load_settings,
    next_seq,
    number_label,
    record_step,
)
from renda.modules.suggestions.models import (
    COSIGNER_STATUSES,
    KINDS,
    Suggestion,
    SuggestionAttachment,
    SuggestionCosigner,
    SuggestionDraft,
)
from renda.tenants.scoping import TenantRef

MAX_TITLE = 200
MAX_CONTENT = 20000
EDITABLE = ("draft", "returned")  # the lead may still change the text, the co-signers and the files
WITHDRAWABLE = ("draft", "submitted", "returned")  # before staff accept it
RESPONDABLE = ("draft", "submitted", "returned")  # a co-signer may answer until it is accepted
MAX_COSIGNERS = 200

MAX_ATTACHMENT_BYTES = MAX_FILE_BYTES
MAX_ATTACHMENTS = 20


@dataclass(frozen=True)
class FilingIn:
    """What a new suggestion says; title and content may come from the draft (`draft_id`)."""

    category: str
    kind: str = "suggestion"
    title: str | None = None
    content: str | None = None
    lead_person_id: uuid.UUID | None = None
    draft_id: uuid.UUID | None = None
    during_session: bool = False
    broad: bool = False
    cosigner_person_ids: tuple[uuid.UUID, ...] = ()


# --- checks --------------------------------------------------------------------------------------
def clean_title(value: str | None) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise InvalidInput("请填写建议标题", code="title_required")
    if len(value) > MAX_TITLE:
        raise InvalidInput(f"建议标题不能超过 {MAX_TITLE} 个字", code="title_too_long")
    return value


def clean_content(value: str | None) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if not value:
        raise InvalidInput("请填写建议内容", code="content_required")
    if len(value) > MAX_CONTENT:
        raise InvalidInput(f"建议内容不能超过 {MAX_CONTENT} 个字", code="content_too_long")
    return value


def check_category(value: str) -> str:
    if value not in CATEGORIES:
        raise InvalidInput("请选择建议分类", code="invalid_category", details={"allowed": list(CATEGORIES)})
    return value


def check_kind(value: str) -> str:
    if value not in KINDS:
        raise InvalidInput("类型应为建议或议案", code="invalid_kind")
    return value


async def live_mandate(session: AsyncSession, person_id: uuid.UUID) -> Mandate | None:
    """The person's live (active: neither suspended nor ended) mandate in this office's register, the
    latest if there are several."""
    query = (
        select(Mandate)
        .where(Mandate.person_id == person_id, Mandate.status == "active")
        .order_by(Mandate.starts_on.desc(), Mandate.id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def _lead_mandate(session: AsyncSession, person_id: uuid.UUID) -> Mandate:
    if await session.get(Person, person_id) is None:
        raise InvalidInput("所选代表不在本机关的代表名册中", code="unknown_deputy")
    mandate = await live_mandate(session, person_id)
    if mandate is None:
        raise InvalidInput("该代表在本机关的代表资格已终止或暂停,不能领衔提出建议", code="mandate_ended")
    return mandate


def _lead_of(caller: LoopCaller, given: uuid.UUID | None) -> uuid.UUID:
    """Who leads: a deputy files on their own account; staff file for the deputy they name."""
    if given is not None:
        if given in caller.person_ids or caller.manage:
            return given
        raise PermissionDenied("代表只能以本人名义领衔提出建议", code="lead_not_self")
    if caller.person_ids:
        return next(iter(caller.person_ids))
    if caller.manage:
        raise InvalidInput("请选择领衔代表", code="lead_required")
    raise PermissionDenied("只有代表本人或代表工作人员可以提出建议", code="suggestions_filing_denied")


def may_edit(caller: LoopCaller, suggestion: Suggestion) -> bool:
    return caller.manage or caller.is_lead(suggestion)


def require_lead(caller: LoopCaller, suggestion: Suggestion) -> None:
    if not may_edit(caller, suggestion):
        raise PermissionDenied("只有领衔代表或代表工作人员可以进行此项操作", code="suggestions_lead_only")


def require_editable(suggestion: Suggestion) -> None:
    if suggestion.status not in EDITABLE:
        raise Conflict("建议已提交,不能再修改;如需修改请先撤回", code="suggestion_not_editable")


# --- filing ---------------------------------------------------------------------------------------
async def file_suggestion(session: AsyncSession, caller: LoopCaller, tenant: TenantRef, data: FilingIn) -> Suggestion:
    """A new suggestion or motion, as a draft of its lead deputy (from a `SuggestionDraft` if named)."""
    lead = _lead_of(caller, data.lead_person_id)
    draft = None
    if data.draft_id is not None:
        draft = await session.get(SuggestionDraft, data.draft_id)
        if draft is None or not (caller.manage or draft.deputy_person_id in caller.person_ids):
            raise InvalidInput("所选建议草稿不存在", code="draft_not_found")
        if draft.status != "draft":
            raise Conflict("该建议草稿已撤回", code="draft_withdrawn")
    mandate = await _lead_mandate(session, lead)
    suggestion = Suggestion(
        id=uuid.uuid4(),
        year=local_today().year,
        kind=check_kind(data.kind),
        during_session=data.during_session,
        broad=data.broad,
        term_id=mandate.term_id,
        lead_person_id=lead,
        lead_mandate_id=mandate.id,
        category=check_category(data.category),
        title=clean_title(data.title if data.title is not None or draft is None else draft.title),
        content=clean_content(data.content if data.content is not None or draft is None else draft.content),
        source=draft.source if draft is not None else ("deputy" if lead in caller.person_ids else "staff"),
        draft_id=draft.id if draft is not None else None,
        status="draft",
    )
    session.add(suggestion)
    await session.flush()
    record_step(session, suggestion, "created", f"{KINDS[suggestion.kind]}:{suggestion.title}")
    if data.cosigner_person_ids:
        await invite_cosigners(session, caller, tenant, suggestion, list(data.cosigner_person_ids))
    await session.flush()
    return suggestion


async def update_suggestion(
    session: AsyncSession, caller: LoopCaller, suggestion: Suggestion, changes: dict[str, object]
) -> Suggestion:
    """The lead (or staff) changes what a draft or a returned suggestion says."""
    require_lead(caller, suggestion)
    require_editable(suggestion)
    if "title" in changes:
        suggestion.title = clean_title(changes["title"])  # type: ignore[arg-type]
    if "content" in changes:
        suggestion.content = clean_content(changes["content"])  # type: ignore[arg-type]
    if "category" in changes:
        suggestion.category = check_category(changes["category"])  # type: ignore[arg-type]
    if "kind" in changes:
        suggestion.kind = check_kind(changes["kind"])  # type: ignore[arg-type]
    for flag in ("during_session", "broad"):
        if flag in changes:
            setattr(suggestion, flag, bool(changes[flag]))
    await session.flush()
    return suggestion


# --- co-signers -----------------------------------------------------------------------------------
def cosign_link(tenant: TenantRef, suggestion: Suggestion) -> str:
    return f"/t/{tenant.code}/suggestions/items/{suggestion.id}#cosign"


async def invite_cosigners(
    session: AsyncSession, caller: LoopCaller, tenant: TenantRef, suggestion: Suggestion, person_ids: list[uuid.UUID]
) -> list[SuggestionCosigner]:
    """The lead invites deputies of this office to co-sign; each is asked (and notified) once, a
    declined one may be asked again."""
    require_lead(caller, suggestion)
    require_editable(suggestion)
    wanted = list(dict.fromkeys(person_ids))
    if not wanted:
        raise InvalidInput("请选择联名代表", code="cosigners_required")
    if suggestion.lead_person_id in wanted:
        raise InvalidInput("领衔代表不必再作为联名代表", code="cosigner_is_lead")
    existing = {
        c.person_id: c
        for c in (
            await session.execute(select(SuggestionCosigner).where(SuggestionCosigner.suggestion_id == suggestion.id))
        ).scalars()
    }
    if len(existing.keys() | set(wanted)) > MAX_COSIGNERS:
        raise InvalidInput(f"联名代表不能超过 {MAX_COSIGNERS} 名", code="too_many_cosigners")
    names = dict((await session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))).all())
    asked: list[SuggestionCosigner] = []
    now = utcnow()
    for person_id in wanted:
        if person_id not in names:
            raise InvalidInput("联名代表须是本机关代表名册中的代表", code="cosigner_not_in_office")
        mandate = await live_mandate(session, person_id)
        if mandate is None:
            raise InvalidInput(
                f"{names[person_id]}在本机关的代表资格已终止或暂停,不能联名", code="cosigner_mandate_ended"
            )
        row = existing.get(person_id)
        if row is not None and row.status != "declined":
            continue
        if row is None:
            row = SuggestionCosigner(suggestion_id=suggestion.id, person_id=person_id, mandate_id=mandate.id)
            session.add(row)
        row.mandate_id, row.status, row.requested_at, row.responded_at = mandate.id, "requested", now, None
        asked.append(row)
    if not asked:
        return []
    await session.flush()
    record_step(session, suggestion, "cosign_requested", "邀请" + "、".join(names[r.person_id] for r in asked) + "联名")
    users = await deputies.user_ids_of(session, [r.person_id for r in asked])
    lead_name = await session.scalar(select(Person.name).where(Person.id == suggestion.lead_person_id))
    for row in asked:
        user_id = users.get(row.person_id)
        if user_id is None:  # a deputy who does not sign in yet: staff confirm with them in person
            continue
        await notifications.notify(
            session,
            kind="suggestion_cosign_requested",
            event_key=f"suggestion-cosign:{suggestion.id}:{row.person_id}:{now.isoformat()}",
            recipients=[user_id],
            variables={
                "name": names[row.person_id],
                "lead": lead_name or "",
                "kind": KINDS[suggestion.kind],
                "title": suggestion.title,
            },
            link=cosign_link(tenant, suggestion),
        )
    return asked


async def respond_cosign(
    session: AsyncSession, caller: LoopCaller, suggestion: Suggestion, *, confirm: bool
) -> SuggestionCosigner:
    """A co-signer confirms or declines on their own account (no one answers for them)."""
    row = None
    if caller.person_ids:
        query = select(SuggestionCosigner).where(
            SuggestionCosigner.suggestion_id == suggestion.id, SuggestionCosigner.person_id.in_(caller.person_ids)
        )
        row = (await session.execute(query.with_for_update())).scalar_one_or_none()
    if row is None:
        raise PermissionDenied("您没有被邀请联名该建议,联名须由代表本人确认", code="cosign_not_invited")
    if suggestion.status not in RESPONDABLE:
        raise Conflict("该建议已审查或已撤回,不能再确认联名", code="cosign_closed")
    status = "confirmed" if confirm else "declined"
    if row.status == status:
        return row
    if not confirm and suggestion.status == "submitted" and suggestion.kind == "motion":
        raise Conflict("议案已提交,联名代表不能再退出", code="cosign_closed")
    row.status, row.responded_at = status, utcnow()
    name = await session.scalar(select(Person.name).where(Person.id == row.person_id))
    record_step(session, suggestion, "cosigned" if confirm else "cosign_declined", name)
    await session.flush()
    return row


async def remove_cosigner(
    session: AsyncSession, caller: LoopCaller, suggestion: Suggestion, person_id: uuid.UUID
) -> None:
    """The lead (or staff) takes a co-signer off before the suggestion is submitted (a draft, or one
    returned for revision): confirmed or not, asked or declined. An unanswered request's messages that
    have not gone out are withdrawn. Once submitted, the co-signers stay with it."""
    require_lead(caller, suggestion)
    if suggestion.status not in EDITABLE:
        raise Conflict("建议已提交,不能再移除联名代表;如需调整请先撤回", code="cosigner_not_removable")
    query = select(SuggestionCosigner).where(
        SuggestionCosigner.suggestion_id == suggestion.id, SuggestionCosigner.person_id == person_id
    )
    row = (await session.execute(query.with_for_update())).scalar_one_or_none()
    if row is None:
        raise NotFound("该代表不是本建议的联名代表", code="cosigner_not_found")
    name = await session.scalar(select(Person.name).where(Person.id == person_id))
    await session.delete(row)  # through the session: the audit log records the removal and who made it
    record_step(session, suggestion, "cosigner_removed", f"{name}({COSIGNER_STATUSES[row.status]})")
    await notifications.withdraw(session, f"suggestion-cosign:{suggestion.id}:{person_id}:", "已移除联名代表")
    await session.flush()


async def confirmed_count(session: AsyncSession, suggestion: Suggestion) -> int:
    query = select(func.count()).where(
        SuggestionCosigner.suggestion_id == suggestion.id, SuggestionCosigner.status == "confirmed"
    )
    return int(await session.scalar(query) or 0)


# --- submitting and withdrawing -------------------------------------------------------------------
async def submit(session: AsyncSession, caller: LoopCaller, suggestion: Suggestion) -> Suggestion:
    """Filed: the year's number (kept when a returned one is submitted again) and the time, for intake."""
    require_lead(caller, suggestion)
    if suggestion.status not in EDITABLE:
        raise Conflict("该建议已提交或已结束,不能再提交", code="suggestion_not_submittable")
    if await live_mandate(session, suggestion.lead_person_id) is None:
        raise InvalidInput("领衔代表的代表资格已终止或暂停,不能提交", code="mandate_ended")
    if suggestion.kind == "motion":
        needed = (await load_settings(session)).motion_min_cosigners
        have = await confirmed_count(session, suggestion)
        if have < needed:
            raise InvalidInput(
                f"议案须有至少 {needed} 名代表联名,目前确认联名的有 {have} 名",
                code="motion_short_of_cosigners",
                details={"needed": needed, "confirmed": have},
            )
    again = suggestion.status == "returned"
    if suggestion.seq is None:
        suggestion.year = local_today().year
        suggestion.seq = await next_seq(session, suggestion.year)
    suggestion.filed_at = suggestion.filed_at or utcnow()
    suggestion.status = "submitted"
    suggestion.return_reason = suggestion.return_note = None
    record_step(
        session, suggestion, "submitted", f"{'修改后重新提交' if again else '提交'},编号 {number_label(suggestion)}"
    )
    await session.flush()
    return suggestion


async def withdraw(session: AsyncSession, caller: LoopCaller, suggestion: Suggestion) -> Suggestion:
    require_lead(caller, suggestion)
    if suggestion.status not in WITHDRAWABLE:
        raise Conflict("建议已审查立案或已结束,不能撤回", code="suggestion_not_withdrawable")
    suggestion.status = "withdrawn"
    record_step(session, suggestion, "withdrawn")
    await notifications.withdraw(session, f"suggestion-cosign:{suggestion.id}:", "建议已撤回")
    await session.flush()
    return suggestion


# --- attachments ----------------------------------------------------------------------------------
async def add_attachment(
    session: AsyncSession, caller: LoopCaller, suggestion: Suggestion, filename: str | None, content: bytes
) -> SuggestionAttachment:
    require_lead(caller, suggestion)
    require_editable(suggestion)
    name, content_type = checked_file(filename, content)
    count = await session.scalar(select(func.count()).where(SuggestionAttachment.suggestion_id == suggestion.id))
    if (count or 0) >= MAX_ATTACHMENTS:
        raise InvalidInput(f"每件建议最多 {MAX_ATTACHMENTS} 个附件", code="too_many_attachments")
    attachment = SuggestionAttachment(
        suggestion_id=suggestion.id,
        filename=name,
        content_type=content_type,
        size=len(content),
        content=content,
        uploaded_by=actor_of(session),
    )
    session.add(attachment)
    await session.flush()
    return attachment


async def get_attachment(
    session: AsyncSession, suggestion: Suggestion, attachment_id: uuid.UUID, *, with_content: bool = False
) -> SuggestionAttachment:
    query = select(SuggestionAttachment).where(
        SuggestionAttachment.id == attachment_id, SuggestionAttachment.suggestion_id == suggestion.id
    )
    if with_content:
        query = query.options(undefer(SuggestionAttachment.content))
    attachment = (await session.execute(query)).scalar_one_or_none()
    if attachment is None:
        raise NotFound("附件不存在", code="attachment_not_found")
    return attachment


async def delete_attachment(
    session: AsyncSession, caller: LoopCaller, suggestion: Suggestion, attachment: SuggestionAttachment
) -> None:
    require_lead(caller, suggestion)
    require_editable(suggestion)
    await session.delete(attachment)
    await session.flush()
