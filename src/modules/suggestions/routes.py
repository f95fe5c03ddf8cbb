"""`/api/v1/t/{code}/suggestions/...`: suggestion drafts (代表建议草稿), and under `.../suggestions/items`
the suggestion loop's filing and intake review (`suggestions.read` / `suggestions.write`).

Until the suggestion loop has its own permissions, drafts go with the opinions they mostly come
from: `opinions.read` to read (a deputy only their own), `opinions.write` for staff to refine them.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import Provide
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput, PermissionDenied
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.suggestions import (
    evaluation,
    filing,
    followup,
    intake,
    listing,
    public_board,
    rates,
    service,
    supervision,
    views,
    worklists,
)
from renda.modules.suggestions.common import LoopCaller, get_suggestion, load_settings, loop_caller_for, require_manage
from renda.modules.suggestions.handling_routes import HandlingController
from renda.modules.suggestions.models import Suggestion, SuggestionAttachment, SuggestionDraft
from renda.modules.suggestions.schemas import (
    AttachmentOut,
    BoardPage,
    CarryOverIn,
    CarryOverOut,
    CheckpointDoneIn,
    CheckpointIn,
    CheckpointOut,
    ConvertIn,
    CosignersIn,
    DraftIn,
    DraftOut,
    DraftPage,
    DraftPatch,
    FollowUpIn,
    FollowUpOut,
    IntakePage,
    ItemDetail,
    ItemIn,
    ItemPatch,
    KeyIn,
    KeyOut,
    MergeIn,
    MineOut,
    PublicBoardIn,
    PublicBoardOut,
    RateOut,
    RateReportOut,
    RatingIn,
    RatingOut,
    RedactionIn,
    RedactionOut,
    ReturnIn,
    SuggestionRowPage,
)
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.forms import uploaded_file

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


# --- the suggestion loop: filing and intake (提、审查) ------------------------------------------------
ITEMS = "/api/v1/t/{code:str}/suggestions/items"
LOOP_READ, LOOP_WRITE = requires("suggestions.read"), requires("suggestions.write")


@dataclass(frozen=True)
class AddressedItem:
    """The caller in the loop and the suggestion the path names, in one dependency: one the caller may
    not see (another deputy's, another office's) answers 404 before the body is read."""

    caller: LoopCaller
    suggestion: Suggestion

    @property
    def item(self) -> Suggestion:
        return self.suggestion


async def provide_loop_caller(db: AsyncSession, access: TenantAccess) -> LoopCaller:
    return await loop_caller_for(db, access)


async def provide_item(
    request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
) -> AddressedItem:
    """Locked for a change (two clicks at once take turns)."""
    caller = await loop_caller_for(db, access)
    return AddressedItem(caller, await get_suggestion(db, caller, suggestion_id, for_update=request.method != "GET"))


ITEM_DEPENDENCIES = {
    **TENANT_DEPENDENCIES,
    "loop_caller": Provide(provide_loop_caller),
    "addressed": Provide(provide_item),
}


class ItemController(Controller):
    """Filing by deputies (or staff for them), co-signing, attachments, and staff's intake review."""

    path = ITEMS
    tags = ["代表建议办理"]
    dependencies = ITEM_DEPENDENCIES

    # The list (listing.py, the rates lane): filters as query parameters, one statement per page.
    @get("/", guards=[LOOP_READ])
    async def list_items(
        self,
        db: AsyncSession,
        loop_caller: LoopCaller,
        status: str | None = None,
        kind: str | None = None,
        category: str | None = None,
        year: str | None = None,
        term_id: str | None = None,
        unit_id: str | None = None,
        unit_role: str | None = Parameter(default=None, description="lead:只看主办;co:只看协办(须同时指定 unit_id)"),
        key: str | None = Parameter(default=None, description="1:只看重点建议;0:只看非重点建议"),
        overdue: str | None = None,
        to_rate: str | None = Parameter(
            default=None, description="1:只看已答复、待领衔代表评价的(代表本人调用时只含其领衔的)"
        ),
        rating: str | None = None,
        reply_class: str | None = QueryParameter(name="class", default=None, description="答复类别 A/B/C/D"),
        q: str | None = Parameter(default=None, description="标题、编号(如 2026-0042)或领衔代表姓名"),
        page: int = 1,
        page_size: int = 20,
    ) -> SuggestionRowPage:
        params = {
            "status": status,
            "kind": kind,
            "category": category,
            "year": year,
            "term_id": term_id,
            "unit_id": unit_id,
            "unit_role": unit_role,
            "key": key,
            "overdue": overdue,
            "to_rate": to_rate,
            "rating": rating,
            "class": reply_class,
            "q": q,
        }
        today = local_today()
        found = await listing.list_suggestions(db, loop_caller, listing.parse_filter(params), page, page_size, today)
        return SuggestionRowPage(
            [listing.row_out(row, today) for row in found.items], found.total, found.page, found.page_size
        )

    @post("/", guards=[LOOP_WRITE], status_code=201)
    async def create(self, db: AsyncSession, access: TenantAccess, loop_caller: LoopCaller, data: ItemIn) -> ItemDetail:
        """A new suggestion or motion as a draft. 400 `mandate_ended` when the lead holds no live mandate
        here, `cosigner_not_in_office` for a co-signer who is not a deputy of this office."""
        fields = msgspec.structs.asdict(data)
        fields["cosigner_person_ids"] = tuple(data.cosigner_person_ids)
        suggestion = await filing.file_suggestion(db, loop_caller, access.tenant, filing.FilingIn(**fields))
        return await views.item_detail(db, loop_caller, suggestion)

    @get("/mine", guards=[LOOP_READ])
    async def mine(self, db: AsyncSession, loop_caller: LoopCaller) -> MineOut:
        """The caller's own suggestions as a deputy: those they lead and those they are asked to co-sign."""
        return await worklists.mine(db, loop_caller)

    @get("/intake", guards=[LOOP_READ])
    async def intake_queue(
        self, db: AsyncSession, loop_caller: LoopCaller, page: int = 1, page_size: int = 20
    ) -> IntakePage:
        """待审查: filed suggestions awaiting the staff's intake review, the earliest first."""
        found = await worklists.intake_queue(db, loop_caller, page, page_size)
        return IntakePage(found.items, found.total, found.page, found.page_size)

    @get("/{suggestion_id:uuid}", guards=[LOOP_READ])
    async def show(self, db: AsyncSession, addressed: AddressedItem) -> ItemDetail:
        return await views.item_detail(db, addressed.caller, addressed.item)

    @patch("/{suggestion_id:uuid}", guards=[LOOP_WRITE])
    async def update(self, db: AsyncSession, addressed: AddressedItem, data: ItemPatch) -> ItemDetail:
        """While a draft or returned for revision: the lead (or staff) changes what it says."""
        sent = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        await filing.update_suggestion(db, addressed.caller, addressed.item, sent)
        return await views.item_detail(db, addressed.caller, addressed.item)

    @post("/{suggestion_id:uuid}/cosigners", guards=[LOOP_WRITE], status_code=200)
    async def invite(
        self, db: AsyncSession, access: TenantAccess, addressed: AddressedItem, data: CosignersIn
    ) -> ItemDetail:
        """The lead invites deputies of this office to co-sign; each is notified and answers on their own
        account."""
        await filing.invite_cosigners(db, addressed.caller, access.tenant, addressed.item, data.person_ids)
        return await views.item_detail(db, addressed.caller, addressed.item)

    @post("/{suggestion_id:uuid}/cosigners/confirm", guards=[LOOP_WRITE], status_code=200)
    async def confirm(self, db: AsyncSession, addressed: AddressedItem) -> ItemDetail:
        """The caller, as an invited co-signer, confirms (only on their own account)."""
        await filing.respond_cosign(db, addressed.caller, addressed.item, confirm=True)
        return await views.item_detail(db, addressed.caller, addressed.item)

    @post("/{suggestion_id:uuid}/cosigners/decline", guards=[LOOP_WRITE], status_code=200)
    async def decline(self, db: AsyncSession, addressed: AddressedItem) -> ItemDetail:
        await filing.respond_cosign(db, addressed.caller, addressed.item, confirm=False)
        return await views.item_detail(db, addressed.caller, addressed.item)

    @delete("/{suggestion_id:uuid}/cosigners/{person_id:uuid}", guards=[LOOP_WRITE], status_code=200)
    async def remove_cosigner(self, db: AsyncSession, addressed: AddressedItem, person_id: uuid.UUID) -> ItemDetail:
        """The lead (or staff) takes a co-signer off before submission. 409 `cosigner_not_removable` once
        submitted, 404 `cosigner_not_found` for a deputy who is not a co-signer."""
        await filing.remove_cosigner(db, addressed.caller, addressed.item, person_id)
        return await views.item_detail(db, addressed.caller, addressed.item)

    @post("/{suggestion_id:uuid}/submit", guards=[LOOP_WRITE], status_code=200)
    async def submit(self, db: AsyncSession, addressed: AddressedItem) -> ItemDetail:
        """Filed with the year's number. 400 `motion_short_of_cosigners` for a motion with too few
        confirmed co-signers."""
        await filing.submit(db, addressed.caller, addressed.item)
        return await views.item_detail(db, addressed.caller, addressed.item)

    @post("/{suggestion_id:uuid}/withdraw", guards=[LOOP_WRITE], status_code=200)
    async def withdraw(self, db: AsyncSession, addressed: AddressedItem) -> ItemDetail:
        await filing.withdraw(db, addressed.caller, addressed.item)
        return await views.item_detail(db, addressed.caller, addressed.item)

    @post("/{suggestion_id:uuid}/accept", guards=[LOOP_WRITE], status_code=200)
    async def accept(self, db: AsyncSession, addressed: AddressedItem) -> ItemDetail:
        await intake.accept(db, addressed.caller, addressed.item)
        return await views.item_detail(db, addressed.caller, addressed.item)

    @post("/{suggestion_id:uuid}/merge", guards=[LOOP_WRITE], status_code=200)
    async def merge(self, db: AsyncSession, addressed: AddressedItem, data: MergeIn) -> ItemDetail:
        await intake.merge(db, addressed.caller, addressed.item, data.target_id, data.note)
        return await views.item_detail(db, addressed.caller, addressed.item)

    @post("/{suggestion_id:uuid}/return", guards=[LOOP_WRITE], status_code=200)
    async def return_for_revision(
        self, db: AsyncSession, access: TenantAccess, addressed: AddressedItem, data: ReturnIn
    ) -> ItemDetail:
        await intake.return_for_revision(db, addressed.caller, access.tenant, addressed.item, data.reason, data.note)
        return await views.item_detail(db, addressed.caller, addressed.item)

    @post("/{suggestion_id:uuid}/convert", guards=[LOOP_WRITE], status_code=200)
    async def convert(
        self, db: AsyncSession, access: TenantAccess, addressed: AddressedItem, data: ConvertIn
    ) -> ItemDetail:
        """转为群众意见: the opinion gets the suggestion's text and deputy; `item.opinion_id` names it."""
        await intake.convert(db, addressed.caller, access.tenant, addressed.item, data.note)
        return await views.item_detail(db, addressed.caller, addressed.item)

    @post("/{suggestion_id:uuid}/attachments", guards=[LOOP_WRITE], status_code=201)
    async def upload(self, db: AsyncSession, addressed: AddressedItem, request: Request) -> AttachmentOut:
        """Multipart field `data`: images, PDF or Office documents, at most 10 MB (413
        `attachment_too_large`; 400 `attachment_type`)."""
        upload = await uploaded_file(request, "data", InvalidInput("请选择要上传的文件", code="file_required"))
        a = await filing.add_attachment(db, addressed.caller, addressed.item, upload.filename, await upload.read())
        return AttachmentOut(a.id, a.filename, a.content_type, a.size, a.uploaded_by, a.created_at)

    @get("/{suggestion_id:uuid}/attachments/{attachment_id:uuid}", guards=[LOOP_READ])
    async def download(self, db: AsyncSession, addressed: AddressedItem, attachment_id: uuid.UUID) -> Response[bytes]:
        return attachment_response(await filing.get_attachment(db, addressed.item, attachment_id, with_content=True))

    @delete("/{suggestion_id:uuid}/attachments/{attachment_id:uuid}", guards=[LOOP_WRITE], status_code=204)
    async def remove_attachment(self, db: AsyncSession, addressed: AddressedItem, attachment_id: uuid.UUID) -> None:
        attachment = await filing.get_attachment(db, addressed.item, attachment_id)
        await filing.delete_attachment(db, addressed.caller, addressed.item, attachment)


