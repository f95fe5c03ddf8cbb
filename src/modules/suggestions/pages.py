"""Staff pages of the suggestion drafts: `/t/{code}/suggestions` (list, new) and one draft (edit, withdraw);
the loop's filing and intake pages under `/t/{code}/suggestions/items`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError, InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import MAX_PAGE
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.exports import service as exports
from renda.modules.suggestions import (
    detail,
    evaluation,
    filing,
    followup,
    intake,
    listing,
    public_board,
    rates,
    service,
    supervision,
)
from renda.modules.suggestions import evaluation_out as views
from renda.modules.suggestions.common import (
    CATEGORIES,
    LoopCaller,
    get_suggestion,
    load_settings,
    loop_caller_for,
    number_label,
)
from renda.modules.suggestions.detail import deputy_choices, merge_targets
from renda.modules.suggestions.exports import LIST_KIND, RATES_KIND
from renda.modules.suggestions.handling_pages import SuggestionHandlingPages
from renda.modules.suggestions.models import (
    CHECKPOINT_STAGES,
    DRAFT_STATUSES,
    FOLLOW_UP_STATUSES,
    KINDS,
    RATINGS,
    REPLY_CLASSES,
    RETURN_REASONS,
    STATUSES,
    Suggestion,
    SuggestionStep,
)
from renda.modules.suggestions.routes import attachment_response
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.actions import page_again, run_form_action
from renda.web.forms import Form, form_value, form_values, uploaded_file
from renda.web.pages import shell_context

READ, WRITE = requires("opinions.read"), requires("opinions.write")
PAGE_SIZE = 30


def _person(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput("所选代表无效", code="unknown_deputy") from None


class SuggestionPages(Controller):
    path = "/t/{code:str}/suggestions"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    async def _list(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        viewer = await service.caller_for(db, access)
        params = request.query_params
        chosen = params.get("status") or None
        if chosen not in DRAFT_STATUSES:
            chosen = None
        raw_page = params.get("page", "1")
        page = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
        found = await service.list_drafts(
            db, status=chosen, q=params.get("q"), reach=viewer.reach, page=page, page_size=PAGE_SIZE
        )
        context = {
            **await shell_context(request, access),
            "page": found,
            "items": await service.drafts_out(db, found.items),
            "statuses": DRAFT_STATUSES,
            "filters": {"status": chosen or "", "q": params.get("q") or ""},
            "can_edit": viewer.manage,
            "form": {},
            **extra,
        }
        return Template("suggestions/list.html", context=context, status_code=status)

    @get("/", guards=[READ])
    async def drafts(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._list(request, db, access)

    @post("/", guards=[WRITE])
    async def create(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        try:
            service.require_editor((await service.caller_for(db, access)).manage)
            draft = await service.create_draft(
                db,
                access.tenant,
                deputy_person_id=_person(form_value(data, "deputy_person_id")),
                title=form_value(data, "title") or "",
                content=form_value(data, "content") or "",
                source="staff",
                source_id=None,
            )
        except AppError as error:
            await db.rollback()
            return await self._list(request, db, access, status=error.status_code, error=error.message, form=data)
        return Redirect(f"/t/{access.tenant.code}/suggestions/{draft.id}")

    async def _detail(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        draft_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        viewer = await service.caller_for(db, access)
        draft = await service.get_draft(db, draft_id, viewer.reach)
        context = {
            **await shell_context(request, access),
            "d": (await service.drafts_out(db, [draft]))[0],
            "can_edit": viewer.manage and draft.status == "draft",
            **extra,
        }
        return Template("suggestions/detail.html", context=context, status_code=status)

    @get("/{draft_id:uuid}", guards=[READ])
    async def draft(self, request: Request, db: AsyncSession, access: TenantAccess, draft_id: uuid.UUID) -> Template:
        return await self._detail(request, db, access, draft_id)

    @post("/{draft_id:uuid}/edit", guards=[WRITE])
    async def edit(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        draft_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        viewer = await service.caller_for(db, access)
        draft = await service.get_draft(db, draft_id, viewer.reach)
        try:
            service.require_editor(viewer.manage)
            deputy = _person(form_value(data, "deputy_person_id"))
            await service.update_draft(
                db,
                draft,
                title=form_value(data, "title") or "",
                content=form_value(data, "content") or "",
                deputy_person_id=deputy,
                clear_deputy="deputy_person_id" in data and deputy is None,
            )
        except AppError as error:
            await db.rollback()
            return await self._detail(request, db, access, draft_id, status=error.status_code, error=error.message)
        return Redirect(f"/t/{access.tenant.code}/suggestions/{draft_id}")

    @post("/{draft_id:uuid}/withdraw", guards=[WRITE])
    async def withdraw(
        self, request: Request, db: AsyncSession, access: TenantAccess, draft_id: uuid.UUID
    ) -> Template | Redirect:
        viewer = await service.caller_for(db, access)
        draft = await service.get_draft(db, draft_id, viewer.reach)
        try:
            service.require_editor(viewer.manage)
            await service.withdraw_draft(db, draft)
        except AppError as error:
            await db.rollback()
            return await self._detail(request, db, access, draft_id, status=error.status_code, error=error.message)
        return Redirect(f"/t/{access.tenant.code}/suggestions/{draft_id}")


# --- evaluation, follow-up, supervision: /t/{code}/suggestions/items/… -------------------------------
LOOP_READ, LOOP_WRITE = requires("suggestions.read"), requires("suggestions.write")
BOARD_PAGE_SIZE = 50
BOARD_VIEWS = {"all": "全部", "key": "重点建议", "follow_up": "回头看", "overdue": "已逾期"}


def _date(value: str | None, what: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise InvalidInput(f"请填写正确的{what}", code="invalid_date") from None


class EvaluationPages(Controller):
    """The deputy's rating page (a phone from the notification), the staff's supervision page of one
    suggestion (key, checkpoints, 回头看, public board) and the status board."""

    path = "/t/{code:str}/suggestions/items"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    async def _item(
        self, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID, *, lock: bool = False
    ) -> tuple[LoopCaller, Suggestion]:
        caller = await loop_caller_for(db, access)
        return caller, await get_suggestion(db, caller, suggestion_id, for_update=lock)

    # --- the deputy's rating -------------------------------------------------------------------------
    async def _rate_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        caller, found = await self._item(db, access, suggestion_id)
        try:
            evaluation.check_may_rate(caller, found, local_today())
            may_rate, why_not = True, None
        except AppError as error:
            may_rate, why_not = False, error.message
        context = {
            **await shell_context(request, access),
            **await evaluation_view(db, found),
            "may_rate": may_rate,
            "why_not": why_not,
            "ratings": RATINGS,
            **extra,
        }
        return Template("suggestions/rate.html", context=context, status_code=status)

    @get("/{suggestion_id:uuid}/rate", guards=[LOOP_READ])
    async def rate_page(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
    ) -> Template:
        return await self._rate_page(
            request, db, access, suggestion_id, just_rated=request.query_params.get("rated") == "1"
        )

    @post("/{suggestion_id:uuid}/rate", guards=[LOOP_WRITE])
    async def rate(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        caller, found = await self._item(db, access, suggestion_id, lock=True)
        try:
            await evaluation.rate(db, caller, found, form_value(data, "rating") or "", form_value(data, "comment"))
        except AppError as error:
            await db.rollback()
            return await self._rate_page(
                request, db, access, suggestion_id, status=error.status_code, error=error.message
            )
        return Redirect(f"/t/{access.tenant.code}/suggestions/items/{suggestion_id}/rate?rated=1")

    # --- the staff's supervision of one suggestion ---------------------------------------------------
    async def _supervision(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        caller, found = await self._item(db, access, suggestion_id)
        context = {
            **await shell_context(request, access),
            **await evaluation_view(db, found),
            "manage": caller.manage,
            "key": await views.key_out(db, found),
            "follow_ups": await followup.follow_ups_of(db, found),
            "stages": CHECKPOINT_STAGES,
            "today": local_today(),
            **extra,
        }
        return Template("suggestions/supervision.html", context=context, status_code=status)

    @get("/{suggestion_id:uuid}/supervision", guards=[LOOP_READ])
    async def supervision_page(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
    ) -> Template:
        return await self._supervision(request, db, access, suggestion_id)

    async def _act(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        act: Callable[[LoopCaller, Suggestion], Awaitable[object]],
    ) -> Template | Redirect:
        caller, found = await self._item(db, access, suggestion_id, lock=True)
        try:
            await act(caller, found)
        except AppError as error:
            await db.rollback()
            return await self._supervision(
                request, db, access, suggestion_id, status=error.status_code, error=error.message
            )
        return Redirect(f"/t/{access.tenant.code}/suggestions/items/{suggestion_id}/supervision")

    @post("/{suggestion_id:uuid}/key", guards=[LOOP_WRITE])
    async def set_key(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def act(caller: LoopCaller, found: Suggestion) -> object:
            return await supervision.set_key(
                db,
                caller,
                found,
                is_key=form_value(data, "is_key") == "1",
                leader_name=form_value(data, "leader_name"),
                leader_title=form_value(data, "leader_title"),
            )

        return await self._act(request, db, access, suggestion_id, act)

    @post("/{suggestion_id:uuid}/checkpoints", guards=[LOOP_WRITE])
    async def set_checkpoint(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def act(caller: LoopCaller, found: Suggestion) -> object:
            due = _date(form_value(data, "due_on"), "节点日期")
            return await supervision.set_checkpoint(
                db, caller, found, stage=form_value(data, "stage") or "", due_on=due
            )

        return await self._act(request, db, access, suggestion_id, act)

    @post("/{suggestion_id:uuid}/checkpoints/{checkpoint_id:uuid}/done", guards=[LOOP_WRITE])
    async def complete_checkpoint(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        checkpoint_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def act(caller: LoopCaller, found: Suggestion) -> object:
            checkpoint = await supervision.get_checkpoint(db, found, checkpoint_id)
            done_on = _date(form_value(data, "done_on"), "完成日期")
            return await supervision.complete_checkpoint(
                db, caller, found, checkpoint, done_on=done_on, note=form_value(data, "note")
            )

        return await self._act(request, db, access, suggestion_id, act)

    @post("/{suggestion_id:uuid}/follow-ups", guards=[LOOP_WRITE])
    async def add_follow_up(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def act(caller: LoopCaller, found: Suggestion) -> object:
            return await followup.record_follow_up(
                db,
                caller,
                found,
                checked_on=_date(form_value(data, "checked_on"), "回头看日期"),
                progress=form_value(data, "progress") or "",
                resolved=form_value(data, "resolved") == "1",
            )

        return await self._act(request, db, access, suggestion_id, act)

    @post("/{suggestion_id:uuid}/public", guards=[LOOP_WRITE])
    async def redact(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def act(caller: LoopCaller, found: Suggestion) -> object:
            return await public_board.set_redaction(
                db, caller, found, hidden=form_value(data, "hidden") == "1", title=form_value(data, "title")
            )

        return await self._act(request, db, access, suggestion_id, act)

    # --- the status board ----------------------------------------------------------------------------
    async def _board(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await loop_caller_for(db, access)
        params = request.query_params
        view = params.get("view") if params.get("view") in BOARD_VIEWS else "all"
        raw_year, raw_page = params.get("year", ""), params.get("page", "1")
        year = int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else None
        page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 100_000 else 1
        chosen = supervision.BoardFilter(
            year=year,
            key=True if view == "key" else None,
            follow_up=view == "follow_up",
            overdue=view == "overdue",
        )
        found = await supervision.board(db, caller, chosen, page, BOARD_PAGE_SIZE)
        settings = await load_settings(db) if caller.manage else None
        context = {
            **await shell_context(request, access),
            "rows": views.board_rows(found.items),
            "page": found,
            "view": view,
            "views": BOARD_VIEWS,
            "year": year or "",
            "manage": caller.manage,
            "read_only": access.read_only,
            "settings": settings,
            "public_fields": public_board.PUBLIC_FIELDS,
            **extra,
        }
        return Template("suggestions/board.html", context=context, status_code=status)

    @get("/board", guards=[LOOP_READ])
    async def board(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._board(request, db, access)

    @post("/public-board", guards=[LOOP_WRITE])
    async def public_board_settings(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        try:
            caller = await loop_caller_for(db, access)
            await public_board.set_board(
                db, caller, enabled=form_value(data, "enabled") == "1", fields=form_values(data, "fields")
            )
        except AppError as error:
            await db.rollback()
            return await self._board(request, db, access, status=error.status_code, error=error.message)
        return Redirect(f"/t/{access.tenant.code}/suggestions/items/board")


async def evaluation_view(session: AsyncSession, suggestion: Suggestion) -> dict[str, Any]:
    """What `suggestions/_evaluation.html` shows of one suggestion (as `ev`, for any page that includes
    it; this part's own pages also read the keys directly): the rating of this round, and the earlier
    rounds' replies and ratings from the timeline."""
    earlier = await session.execute(
        select(SuggestionStep)
        .where(SuggestionStep.suggestion_id == suggestion.id, SuggestionStep.kind.in_(("rated", "second_round")))
        .order_by(SuggestionStep.created_at)
    )
    view = {
        "s": suggestion,
        "number": number_label(suggestion),
        "status_label": STATUSES[suggestion.status],
        "reply_classes": REPLY_CLASSES,
        "ratings": RATINGS,
        "follow_up_label": FOLLOW_UP_STATUSES[suggestion.follow_up],
        "rounds": list(earlier.scalars()),
    }
    return {**view, "ev": view}


# --- the suggestion loop: filing and intake (提、审查) ------------------------------------------------
FORM_FIELDS = ("category", "kind", "title", "content")


def _flag(data: Form, key: str) -> bool:
    return form_value(data, key) in ("1", "on", "true")


def _uuids(values: list[str], what: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values]
    except ValueError:
        raise InvalidInput(f"所选{what}无效", code="validation_error") from None


class ItemPages(Controller):
    """Deputies' phone-first pages (我的建议, a new suggestion, co-signing in one tap) and the staff's
    intake queue (待审查); one suggestion's page (`suggestions/item.html`) serves everyone."""

    path = "/t/{code:str}/suggestions/items"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    def _base(self, access: TenantAccess) -> str:
        return f"/t/{access.tenant.code}/suggestions/items"

    @get("/mine", guards=[LOOP_READ])
    async def mine(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        caller = await loop_caller_for(db, access)
        found = await detail.mine(db, caller)
        context = {
            **await shell_context(request, access),
            "led": found.led,
            "asked": [r for r in found.cosigning if r.cosign_status == "requested" and r.status in filing.RESPONDABLE],
            "cosigning": found.cosigning,
            "drafts": await detail.drafts_to_file(db, caller),
            "is_deputy": bool(caller.person_ids),
            "can_intake": caller.manage,
        }
        return Template("suggestions/mine.html", context=context)

    async def _new(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await loop_caller_for(db, access)
        form: dict[str, Any] = extra.pop("form", None) or {}
        draft_id = request.query_params.get("draft_id") or form.get("draft_id")
        if draft_id and not form.get("title"):
            try:
                draft = await service.get_draft(db, uuid.UUID(draft_id), None if caller.manage else caller.person_ids)
                form = {**form, "title": draft.title, "content": draft.content, "draft_id": str(draft.id)}
            except (ValueError, AppError):
                draft_id = None
        context = {
            **await shell_context(request, access),
            "categories": CATEGORIES,
            "kinds": KINDS,
            "form": form,
            "deputies": await deputy_choices(db) if caller.manage else [],
            "is_deputy": bool(caller.person_ids),
            "can_file": caller.manage or bool(caller.person_ids),
            **extra,
        }
        return Template("suggestions/new.html", context=context, status_code=status)

    @get("/new", guards=[LOOP_READ])
    async def new(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._new(request, db, access)

    @post("/new", guards=[LOOP_WRITE])
    async def create(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> Any:
            caller = await loop_caller_for(db, access)
            lead = _uuids(form_values(data, "lead_person_id"), "领衔代表")
            draft = _uuids(form_values(data, "draft_id"), "建议草稿")
            return await filing.file_suggestion(
                db,
                caller,
                access.tenant,
                filing.FilingIn(
                    category=form_value(data, "category") or "",
                    kind=form_value(data, "kind") or "suggestion",
                    title=form_value(data, "title") or "",
                    content=form_value(data, "content") or "",
                    lead_person_id=lead[0] if lead else None,
                    draft_id=draft[0] if draft else None,
                    during_session=_flag(data, "during_session"),
                    broad=_flag(data, "broad"),
                ),
            )

        kept = {k: form_value(data, k) for k in (*FORM_FIELDS, "lead_person_id", "draft_id")}
        return await run_form_action(
            db,
            action,
            redirect_to=lambda made: f"{self._base(access)}/{made.id}",
            on_error=page_again(self._new, request, db, access, form=kept),
        )

    @get("/intake", guards=[LOOP_READ])
    async def intake_queue(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        caller = await loop_caller_for(db, access)
        raw = request.query_params.get("page", "1")
        page = int(raw) if raw.isdigit() and 0 < int(raw) < 100000 else 1
        found = await detail.intake_queue(db, caller, page, 30)
        context = {**await shell_context(request, access), "page": found, "can_intake": caller.manage}
        return Template("suggestions/intake.html", context=context)

    async def _item(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        caller = await loop_caller_for(db, access)
        suggestion = await get_suggestion(db, caller, suggestion_id)
        d = await detail.item_detail(db, caller, suggestion)
        context = {
            **await shell_context(request, access),
            "d": d,
            "s": d.item,
            "categories": CATEGORIES,
            "kinds": KINDS,
            "return_reasons": RETURN_REASONS,
            "max_mb": filing.MAX_ATTACHMENT_BYTES // (1024 * 1024),
            "accept_types": ",".join(f".{e}" for e in filing.ALLOWED_TYPES),
            "deputies": await deputy_choices(db, exclude=suggestion.lead_person_id) if "invite" in d.actions else [],
            "merge_targets": await merge_targets(db, caller, suggestion) if "merge" in d.actions else [],
            "base": self._base(access),
            **extra,
        }
        return Template("suggestions/item.html", context=context, status_code=status)

    @get("/{suggestion_id:uuid}", guards=[LOOP_READ])
    async def item(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
    ) -> Template:
        return await self._item(request, db, access, suggestion_id)

    async def _act(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        action: Callable[[LoopCaller, Suggestion], Awaitable[Any]],
    ) -> Template | Redirect:
        caller = await loop_caller_for(db, access)
        suggestion = await get_suggestion(db, caller, suggestion_id, for_update=True)
        return await run_form_action(
            db,
            lambda: action(caller, suggestion),
            redirect_to=f"{self._base(access)}/{suggestion_id}",
            on_error=page_again(self._item, request, db, access, suggestion_id),
        )

    @post("/{suggestion_id:uuid}/edit", guards=[LOOP_WRITE])
    async def edit(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            changes: dict[str, object] = {k: form_value(data, k) or "" for k in FORM_FIELDS if k in data}
            changes |= {k: _flag(data, k) for k in ("during_session", "broad")}
            await filing.update_suggestion(db, caller, suggestion, changes)

        return await self._act(request, db, access, suggestion_id, action)

    @post("/{suggestion_id:uuid}/cosigners", guards=[LOOP_WRITE])
    async def invite(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            people = _uuids(form_values(data, "person_ids"), "联名代表")
            await filing.invite_cosigners(db, caller, access.tenant, suggestion, people)

        return await self._act(request, db, access, suggestion_id, action)

    @post("/{suggestion_id:uuid}/cosigners/confirm", guards=[LOOP_WRITE])
    async def confirm(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            await filing.respond_cosign(db, caller, suggestion, confirm=True)

        return await self._act(request, db, access, suggestion_id, action)

    @post("/{suggestion_id:uuid}/cosigners/decline", guards=[LOOP_WRITE])
    async def decline(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            await filing.respond_cosign(db, caller, suggestion, confirm=False)

        return await self._act(request, db, access, suggestion_id, action)

    @post("/{suggestion_id:uuid}/cosigners/{person_id:uuid}/remove", guards=[LOOP_WRITE])
    async def remove_cosigner(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID, person_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            await filing.remove_cosigner(db, caller, suggestion, person_id)

        return await self._act(request, db, access, suggestion_id, action)

    @post("/{suggestion_id:uuid}/submit", guards=[LOOP_WRITE])
    async def submit(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            await filing.submit(db, caller, suggestion)

        return await self._act(request, db, access, suggestion_id, action)

    @post("/{suggestion_id:uuid}/withdraw", guards=[LOOP_WRITE])
    async def withdraw(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            await filing.withdraw(db, caller, suggestion)

        return await self._act(request, db, access, suggestion_id, action)

    @post("/{suggestion_id:uuid}/accept", guards=[LOOP_WRITE])
    async def accept(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            await intake.accept(db, caller, suggestion)

        return await self._act(request, db, access, suggestion_id, action)

    @post("/{suggestion_id:uuid}/merge", guards=[LOOP_WRITE])
    async def merge(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            target = _uuids(form_values(data, "target_id"), "并入的建议")
            if not target:
                raise InvalidInput("请选择要并入的建议", code="validation_error")
            await intake.merge(db, caller, suggestion, target[0], form_value(data, "note"))

        return await self._act(request, db, access, suggestion_id, action)

    @post("/{suggestion_id:uuid}/return", guards=[LOOP_WRITE])
    async def return_for_revision(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            reason, note = form_value(data, "reason") or "", form_value(data, "note")
            await intake.return_for_revision(db, caller, access.tenant, suggestion, reason, note)

        return await self._act(request, db, access, suggestion_id, action)

    @post("/{suggestion_id:uuid}/convert", guards=[LOOP_WRITE])
    async def convert(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            await intake.convert(db, caller, access.tenant, suggestion, form_value(data, "note"))

        return await self._act(request, db, access, suggestion_id, action)

    @post("/{suggestion_id:uuid}/attachments", guards=[LOOP_WRITE])
    async def upload(
        self, request: Request, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            upload = await uploaded_file(request, "file", InvalidInput("请选择要上传的文件", code="file_required"))
            await filing.add_attachment(db, caller, suggestion, upload.filename, await upload.read())

        return await self._act(request, db, access, suggestion_id, action)

    @get("/{suggestion_id:uuid}/attachments/{attachment_id:uuid}", guards=[LOOP_READ])
    async def download(
        self, db: AsyncSession, access: TenantAccess, suggestion_id: uuid.UUID, attachment_id: uuid.UUID
    ) -> Response[bytes]:
        suggestion = await get_suggestion(db, await loop_caller_for(db, access), suggestion_id)
        return attachment_response(await filing.get_attachment(db, suggestion, attachment_id, with_content=True))

    @post("/{suggestion_id:uuid}/attachments/{attachment_id:uuid}/remove", guards=[LOOP_WRITE])
    async def remove_attachment(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        suggestion_id: uuid.UUID,
        attachment_id: uuid.UUID,
    ) -> Template | Redirect:
        async def action(caller: LoopCaller, suggestion: Suggestion) -> None:
            attachment = await filing.get_attachment(db, suggestion, attachment_id)
            await filing.delete_attachment(db, caller, suggestion, attachment)

        return await self._act(request, db, access, suggestion_id, action)


# --- the loop's list and rates (listing.py, rates.py) ----------------------------------------------
class SuggestionListPages(Controller):
    """The list of suggestions (cards, so it reads on a phone) with its filters as pickers, the rates
    report, and their Excel exports."""

    path = "/t/{code:str}/suggestions"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    async def _items(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await service.loop_caller_for(db, access)
        params = {k: request.query_params.get(k) or "" for k in listing.FILTER_KEYS}
        raw_page = request.query_params.get("page", "1")
        page = min(int(raw_page), MAX_PAGE) if raw_page.isdigit() and int(raw_page) > 0 else 1
        try:
            filters = listing.parse_filter(params)
        except InvalidInput as error:
            filters, extra["error"] = listing.SuggestionFilter(), error.message
        today = local_today()
        found = await listing.list_suggestions(db, caller, filters, page, PAGE_SIZE, today)
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "page": found,
            "items": [listing.row_out(row, today) for row in found.items],
            "filters": params,
            "caller": caller,
            "choices": await listing.choices(db),
            "statuses": listing.STATUS_FILTERS,
            "kinds": KINDS,
            "categories": CATEGORIES,
            "unit_roles": listing.UNIT_ROLE_FILTERS,
            "ratings": RATINGS,
            "classes": REPLY_CLASSES,
            "query": urlencode({k: v for k, v in params.items() if v}),
            "can_export": caller.full and access.can("exports.write"),
            "can_rates": caller.full and access.can("reports.read"),
        }
        await _export_notice(db, request, context)
        context.update(extra)
        return Template("suggestions/items.html", context=context, status_code=status)

    @get("/items", guards=[requires("suggestions.read")])
    async def items(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._items(request, db, access)

    @post("/items/export", guards=[requires("exports.write")])
    async def export_items(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Excel of the list as filtered on the page, built in the background."""

        async def request_export() -> Any:
            if not (await service.loop_caller_for(db, access)).full:
                raise InvalidInput("只能由工作人员导出本机关的代表建议", code="export_not_allowed")
            params = {k: form_value(data, k) for k in listing.FILTER_KEYS}
            listing.parse_filter(params)  # refuse a bad filter now rather than in the worker
            return await exports.request_export(db, access, LIST_KIND, {k: v for k, v in params.items() if v})

        return await run_form_action(
            db,
            request_export,
            redirect_to=lambda export: f"/t/{access.tenant.code}/suggestions/items?export={export.id}",
            on_error=page_again(self._items, request, db, access),
        )

    async def _rates(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await service.loop_caller_for(db, access)
        if not caller.full:
            raise PermissionDenied("只有本机关工作人员和上级机关可以查看办理统计", code="suggestion_rates_denied")
        params = {k: request.query_params.get(k) or "" for k in RATE_KEYS}
        try:
            by, filters = rates.parse_rate_filter(params)
        except InvalidInput as error:
            (by, filters), extra["error"] = ("unit", rates.RateFilter()), error.message
        params["by"] = by
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "report": await rates.rate_report(db, by, filters),
            "filters": params,
            "groupings": rates.GROUPINGS,
            "rate_labels": rates.RATE_LABELS,
            "choices": await listing.choices(db),
            "categories": CATEGORIES,
            "can_export": access.can("exports.write"),
        }
        await _export_notice(db, request, context)
        context.update(extra)
        return Template("suggestions/rates.html", context=context, status_code=status)

    @get("/rates", guards=[requires("reports.read")])
    async def rate_page(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._rates(request, db, access)

    @post("/rates/export", guards=[requires("exports.write")])
    async def export_rates(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def request_export() -> Any:
            if not access.can("reports.read"):
                raise PermissionDenied("您无权导出办理统计", code="export_not_allowed")
            params = {k: form_value(data, k) for k in RATE_KEYS}
            rates.parse_rate_filter(params)
            return await exports.request_export(db, access, RATES_KIND, {k: v for k, v in params.items() if v})

        return await run_form_action(
            db,
            request_export,
            redirect_to=lambda export: f"/t/{access.tenant.code}/suggestions/rates?export={export.id}",
            on_error=page_again(self._rates, request, db, access),
        )


RATE_KEYS = ("by", "year", "term_id", "unit_id", "category")


async def _export_notice(db: AsyncSession, request: Request, context: dict[str, Any]) -> None:
    if export_id := request.query_params.get("export"):
        try:
            context["export"] = await exports.get_export(db, uuid.UUID(export_id))
        except (NotFound, ValueError):
            pass


PAGES = [SuggestionPages, ItemPages, SuggestionHandlingPages, EvaluationPages, SuggestionListPages]
