"""Suggestion drafts: created from an opinion, a contact or a reception, refined by the deputy or staff.

A draft is `draft` while being worked on, `withdrawn` when given up (kept, not deleted); filing one
makes a `Suggestion` of it (see `filing`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import Page, paginate
from renda.core.permissions import Role
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import Person
from renda.modules.suggestions.models import DRAFT_SOURCES, DRAFT_STATUSES, SuggestionDraft
from renda.modules.suggestions.schemas import DraftOut
from renda.tenants.scoping import TenantAccess, TenantRef

# Whose drafts a caller sees: None for all of the office's, else the deputies (persons) they are.
Reach = frozenset[uuid.UUID] | None

# Who sees every draft and who refines them: the roles that see and take the staff decisions on the
# office's opinions too (the opinions module's `Viewer` uses these sets).
FULL_ROLES = frozenset({Role.OFFICE_ADMIN, Role.STAFF, Role.COMMITTEE_MEMBER, Role.VIEWER})
MANAGE_ROLES = frozenset({Role.OFFICE_ADMIN, Role.STAFF})

MAX_TITLE = 200
MAX_CONTENT = 20000


@dataclass(frozen=True)
class Caller:
    """What one caller may see and do with the office's suggestion drafts."""

    full: bool  # sees every draft of the office
    manage: bool  # staff: creates, edits and withdraws drafts
    deputy_ids: frozenset[uuid.UUID]  # the deputies (persons) the caller is

    @property
    def reach(self) -> Reach:
        return None if self.full else self.deputy_ids


async def caller_for(session: AsyncSession, access: TenantAccess) -> Caller:
    token = access.scopes is not None
    roles = access.roles
    deputy_ids: frozenset[uuid.UUID] = frozenset()
    if Role.DEPUTY in roles:
        person = await deputies.person_of_user(session, access.principal.user_id)
        deputy_ids = frozenset({person.id}) if person is not None else frozenset()
    return Caller(
        full=token or bool(roles & FULL_ROLES),
        manage=access.can("opinions.write") and (token or bool(roles & MANAGE_ROLES)),
        deputy_ids=deputy_ids,
    )


def _actor(session: AsyncSession) -> str:
    return str(session.info.get("actor", "system"))


def _title(value: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise InvalidInput("请填写建议标题", code="title_required")
    if len(value) > MAX_TITLE:
        raise InvalidInput(f"建议标题不能超过 {MAX_TITLE} 个字", code="title_too_long")
    return value


def _content(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput("请填写建议内容", code="content_required")
    if len(value) > MAX_CONTENT:
        raise InvalidInput(f"建议内容不能超过 {MAX_CONTENT} 个字", code="content_too_long")
    return value


async def _check_deputy(session: AsyncSession, person_id: uuid.UUID | None) -> None:
    if person_id is None:
        return
    try:
        await deputies.get_person(session, person_id)
    except NotFound:
        raise InvalidInput("所选代表不在本机关的代表名册中", code="unknown_deputy") from None


async def create_draft(
    session: AsyncSession,
    tenant: TenantRef,
    *,
    deputy_person_id: uuid.UUID | None,
    title: str,
    content: str,
    source: str,
    source_id: uuid.UUID | None,
) -> SuggestionDraft:
    """A 代表建议 draft for the deputy to refine, in the caller's transaction."""
    if source not in DRAFT_SOURCES:
        raise InvalidInput("建议来源无效", code="invalid_source")
    await _check_deputy(session, deputy_person_id)
    draft = SuggestionDraft(
        deputy_person_id=deputy_person_id,
        title=_title(title),
        content=_content(content),
        source=source,
        source_id=source_id,
        status="draft",
        created_by=_actor(session),
    )
    session.add(draft)
    await session.flush()
    return draft


def _reach(reach: Reach) -> ColumnElement[bool]:
    return true() if reach is None else SuggestionDraft.deputy_person_id.in_(reach)


async def get_draft(session: AsyncSession, draft_id: uuid.UUID, reach: Reach = None) -> SuggestionDraft:
    query = select(SuggestionDraft).where(SuggestionDraft.id == draft_id, _reach(reach))
    draft = (await session.execute(query)).scalar_one_or_none()
    if draft is None:
        raise NotFound("建议草稿不存在", code="draft_not_found")
    return draft


def require_editor(manage: bool) -> None:
    """Staff refine drafts with (or for) the deputy; a deputy's own editing comes with the suggestion loop."""
    if not manage:
        raise PermissionDenied("只有代表工作人员可以修改建议草稿", code="suggestions_staff_only")


async def drafts_out(session: AsyncSession, drafts: list[SuggestionDraft]) -> list[DraftOut]:
    ids = {d.deputy_person_id for d in drafts if d.deputy_person_id}
    names = dict((await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))).all()) if ids else {}
    return [
        DraftOut(
            id=d.id,
            title=d.title,
            content=d.content,
            status=d.status,
            status_label=DRAFT_STATUSES[d.status],
            source=d.source,
            source_label=DRAFT_SOURCES[d.source],
            source_id=d.source_id,
            deputy_person_id=d.deputy_person_id,
            deputy_name=names.get(d.deputy_person_id) if d.deputy_person_id else None,
            created_by=d.created_by,
            created_at=d.created_at,
            updated_at=d.updated_at,
        )
        for d in drafts
    ]


