"""The points store (积分超市): its items, and what a deputy has to spend.

A deputy spends in year Y the points of year Y-1 (次年兑换): the balance is that year's points from the
ledger (`totals.points_of`, rounded down to whole points) less the points of their redemptions of that
year not cancelled. Redemptions themselves are in `store_redemptions.py`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR

from msgspec import UNSET
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput, NotFound
from renda.core.pagination import Page, paginate
from renda.modules.duty import totals
from renda.modules.duty.common import DutyCaller, require_manage
from renda.modules.duty.models import Redemption, StoreItem
from renda.modules.duty.store_schemas import ItemIn, ItemOut, ItemPatch

MAX_PRICE = 100_000
MAX_STOCK = 100_000
MAX_NAME = 100
MAX_DESCRIPTION = 500


def points_year_of(today: date) -> int:
    """The year whose points are spent on `today`: the one that ended last (on 1 January, the year
    that ended the day before)."""
    return today.year - 1


# --- the balance -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Balance:
    person_id: uuid.UUID
    points_year: int
    earned: int
    spent: int

    @property
    def available(self) -> int:
        """Never made negative by the store; a ledger reversal after a redemption can make it so."""
        return self.earned - self.spent


async def spent_points(session: AsyncSession, person_id: uuid.UUID, points_year: int) -> int:
    query = select(func.coalesce(func.sum(Redemption.points), 0)).where(
        Redemption.person_id == person_id,
        Redemption.points_year == points_year,
        Redemption.status != "cancelled",
    )
    return int((await session.execute(query)).scalar_one())


async def balance_of(session: AsyncSession, person_id: uuid.UUID, points_year: int) -> Balance:
    found = (await totals.points_of(session, points_year, [person_id]))[person_id]
    earned = max(int(found.total.to_integral_value(rounding=ROUND_FLOOR)), 0)
    return Balance(person_id, points_year, earned, await spent_points(session, person_id, points_year))


# --- items -----------------------------------------------------------------------------------------------
def _name(value: str) -> str:
    name = value.strip()
    if not name:
        raise InvalidInput("请填写物品名称", code="item_name_required")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"物品名称不能超过 {MAX_NAME} 个字", code="item_name_too_long")
    return name


def _description(value: str) -> str:
    text = value.replace("\r\n", "\n").strip()
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(f"物品说明不能超过 {MAX_DESCRIPTION} 个字", code="item_description_too_long")
    return text


def _price(value: int) -> int:
    if not 0 < value <= MAX_PRICE:
        raise InvalidInput(f"兑换所需积分应为 1 到 {MAX_PRICE} 之间的整数", code="invalid_price")
    return value


def _stock(value: int) -> int:
    if not 0 <= value <= MAX_STOCK:
        raise InvalidInput(f"库存数量应为 0 到 {MAX_STOCK} 之间的整数", code="invalid_stock")
    return value


async def create_item(session: AsyncSession, caller: DutyCaller, data: ItemIn) -> StoreItem:
    require_manage(caller)
    item = StoreItem(
        name=_name(data.name),
        description=_description(data.description),
        price=_price(data.price),
        stock=_stock(data.stock),
        active=data.active,
    )
    session.add(item)
    await session.flush()
    return item


async def get_item(session: AsyncSession, item_id: uuid.UUID, *, for_update: bool = False) -> StoreItem:
    query = select(StoreItem).where(StoreItem.id == item_id)
    if for_update:  # a redemption's stock UPDATE waits for this lock, and this one for it; then read afresh
        query = query.with_for_update().execution_options(populate_existing=True)
    item = (await session.execute(query)).scalar_one_or_none()
    if item is None:
        raise NotFound("该兑换物品不存在", code="store_item_not_found")
    return item


async def update_item(session: AsyncSession, caller: DutyCaller, item_id: uuid.UUID, data: ItemPatch) -> StoreItem:
    """Every field checked before any is set: a bad one changes nothing."""
    require_manage(caller)
    item = await get_item(session, item_id, for_update=True)
    changes: dict[str, object] = {}
    if data.name is not UNSET:
        changes["name"] = _name(data.name)
    if data.description is not UNSET:
        changes["description"] = _description(data.description)
    if data.price is not UNSET:
        changes["price"] = _price(data.price)
    if data.stock is not UNSET:
        changes["stock"] = _stock(data.stock)
    if data.active is not UNSET:
        changes["active"] = data.active
    for key, value in changes.items():
        setattr(item, key, value)
    await session.flush()
    return item


async def restock(session: AsyncSession, caller: DutyCaller, item_id: uuid.UUID, quantity: int) -> StoreItem:
    """Add to the stock (补货); the row is locked, so a redemption at the same moment is counted too."""
    require_manage(caller)
    if not 0 < quantity <= MAX_STOCK:
        raise InvalidInput(f"补充数量应为 1 到 {MAX_STOCK} 之间的整数", code="invalid_quantity")
    item = await get_item(session, item_id, for_update=True)
    item.stock = _stock(item.stock + quantity)
    await session.flush()
    return item


def items_query(*, active_only: bool) -> Select[tuple[StoreItem]]:
    """The newest first (新上架)."""
    query = select(StoreItem).order_by(StoreItem.created_at.desc(), StoreItem.id)
    return query.where(StoreItem.active.is_(True)) if active_only else query


async def list_items(
    session: AsyncSession, caller: DutyCaller, *, active_only: bool, page: int, page_size: int
) -> Page[StoreItem]:
    """The items on offer; staff (and who sees the whole office) may list the withdrawn ones too."""
    return await paginate(session, items_query(active_only=active_only or not caller.full), page, page_size)


def item_out(item: StoreItem) -> ItemOut:
    return ItemOut(
        item.id, item.name, item.description, item.price, item.stock, item.active, item.created_at, item.updated_at
    )
