"""`/api/v1/t/{code}/suggestions/...`: suggestion drafts (代表建议草稿).

Until the suggestion loop has its own permissions, drafts go with the opinions they mostly come
from: `opinions.read` to read (a deputy only their own), `opinions.write` for staff to refine them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import msgspec
from litestar import Controller, Request, get, patch, post, put
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import requires
from renda.modules.suggestions import evaluation, followup, public_board, service, supervision
from renda.modules.suggestions import evaluation_out as views
from renda.modules.suggestions.common import LoopCaller, get_suggestion, load_settings, loop_caller_for, require_manage
from renda.modules.suggestions.handling_routes import HandlingController
from renda.modules.suggestions.models import Suggestion, SuggestionDraft
from renda.modules.suggestions.schemas import (
    BoardPage,
    CarryOverIn,
    CarryOverOut,
    CheckpointDoneIn,
    CheckpointIn,
    CheckpointOut,
    DraftIn,
    DraftOut,
    DraftPage,
    DraftPatch,
    FollowUpIn,
    FollowUpOut,
    KeyIn,
    KeyOut,
    PublicBoardIn,
    PublicBoardOut,
    RatingIn,
    RatingOut,
    RedactionIn,
    RedactionOut,
)
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess

READ, WRITE = requires("opinions.read"), requires("opinions.write")


async def provide_viewer(db: AsyncSession, access: TenantAccess) -> service.Caller:
    return await service.caller_for(db, access)


@dataclass(frozen=True)
class AddressedDraft:
    """The caller's reach and the draft the path names, in one dependency: a draft the caller may not
    see answers 404 before the body is read."""

    viewer: service.Caller
    draft: SuggestionDraft


async def provide_draft(db: AsyncSession, access: TenantAccess, draft_id: uuid.UUID) -> AddressedDraft:
    viewer = await service.caller_for(db, access)
    return AddressedDraft(viewer, await service.get_draft(db, draft_id, viewer.reach))


class DraftController(Controller):
    path = "/api/v1/t/{code:str}/suggestions"
    tags = ["代表建议"]
    dependencies = {
        **TENANT_DEPENDENCIES,
        "viewer": Provide(provide_viewer),
        "addressed": Provide(provide_draft),
    }

    @get("/", guards=[READ])
    async def list_drafts(
        self,
        db: AsyncSession,
        viewer: service.Caller,
        status: str | None = None,
        q: str | None = None,
        deputy_person_id: uuid.UUID | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> DraftPage:
        found = await service.list_drafts(
            db,
            status=status,
            q=q,
            deputy_person_id=deputy_person_id,
            reach=viewer.reach,
            page=page,
            page_size=page_size,
        )
        return DraftPage(await service.drafts_out(db, found.items), found.total, found.page, found.page_size)

    @post("/", guards=[WRITE], status_code=201)
    async def create(self, db: AsyncSession, access: TenantAccess, viewer: service.Caller, data: DraftIn) -> DraftOut:
        service.require_editor(viewer.manage)
        draft = await service.create_draft(
            db,
            access.tenant,
            deputy_person_id=data.deputy_person_id,
            title=data.title,
            content=data.content,
            source="staff",
            source_id=None,
        )
        return (await service.drafts_out(db, [draft]))[0]

    @get("/{draft_id:uuid}", guards=[READ])
    async def show(self, db: AsyncSession, addressed: AddressedDraft) -> DraftOut:
        return (await service.drafts_out(db, [addressed.draft]))[0]

    @patch("/{draft_id:uuid}", guards=[WRITE])
    async def update(self, db: AsyncSession, addressed: AddressedDraft, data: DraftPatch) -> DraftOut:
        service.require_editor(addressed.viewer.manage)
        sent = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        draft = await service.update_draft(
            db,
            addressed.draft,
            title=sent.get("title"),
            content=sent.get("content"),
            deputy_person_id=sent.get("deputy_person_id"),
            clear_deputy="deputy_person_id" in sent and sent["deputy_person_id"] is None,
        )
        return (await service.drafts_out(db, [draft]))[0]

    @post("/{draft_id:uuid}/withdraw", guards=[WRITE], status_code=200)
    async def withdraw(self, db: AsyncSession, addressed: AddressedDraft) -> DraftOut:
        service.require_editor(addressed.viewer.manage)
        return (await service.drafts_out(db, [await service.withdraw_draft(db, addressed.draft)]))[0]


ROUTES = [DraftController, HandlingController]


# --- evaluation, follow-up, supervision, the public board: /suggestions/items/… ---------------------
LOOP_READ, LOOP_WRITE = requires("suggestions.read"), requires("suggestions.write")


@dataclass(frozen=True)
class AddressedItem:
    """The caller in the loop and the suggestion the path names (locked for a write): 404 before the
    body is read when the caller may not see it."""

    caller: LoopCaller
    suggestion: Suggestion


async def provide_loop_caller(db: AsyncSession, access: TenantAccess) -> LoopCaller:
    return await loop_caller_for(db, access)


async def provide_item(
    request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
) -> AddressedItem:
    caller = await loop_caller_for(db, access)
    found = await get_suggestion(db, caller, suggestion_id, for_update=request.method != "GET")
    return AddressedItem(caller, found)


class EvaluationController(Controller):
    path = "/api/v1/t/{code:str}/suggestions/items"
    tags = ["代表建议"]
    dependencies = {
        **TENANT_DEPENDENCIES,
        "loop_caller": Provide(provide_loop_caller),
        "item": Provide(provide_item),
    }

    @get("/{suggestion_id:uuid}/rating", guards=[LOOP_READ])
    async def rating(self, item: AddressedItem) -> RatingOut:
        """The rating of the current round, as the deputy, the staff and the unit see it (never edited)."""
        return views.rating_out(item.suggestion)

    @post("/{suggestion_id:uuid}/rating", guards=[LOOP_WRITE], status_code=200)
    async def rate(self, db: AsyncSession, item: AddressedItem, data: RatingIn) -> RatingOut:
        """The lead deputy's rating: satisfied / basic close it; dissatisfied opens a second round."""
        await evaluation.rate(db, item.caller, item.suggestion, data.rating, data.comment)
        return views.rating_out(item.suggestion)

    @get("/{suggestion_id:uuid}/follow-ups", guards=[LOOP_READ])
    async def follow_ups(self, db: AsyncSession, item: AddressedItem) -> list[FollowUpOut]:
        entries = await followup.follow_ups_of(db, item.suggestion)
        return [views.follow_up_out(e, item.suggestion) for e in entries]

    @post("/{suggestion_id:uuid}/follow-ups", guards=[LOOP_WRITE], status_code=201)
    async def add_follow_up(self, db: AsyncSession, item: AddressedItem, data: FollowUpIn) -> FollowUpOut:
        entry = await followup.record_follow_up(
            db, item.caller, item.suggestion, checked_on=data.checked_on, progress=data.progress, resolved=data.resolved
        )
        return views.follow_up_out(entry, item.suggestion)

    @post("/carry-over", guards=[LOOP_WRITE], status_code=200)
    async def carry_over(self, db: AsyncSession, loop_caller: LoopCaller, data: CarryOverIn) -> CarryOverOut:
        """滚动办理 by hand (the yearly job does it on 1 January)."""
        require_manage(loop_caller)
        followup.check_year(data.year)
        return CarryOverOut(data.year, await followup.carry_over(db, data.year))

    @get("/{suggestion_id:uuid}/key", guards=[LOOP_READ])
    async def key(self, db: AsyncSession, item: AddressedItem) -> KeyOut:
        return await views.key_out(db, item.suggestion)

    @put("/{suggestion_id:uuid}/key", guards=[LOOP_WRITE])
    async def set_key(self, db: AsyncSession, item: AddressedItem, data: KeyIn) -> KeyOut:
        await supervision.set_key(
            db,
            item.caller,
            item.suggestion,
            is_key=data.is_key,
            leader_name=data.leader_name,
            leader_title=data.leader_title,
        )
        return await views.key_out(db, item.suggestion)

    @post("/{suggestion_id:uuid}/checkpoints", guards=[LOOP_WRITE], status_code=200)
    async def set_checkpoint(self, db: AsyncSession, item: AddressedItem, data: CheckpointIn) -> CheckpointOut:
        found = await supervision.set_checkpoint(db, item.caller, item.suggestion, stage=data.stage, due_on=data.due_on)
        return views.checkpoint_out(found)

    @post("/{suggestion_id:uuid}/checkpoints/{checkpoint_id:uuid}/done", guards=[LOOP_WRITE], status_code=200)
    async def complete_checkpoint(
        self, db: AsyncSession, item: AddressedItem, checkpoint_id: uuid.UUID, data: CheckpointDoneIn
    ) -> CheckpointOut:
        checkpoint = await supervision.get_checkpoint(db, item.suggestion, checkpoint_id)
        done = await supervision.complete_checkpoint(
            db, item.caller, item.suggestion, checkpoint, done_on=data.done_on, note=data.note
        )
        return views.checkpoint_out(done)

    @get("/board", guards=[LOOP_READ])
    async def board(
        self,
        db: AsyncSession,
        loop_caller: LoopCaller,
        year: int | None = None,
        status: str | None = None,
        key: bool | None = None,
        follow_up: bool = False,
        overdue: bool = False,
        page: int = 1,
        page_size: int = 50,
    ) -> BoardPage:
        """督办台账: every item of the office (the offices above read it here too)."""
        chosen = supervision.BoardFilter(year=year, status=status, key=key, follow_up=follow_up, overdue=overdue)
        found = await supervision.board(db, loop_caller, chosen, page, page_size)
        return BoardPage(views.board_rows(found.items), found.total, found.page, found.page_size)

    @put("/{suggestion_id:uuid}/public", guards=[LOOP_WRITE])
    async def redact(self, db: AsyncSession, item: AddressedItem, data: RedactionIn) -> RedactionOut:
        found = await public_board.set_redaction(db, item.caller, item.suggestion, hidden=data.hidden, title=data.title)
        return RedactionOut(found.id, found.public_hidden, found.public_title)


class PublicBoardSettingsController(Controller):
    path = "/api/v1/t/{code:str}/suggestions/settings/public-board"
    tags = ["代表建议"]
    dependencies = {**TENANT_DEPENDENCIES, "loop_caller": Provide(provide_loop_caller)}

    @get("/", guards=[LOOP_READ])
    async def show(self, db: AsyncSession) -> PublicBoardOut:
        settings = await load_settings(db)
        return PublicBoardOut(settings.public_board, list(settings.public_fields))

    @put("/", guards=[LOOP_WRITE])
    async def update(self, db: AsyncSession, loop_caller: LoopCaller, data: PublicBoardIn) -> PublicBoardOut:
        settings = await public_board.set_board(db, loop_caller, enabled=data.enabled, fields=data.fields)
        return PublicBoardOut(settings.public_board, list(settings.public_fields))


ROUTES += [EvaluationController, PublicBoardSettingsController]
