"""`/api/v1/t/{code}/duty/store/...`: the points store (积分超市). Staff keep the items; a deputy sees
their balance (last year's points left to spend) and redeems; staff hand over or cancel."""

from __future__ import annotations

import uuid

from litestar import Controller, get, patch, post
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.deputies import service as deputies
from renda.modules.duty import store
from renda.modules.duty import store_redemptions as redemptions
from renda.modules.duty.common import DutyCaller, duty_caller_for, require_deputy, require_sees
from renda.modules.duty.store_schemas import (
    BalanceOut,
    CancelIn,
    HandOverIn,
    ItemIn,
    ItemOut,
    ItemPage,
    ItemPatch,
    RedeemIn,
    RedemptionOut,
    RedemptionPage,
    RestockIn,
)
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess

READ, WRITE = requires("duty.read"), requires("duty.write")


async def provide_caller(db: AsyncSession, access: TenantAccess) -> DutyCaller:
    return await duty_caller_for(db, access)


async def redemption_response(db: AsyncSession, redemption_id: uuid.UUID) -> RedemptionOut:
    return redemptions.redemption_out(await redemptions.redemption_row(db, redemption_id))


class StoreController(Controller):
    path = "/api/v1/t/{code:str}/duty/store"
    tags = ["积分超市"]
    dependencies = {**TENANT_DEPENDENCIES, "caller": Provide(provide_caller)}

    # --- the balance ----------------------------------------------------------------------------------
    @get("/balance", guards=[READ])
    async def balance(self, db: AsyncSession, caller: DutyCaller, person_id: uuid.UUID | None = None) -> BalanceOut:
        """What a deputy may spend this year: last year's points less their redemptions of them. Without
        `person_id`, the caller's own."""
        if person_id is None:
            person_id = require_deputy(caller)
        else:
            require_sees(caller, person_id)
            await deputies.get_person(db, person_id)
        found = await store.balance_of(db, person_id, store.points_year_of(local_today()))
        return BalanceOut(found.person_id, found.points_year, found.earned, found.spent, found.available)

    # --- items ----------------------------------------------------------------------------------------
    @get("/items", guards=[READ])
    async def list_items(
        self, db: AsyncSession, caller: DutyCaller, active_only: bool = False, page: int = 1, page_size: int = 50
    ) -> ItemPage:
        """The items on offer; staff and who sees the whole office also see withdrawn ones."""
        found = await store.list_items(db, caller, active_only=active_only, page=page, page_size=page_size)
        return ItemPage([store.item_out(i) for i in found.items], found.total, found.page, found.page_size)

    @post("/items", guards=[WRITE], status_code=201)
    async def create_item(self, db: AsyncSession, caller: DutyCaller, data: ItemIn) -> ItemOut:
        return store.item_out(await store.create_item(db, caller, data))

    @get("/items/{store_item_id:uuid}", guards=[READ])
    async def show_item(self, db: AsyncSession, store_item_id: uuid.UUID) -> ItemOut:
        return store.item_out(await store.get_item(db, store_item_id))

    @patch("/items/{store_item_id:uuid}", guards=[WRITE])
    async def update_item(
        self, db: AsyncSession, caller: DutyCaller, store_item_id: uuid.UUID, data: ItemPatch
    ) -> ItemOut:
        return store.item_out(await store.update_item(db, caller, store_item_id, data))

    @post("/items/{store_item_id:uuid}/restock", guards=[WRITE], status_code=200)
    async def restock(self, db: AsyncSession, caller: DutyCaller, store_item_id: uuid.UUID, data: RestockIn) -> ItemOut:
        return store.item_out(await store.restock(db, caller, store_item_id, data.quantity))

    # --- redemptions ----------------------------------------------------------------------------------
    @get("/redemptions", guards=[READ])
    async def list_redemptions(
        self,
        db: AsyncSession,
        caller: DutyCaller,
        status: str | None = None,
        points_year: int | None = None,
        person_id: uuid.UUID | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> RedemptionPage:
        """A deputy's own redemptions; staff and who sees the whole office, anyone's (newest first)."""
        filters = redemptions.RedemptionFilter(status=status, points_year=points_year, person_id=person_id)
        found = await redemptions.list_redemptions(db, caller, filters, page, page_size)
        out = [redemptions.redemption_out(row) for row in found.items]
        return RedemptionPage(out, found.total, found.page, found.page_size)

    @post("/redemptions", guards=[WRITE], status_code=201)
    async def redeem(self, db: AsyncSession, caller: DutyCaller, data: RedeemIn) -> RedemptionOut:
        """The caller (a deputy) redeems last year's points; refused beyond the balance
        (`points_insufficient`) or the stock (`out_of_stock`), or for an item withdrawn (`item_unavailable`)."""
        made = await redemptions.redeem(db, caller, data.store_item_id, data.quantity)
        return await redemption_response(db, made.id)

    @get("/redemptions/{redemption_id:uuid}", guards=[READ])
    async def show_redemption(self, db: AsyncSession, caller: DutyCaller, redemption_id: uuid.UUID) -> RedemptionOut:
        await redemptions.get_redemption(db, caller, redemption_id)
        return await redemption_response(db, redemption_id)

    @post("/redemptions/{redemption_id:uuid}/handover", guards=[WRITE], status_code=200)
    async def hand_over(
        self, db: AsyncSession, caller: DutyCaller, redemption_id: uuid.UUID, data: HandOverIn
    ) -> RedemptionOut:
        """Staff confirm the deputy took the item (已领取)."""
        await redemptions.hand_over(db, caller, redemption_id, data.note)
        return await redemption_response(db, redemption_id)

    @post("/redemptions/{redemption_id:uuid}/cancel", guards=[WRITE], status_code=200)
    async def cancel(
        self, db: AsyncSession, caller: DutyCaller, redemption_id: uuid.UUID, data: CancelIn
    ) -> RedemptionOut:
        """Staff (with a reason) or the deputy cancel a redemption not yet handed over: stock and points back."""
        await redemptions.cancel(db, caller, redemption_id, data.reason)
        return await redemption_response(db, redemption_id)


ROUTES = [StoreController]