async def drafts_from(session: AsyncSession, source: str, source_id: uuid.UUID) -> list[SuggestionDraft]:
    """The drafts made from one opinion, contact or reception record."""
    query = select(SuggestionDraft).where(SuggestionDraft.source == source, SuggestionDraft.source_id == source_id)
    return list((await session.execute(query.order_by(SuggestionDraft.created_at))).scalars())


async def update_draft(
    session: AsyncSession,
    draft: SuggestionDraft,
    *,
    title: str | None = None,
    content: str | None = None,
    deputy_person_id: uuid.UUID | None = None,
    clear_deputy: bool = False,
) -> SuggestionDraft:
    if draft.status != "draft":
        raise Conflict("已撤回的建议草稿不能修改", code="draft_withdrawn")
    if title is not None:
        draft.title = _title(title)
    if content is not None:
        draft.content = _content(content)
    if clear_deputy:
        draft.deputy_person_id = None
    elif deputy_person_id is not None:
        await _check_deputy(session, deputy_person_id)
        draft.deputy_person_id = deputy_person_id
    await session.flush()
    return draft


async def withdraw_draft(session: AsyncSession, draft: SuggestionDraft) -> SuggestionDraft:
    if draft.status == "withdrawn":
        raise Conflict("该建议草稿已撤回", code="draft_withdrawn")
    draft.status = "withdrawn"
    await session.flush()
    return draft


def _list_query(
    *, status: str | None, q: str | None, deputy_person_id: uuid.UUID | None, reach: Reach = None
) -> Select[tuple[SuggestionDraft]]:
    query = select(SuggestionDraft).where(_reach(reach))
    if status:
        if status not in DRAFT_STATUSES:
            raise InvalidInput("状态筛选无效", code="invalid_status")
        query = query.where(SuggestionDraft.status == status)
    if deputy_person_id is not None:
        query = query.where(SuggestionDraft.deputy_person_id == deputy_person_id)
    if q and q.strip():
        like = f"%{q.strip()}%"
        query = query.where(or_(SuggestionDraft.title.ilike(like), SuggestionDraft.content.ilike(like)))
    return query.order_by(SuggestionDraft.created_at.desc(), SuggestionDraft.id)


async def list_drafts(
    session: AsyncSession,
    *,
    status: str | None = None,
    q: str | None = None,
    deputy_person_id: uuid.UUID | None = None,
    reach: Reach = None,
    page: int = 1,
    page_size: int = 20,
) -> Page[SuggestionDraft]:
    query = _list_query(status=status, q=q, deputy_person_id=deputy_person_id, reach=reach)
    return await paginate(session, query, page, page_size)
