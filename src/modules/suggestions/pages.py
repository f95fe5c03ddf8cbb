"""Staff pages of the suggestion drafts: `/t/{code}/suggestions` (list, new) and one draft (edit, withdraw);
the loop's filing, intake, evaluation and supervision pages under `/t/{code}/suggestions/items`, whose
forms on one suggestion are tables of actions (`ITEM_ACTIONS`, `SUPERVISION_ACTIONS`, …; page_actions.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError, InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import MAX_PAGE
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.exports import service as exports
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
from renda.modules.suggestions.common import CATEGORIES, LoopCaller, load_settings
from renda.modules.suggestions.exports import LIST_KIND, RATES_KIND
from renda.modules.suggestions.handling_pages import HandlingPages, SuggestionHandlingPages
from renda.modules.suggestions.models import (
    CHECKPOINT_STAGES,
    DRAFT_STATUSES,
    KINDS,
    RATINGS,
    REPLY_CLASSES,
    RETURN_REASONS,
    Suggestion,
    SuggestionDraft,
)
from renda.modules.suggestions.page_actions import (
    URL_FORM,
    ItemAction,
    ItemPage,
    ItemPagesBase,
    Reader,
    day,
    flag,
    form_field,
    ids,
    office,
    parse_day,
    parse_id,
    path_id,
    text,
    text_or_blank,
    uploaded,
    with_page,
)
from renda.modules.suggestions.routes import AddressedItem, attachment_response
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.actions import page_again, run_form_action
from renda.web.forms import Form, form_value, form_values
from renda.web.pages import shell_context

READ, WRITE = requires("opinions.read"), requires("opinions.write")
PAGE_SIZE = 30


def _person(value: str | None) -> uuid.UUID | None:
    return parse_id(value, "所选代表无效", "unknown_deputy")


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
            # The deputy picker of the new draft (id, name), instead of typing a person's id.
            "deputy_choices": [(c.id, c.label) for c in await worklists.deputy_choices(db)] if viewer.manage else [],
            **extra,
        }
        return Template("suggestions/list.html", context=context, status_code=status)

    @get("/", guards=[READ])
    async def drafts(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._list(request, db, access)

    @post("/", guards=[WRITE])
    async def create(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def create_draft() -> Any:
            service.require_editor((await service.caller_for(db, access)).manage)
            return await service.create_draft(
                db,
                access.tenant,
                deputy_person_id=_person(form_value(data, "deputy_person_id")),
                title=form_value(data, "title") or "",
                content=form_value(data, "content") or "",
                source="staff",
                source_id=None,
            )

        return await run_form_action(
            db,
            create_draft,
            redirect_to=lambda draft: f"/t/{access.tenant.code}/suggestions/{draft.id}",
            on_error=page_again(self._list, request, db, access, form=data),
        )

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

    async def _change(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        draft_id: uuid.UUID,
        change: Callable[[SuggestionDraft], Awaitable[object]],
    ) -> Template | Redirect:
        """Run `change(draft)` for staff who refine drafts, then back to the draft; refused, its page again."""
        viewer = await service.caller_for(db, access)
        draft = await service.get_draft(db, draft_id, viewer.reach)

        async def run() -> object:
            service.require_editor(viewer.manage)
            return await change(draft)

        return await run_form_action(
            db,
            run,
            redirect_to=f"/t/{access.tenant.code}/suggestions/{draft_id}",
            on_error=page_again(self._detail, request, db, access, draft_id),
        )

    @post("/{draft_id:uuid}/edit", guards=[WRITE])
    async def edit(
        self, request: Request, db: AsyncSession, access: TenantAccess, draft_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def edit_draft(draft: SuggestionDraft) -> object:
            deputy = _person(form_value(data, "deputy_person_id"))
            return await service.update_draft(
                db,
                draft,
                title=form_value(data, "title") or "",
                content=form_value(data, "content") or "",
                deputy_person_id=deputy,
                clear_deputy="deputy_person_id" in data and deputy is None,
            )

        return await self._change(request, db, access, draft_id, edit_draft)

    @post("/{draft_id:uuid}/withdraw", guards=[WRITE])
    async def withdraw(
        self, request: Request, db: AsyncSession, access: TenantAccess, draft_id: uuid.UUID
    ) -> Template | Redirect:
        return await self._change(request, db, access, draft_id, lambda draft: service.withdraw_draft(db, draft))


# --- evaluation, follow-up, supervision: /t/{code}/suggestions/items/… -------------------------------
LOOP_READ, LOOP_WRITE = requires("suggestions.read"), requires("suggestions.write")
BOARD_PAGE_SIZE = 50
BOARD_VIEWS = {"all": "全部", "key": "重点建议", "follow_up": "回头看", "overdue": "已逾期"}


def _day(what: str) -> Reader:
    """A date the form must give: the same refusal when it is empty or not a date."""
    return day(f"请填写正确的{what}", missing=f"请填写正确的{what}")


async def _rating(
    request: Request, db: AsyncSession, access: TenantAccess, addressed: AddressedItem, status: int = 200, **extra: Any
) -> Template:
    """The deputy's rating page (a phone, from the notification); `?rated=1` after rating."""
    try:
        evaluation.check_may_rate(addressed.caller, addressed.suggestion, local_today())
        may_rate, why_not = True, None
    except AppError as error:
        may_rate, why_not = False, error.message
    context = {
        **await shell_context(request, access),
        **await views.evaluation_view(db, addressed.suggestion),
        "may_rate": may_rate,
        "why_not": why_not,
        "ratings": RATINGS,
        "just_rated": request.query_params.get("rated") == "1",
        **extra,
    }
    return Template("suggestions/rate.html", context=context, status_code=status)


