"""Pages of the points store (积分超市) under `/t/{code}/duty/store`: the deputy's store, made for a phone
(balance, items, redeem, my redemptions), and the staff's pages (items, handovers waiting, the history
and its Excel export). Forms convert to the API's request types and share their rules."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import MAX_PAGE
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.duty import store
from renda.modules.duty import store_redemptions as redemptions
from renda.modules.duty.common import DutyCaller, duty_caller_for
from renda.modules.duty.models import REDEMPTION_STATUSES
from renda.modules.duty.store_exports import FILTER_KEYS, REDEMPTIONS_KIND, parse_filter
from renda.modules.duty.store_schemas import ItemIn, ItemPatch, RedeemIn, RestockIn
from renda.modules.exports import service as exports
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.actions import page_again, run_form_action
from renda.web.forms import Form, form_struct, form_value
from renda.web.pages import shell_context

READ, WRITE = requires("duty.read"), requires("duty.write")
URL_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
PAGE_SIZE = 30
ITEM_LABELS = {
    "name": "物品名称",
    "description": "物品说明",
    "price": "兑换所需积分",
    "stock": "库存数量",
    "active": "上架",
    "quantity": "数量",
    "store_item_id": "兑换物品",
}
NOTICES = {
    "redeemed": "兑换成功,请到代表工作机构或联络站领取。",
    "cancelled": "兑换已取消,积分已退回。",
    "handed_over": "已确认领取。",
    "saved": "已保存。",
}


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) > 0 else 1


def _item_fields(data: Form) -> dict[str, Any]:
    """The fields the form sent; an empty name or description is "" (the service says what is missing),
    an empty number is None (the form names the field)."""
    fields: dict[str, Any] = {k: form_value(data, k) for k in ("price", "stock") if k in data}
    fields |= {k: form_value(data, k) or "" for k in ("name", "description") if k in data}
    if "active" in data:
        fields["active"] = form_value(data, "active") == "1"
    return fields


def _require_full(caller: DutyCaller) -> None:
    if not caller.full:
        raise PermissionDenied("只有本机关工作人员可以查看积分超市的管理页面", code="duty_staff_only")


class StorePages(Controller):
    path = "/t/{code:str}/duty/store"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    # --- the deputy's store (phone first) --------------------------------------------------------------
    async def _store(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await duty_caller_for(db, access)
        points_year = store.points_year_of(local_today())
        balance = await store.balance_of(db, caller.person_id, points_year) if caller.person_id else None
        items = await store.list_items(db, caller, active_only=True, page=_page_number(request), page_size=PAGE_SIZE)
        mine = None
        if caller.person_id is not None:
            mine_filter = redemptions.RedemptionFilter(person_id=caller.person_id)
            mine = await redemptions.list_redemptions(db, caller, mine_filter, 1, 50)
        context = {
            **await shell_context(request, access),
            "caller": caller,
            "points_year": points_year,
            "balance": balance,
            "page": items,
            "items": items.items,
            "mine": [redemptions.redemption_out(r) for r in mine.items] if mine else [],
            "max_quantity": redemptions.MAX_QUANTITY,
            "notice": NOTICES.get(request.query_params.get("done", "")),
            **extra,
        }
        return Template("duty/store.html", context=context, status_code=status)

    @get("/", guards=[READ])
    async def show_store(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._store(request, db, access)

    @post("/redeem", guards=[WRITE])
    async def redeem(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def action() -> None:
            fields = {
                "store_item_id": form_value(data, "store_item_id"),
                "quantity": form_value(data, "quantity") or "1",
            }
            wanted = form_struct(fields, RedeemIn, ITEM_LABELS)
            await redemptions.redeem(db, await duty_caller_for(db, access), wanted.store_item_id, wanted.quantity)

        return await run_form_action(
            db,
            action,
            redirect_to=f"/t/{access.tenant.code}/duty/store?done=redeemed",
            on_error=page_again(self._store, request, db, access),
        )

    @post("/redemptions/{redemption_id:uuid}/cancel", guards=[WRITE])
    async def cancel(
        self, request: Request, db: AsyncSession, access: TenantAccess, redemption_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        """The deputy's own (from the store) or staff's (from the handovers waiting)."""
        caller = await duty_caller_for(db, access)
        await redemptions.get_redemption(db, caller, redemption_id)  # another's, or another office's: 404 first
        from_staff = form_value(data, "from") == "pending" and caller.manage
        back = f"/t/{access.tenant.code}/duty/store{'/pending' if from_staff else ''}?done=cancelled"

        async def action() -> None:
            await redemptions.cancel(db, caller, redemption_id, form_value(data, "reason"))

        return await run_form_action(
            db,
            action,
            redirect_to=back,
            on_error=page_again(self._pending if from_staff else self._store, request, db, access),
        )

    # --- staff: the items --------------------------------------------------------------------------------
    async def _manage(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await duty_caller_for(db, access)
        _require_full(caller)
        found = await store.list_items(db, caller, active_only=False, page=_page_number(request), page_size=PAGE_SIZE)
        context = {
            **await shell_context(request, access),
            "caller": caller,
            "page": found,
            "items": found.items,
            "limits": {"price": store.MAX_PRICE, "stock": store.MAX_STOCK},
            "notice": NOTICES.get(request.query_params.get("done", "")),
            "form": {},
            "current": "manage",
            **extra,
        }
        return Template("duty/store_manage.html", context=context, status_code=status)

    @get("/manage", guards=[READ])
    async def manage(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._manage(request, db, access)

    @post("/items", guards=[WRITE])
    async def create_item(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        async def action() -> None:
            fields = _item_fields(data)
            await store.create_item(db, await duty_caller_for(db, access), form_struct(fields, ItemIn, ITEM_LABELS))

        return await run_form_action(
            db,
            action,
            redirect_to=f"/t/{access.tenant.code}/duty/store/manage?done=saved",
            on_error=page_again(self._manage, request, db, access, form=data),
        )

    @post("/items/{store_item_id:uuid}/edit", guards=[WRITE])
    async def edit_item(
        self, request: Request, db: AsyncSession, access: TenantAccess, store_item_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        await store.get_item(db, store_item_id)  # another office's: 404 first

        async def action() -> None:
            changes = form_struct(_item_fields(data), ItemPatch, ITEM_LABELS)
            await store.update_item(db, await duty_caller_for(db, access), store_item_id, changes)

        return await run_form_action(
            db,
            action,
            redirect_to=f"/t/{access.tenant.code}/duty/store/manage?done=saved",
            on_error=page_again(self._manage, request, db, access),
        )

    @post("/items/{store_item_id:uuid}/restock", guards=[WRITE])
    async def restock(
        self, request: Request, db: AsyncSession, access: TenantAccess, store_item_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        await store.get_item(db, store_item_id)

        async def action() -> None:
            added = form_struct({"quantity": form_value(data, "quantity")}, RestockIn, ITEM_LABELS)
            await store.restock(db, await duty_caller_for(db, access), store_item_id, added.quantity)

        return await run_form_action(
            db,
            action,
            redirect_to=f"/t/{access.tenant.code}/duty/store/manage?done=saved",
            on_error=page_again(self._manage, request, db, access),
        )

    # --- staff: handovers waiting ---------------------------------------------------------------------------
    async def _pending(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await duty_caller_for(db, access)
        _require_full(caller)
        filters = redemptions.RedemptionFilter(status="requested", oldest_first=True)
        found = await redemptions.list_redemptions(db, caller, filters, _page_number(request), PAGE_SIZE)
        context = {
            **await shell_context(request, access),
            "caller": caller,
            "page": found,
            "items": [redemptions.redemption_out(r) for r in found.items],
            "notice": NOTICES.get(request.query_params.get("done", "")),
            "current": "pending",
            **extra,
        }
        return Template("duty/store_pending.html", context=context, status_code=status)

    @get("/pending", guards=[READ])
    async def pending(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._pending(request, db, access)

    @post("/redemptions/{redemption_id:uuid}/handover", guards=[WRITE])
    async def hand_over(
        self, request: Request, db: AsyncSession, access: TenantAccess, redemption_id: uuid.UUID, data: Form = URL_FORM
    ) -> Template | Redirect:
        caller = await duty_caller_for(db, access)
        await redemptions.get_redemption(db, caller, redemption_id)

        async def action() -> None:
            await redemptions.hand_over(db, caller, redemption_id, form_value(data, "note"))

        return await run_form_action(
            db,
            action,
            redirect_to=f"/t/{access.tenant.code}/duty/store/pending?done=handed_over",
            on_error=page_again(self._pending, request, db, access),
        )

    # --- staff: the history and its export ------------------------------------------------------------------
    async def _history(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await duty_caller_for(db, access)
        _require_full(caller)
        params = {k: request.query_params.get(k) or "" for k in FILTER_KEYS}
        try:
            filters = parse_filter(params)
        except InvalidInput as error:
            filters, extra["error"] = redemptions.RedemptionFilter(), error.message
        found = await redemptions.list_redemptions(db, caller, filters, _page_number(request), PAGE_SIZE)
        this_year = local_today().year
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "caller": caller,
            "page": found,
            "items": [redemptions.redemption_out(r) for r in found.items],
            "filters": params,
            "statuses": REDEMPTION_STATUSES,
            "years": list(range(this_year - 1, this_year - 6, -1)),
            "query": urlencode({k: v for k, v in params.items() if v}),
            "can_export": access.can("exports.write"),
            "current": "history",
        }
        if export_id := request.query_params.get("export"):
            try:
                context["export"] = await exports.get_export(db, uuid.UUID(export_id))
            except (NotFound, ValueError):
                pass
        context.update(extra)
        return Template("duty/store_history.html", context=context, status_code=status)

    @get("/history", guards=[READ])
    async def history(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._history(request, db, access)

    @post("/history/export", guards=[requires("exports.write")])
    async def export_history(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        """The history as filtered on the page, as Excel built in the background."""

        async def request_export() -> Any:
            _require_full(await duty_caller_for(db, access))
            params = {k: form_value(data, k) for k in FILTER_KEYS}
            parse_filter(params)  # a bad filter is refused now, not in the worker
            return await exports.request_export(db, access, REDEMPTIONS_KIND, {k: v for k, v in params.items() if v})

        def after(export: Any) -> str:
            query = urlencode({k: v for k in FILTER_KEYS if (v := form_value(data, k))} | {"export": export.id})
            return f"/t/{access.tenant.code}/duty/store/history?{query}"

        return await run_form_action(
            db, request_export, redirect_to=after, on_error=page_again(self._history, request, db, access)
        )


PAGES = [StorePages]