def attachment_response(attachment: SuggestionAttachment) -> Response[bytes]:
    """The file as a download; the name in RFC 5987 form (Chinese names survive every browser)."""
    return Response(
        attachment.content,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(attachment.filename)}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


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
        return BoardPage(worklists.board_rows(found.items), found.total, found.page, found.page_size)

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


# --- the loop's list and rates (listing.py, rates.py) ----------------------------------------------
class SuggestionListController(Controller):
    """The office's rates (the list itself is `ItemController`'s GET: one controller per path)."""

    path = "/api/v1/t/{code:str}/suggestions"
    tags = ["代表建议"]
    dependencies = {**TENANT_DEPENDENCIES, "caller": Provide(provide_loop_caller)}

    @get("/rates", guards=[requires("reports.read")])
    async def rate_report(
        self,
        db: AsyncSession,
        caller: LoopCaller,
        by: str = Parameter(default="unit", description="unit 承办单位 / category 分类 / year 年度 / term 届次"),
        year: str | None = None,
        term_id: str | None = None,
        unit_id: str | None = None,
        category: str | None = None,
    ) -> RateReportOut:
        if not caller.full:
            raise PermissionDenied("只有本机关工作人员和上级机关可以查看办理统计", code="suggestion_rates_denied")
        grouping, filters = rates.parse_rate_filter(
            {"by": by, "year": year, "term_id": term_id, "unit_id": unit_id, "category": category}
        )
        report = await rates.rate_report(db, grouping, filters)
        return RateReportOut(
            grouping, rate_out(rates.RateRow("total", "合计", report.total)), [rate_out(r) for r in report.groups]
        )


def rate_out(row: rates.RateRow) -> RateOut:
    c = row.counts
    return RateOut(row.key, row.label, **dataclasses.asdict(c), **c.rates())


ROUTES = [
    DraftController,
    ItemController,
    HandlingController,
    EvaluationController,
    PublicBoardSettingsController,
    SuggestionListController,
]