async def _supervision(
    request: Request, db: AsyncSession, access: TenantAccess, addressed: AddressedItem, status: int = 200, **extra: Any
) -> Template:
    """The staff's supervision of one suggestion: key, checkpoints, 回头看, the public board."""
    found = addressed.suggestion
    context = {
        **await shell_context(request, access),
        **await views.evaluation_view(db, found),
        "manage": addressed.caller.manage,
        "key": await views.key_out(db, found),
        "follow_ups": await followup.follow_ups_of(db, found),
        "stages": CHECKPOINT_STAGES,
        "today": local_today(),
        **extra,
    }
    return Template("suggestions/supervision.html", context=context, status_code=status)


RATING = ItemPage("rate_page", "/rate", _rating, after_action="?rated=1")
SUPERVISION = ItemPage("supervision_page", "/supervision", _supervision)


async def _complete_checkpoint(
    db: AsyncSession,
    caller: LoopCaller,
    *,
    suggestion: Suggestion,
    checkpoint_id: uuid.UUID,
    done_on: str | None,
    note: str | None,
) -> object:
    checkpoint = await supervision.get_checkpoint(db, suggestion, checkpoint_id)
    done = parse_day(done_on, "请填写正确的完成日期", missing="请填写正确的完成日期")
    return await supervision.complete_checkpoint(db, caller, suggestion, checkpoint, done_on=done, note=note)


RATING_ACTIONS = {"rate": ItemAction("/rate", evaluation.rate, {"rating": text_or_blank, "comment": text})}
SUPERVISION_ACTIONS = {
    "set_key": ItemAction("/key", supervision.set_key, {"is_key": flag, "leader_name": text, "leader_title": text}),
    "set_checkpoint": ItemAction(
        "/checkpoints", supervision.set_checkpoint, {"stage": text_or_blank, "due_on": _day("节点日期")}
    ),
    "complete_checkpoint": ItemAction(
        "/checkpoints/{checkpoint_id:uuid}/done",
        _complete_checkpoint,
        {"checkpoint_id": path_id, "done_on": text, "note": text},
    ),
    "add_follow_up": ItemAction(
        "/follow-ups",
        followup.record_follow_up,
        {"checked_on": _day("回头看日期"), "progress": text_or_blank, "resolved": flag},
    ),
    "redact": ItemAction("/public", public_board.set_redaction, {"hidden": flag, "title": text}),
}


@with_page(RATING, RATING_ACTIONS, read=LOOP_READ, write=LOOP_WRITE)
@with_page(SUPERVISION, SUPERVISION_ACTIONS, read=LOOP_READ, write=LOOP_WRITE)
class EvaluationPages(ItemPagesBase):
    """The deputy's rating page, the staff's supervision page of one suggestion and the status board."""

    # --- the status board ----------------------------------------------------------------------------
    async def _board(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await service.loop_caller_for(db, access)
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
            "rows": worklists.board_rows(found.items),
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
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def set_board() -> object:
            caller = await service.loop_caller_for(db, access)
            return await public_board.set_board(
                db, caller, enabled=form_value(data, "enabled") == "1", fields=form_values(data, "fields")
            )

        return await run_form_action(
            db,
            set_board,
            redirect_to=f"/t/{access.tenant.code}/suggestions/items/board",
            on_error=page_again(self._board, request, db, access),
        )


# --- the suggestion loop: filing and intake (提、审查) ------------------------------------------------
FORM_FIELDS = ("category", "kind", "title", "content")


def _flag(data: Form, key: str) -> bool:
    return form_value(data, key) in ("1", "on", "true")


def _uuids(values: list[str], what: str) -> list[uuid.UUID | None]:
    return [parse_id(v, f"所选{what}无效", "validation_error") for v in values]


async def _item(
    request: Request, db: AsyncSession, access: TenantAccess, addressed: AddressedItem, status: int = 200, **extra: Any
) -> Template:
    """One suggestion's page (`suggestions/item.html`), for everyone: what the caller may do shows."""
    caller, suggestion = addressed.caller, addressed.suggestion
    d = await views.item_detail(db, caller, suggestion)
    context = {
        **await shell_context(request, access),
        "d": d,
        "s": d.item,
        "categories": CATEGORIES,
        "kinds": KINDS,
        "return_reasons": RETURN_REASONS,
        "max_mb": filing.MAX_ATTACHMENT_BYTES // (1024 * 1024),
        "accept_types": ",".join(f".{e}" for e in filing.ALLOWED_TYPES),
        "deputies": await worklists.deputy_choices(db, exclude=suggestion.lead_person_id)
        if "invite" in d.actions
        else [],
        "merge_targets": await worklists.merge_targets(db, caller, suggestion) if "merge" in d.actions else [],
        "base": f"/t/{access.tenant.code}/suggestions/items",
        **extra,
    }
    return Template("suggestions/item.html", context=context, status_code=status)


ITEM = ItemPage("item", "", _item)


def _changes(form: Form, name: str) -> dict[str, object]:
    """What an edit of the suggestion changes: the text fields sent, and both checkboxes."""
    changes: dict[str, object] = {k: form_value(form, k) or "" for k in FORM_FIELDS if k in form}
    return changes | {k: _flag(form, k) for k in ("during_session", "broad")}


async def _merge(
    db: AsyncSession, caller: LoopCaller, *, suggestion: Suggestion, target_id: list[uuid.UUID], note: str | None
) -> object:
    if not target_id:
        raise InvalidInput("请选择要并入的建议", code="validation_error")
    return await intake.merge(db, caller, suggestion, target_id[0], note)


async def _upload(db: AsyncSession, caller: LoopCaller, *, suggestion: Suggestion, file: UploadFile) -> object:
    return await filing.add_attachment(db, caller, suggestion, file.filename, await file.read())


async def _remove_attachment(
    db: AsyncSession, caller: LoopCaller, *, suggestion: Suggestion, attachment_id: uuid.UUID
) -> None:
    attachment = await filing.get_attachment(db, suggestion, attachment_id)
    await filing.delete_attachment(db, caller, suggestion, attachment)


ITEM_ACTIONS = {
    "edit": ItemAction("/edit", filing.update_suggestion, {"changes": form_field(_changes)}),
    "invite": ItemAction(
        "/cosigners",
        filing.invite_cosigners,
        {"tenant": office, "person_ids": ids("所选联名代表无效", "validation_error")},
    ),
    "confirm": ItemAction("/cosigners/confirm", partial(filing.respond_cosign, confirm=True)),
    "decline": ItemAction("/cosigners/decline", partial(filing.respond_cosign, confirm=False)),
    "remove_cosigner": ItemAction("/cosigners/{person_id:uuid}/remove", filing.remove_cosigner, {"person_id": path_id}),
    "submit": ItemAction("/submit", filing.submit),
    "withdraw": ItemAction("/withdraw", filing.withdraw),
    "accept": ItemAction("/accept", intake.accept),
    "merge": ItemAction("/merge", _merge, {"target_id": ids("所选并入的建议无效", "validation_error"), "note": text}),
    "return_for_revision": ItemAction(
        "/return", intake.return_for_revision, {"tenant": office, "reason": text_or_blank, "note": text}
    ),
    "convert": ItemAction("/convert", intake.convert, {"tenant": office, "note": text}),
    "upload": ItemAction("/attachments", _upload, {"file": uploaded("请选择要上传的文件")}),
    "remove_attachment": ItemAction(
        "/attachments/{attachment_id:uuid}/remove", _remove_attachment, {"attachment_id": path_id}
    ),
}


@with_page(ITEM, ITEM_ACTIONS, read=LOOP_READ, write=LOOP_WRITE)
class ItemPages(ItemPagesBase):
    """Deputies' phone-first pages (我的建议, a new suggestion, co-signing in one tap) and the staff's
    intake queue (待审查); one suggestion's page (`suggestions/item.html`) serves everyone."""

    @get("/mine", guards=[LOOP_READ])
    async def mine(self, request: Request, db: AsyncSession, access: TenantAccess, loop_caller: LoopCaller) -> Template:
        found = await worklists.mine(db, loop_caller)
        context = {
            **await shell_context(request, access),
            "led": found.led,
            "asked": [r for r in found.cosigning if r.cosign_status == "requested" and r.status in filing.RESPONDABLE],
            "cosigning": found.cosigning,
            "drafts": await worklists.drafts_to_file(db, loop_caller),
            "is_deputy": bool(loop_caller.person_ids),
            "can_intake": loop_caller.manage,
        }
        return Template("suggestions/mine.html", context=context)

    async def _new(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await service.loop_caller_for(db, access)
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
            "deputies": await worklists.deputy_choices(db) if caller.manage else [],
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
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def action() -> Any:
            caller = await service.loop_caller_for(db, access)
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
            redirect_to=lambda made: f"/t/{access.tenant.code}/suggestions/items/{made.id}",
            on_error=page_again(self._new, request, db, access, form=kept),
        )

    @get("/intake", guards=[LOOP_READ])
    async def intake_queue(
        self, request: Request, db: AsyncSession, access: TenantAccess, loop_caller: LoopCaller
    ) -> Template:
        raw = request.query_params.get("page", "1")
        page = int(raw) if raw.isdigit() and 0 < int(raw) < 100000 else 1
        found = await worklists.intake_queue(db, loop_caller, page, 30)
        context = {**await shell_context(request, access), "page": found, "can_intake": loop_caller.manage}
        return Template("suggestions/intake.html", context=context)

    @get("/{suggestion_id:uuid}/attachments/{attachment_id:uuid}", guards=[LOOP_READ])
    async def download(self, db: AsyncSession, addressed: AddressedItem, attachment_id: uuid.UUID) -> Response[bytes]:
        return attachment_response(await filing.get_attachment(db, addressed.item, attachment_id, with_content=True))


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
        data: Form = URL_FORM,
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
        data: Form = URL_FORM,
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


PAGES = [SuggestionPages, ItemPages, HandlingPages, SuggestionHandlingPages, EvaluationPages, SuggestionListPages]
