"""Redemptions (兑换) in the points store: a deputy redeems; staff hand the item over or cancel.

Two rules hold under any number of redemptions at once:
- no negative balance: a deputy's redemptions run one at a time (a transaction-scoped advisory lock on
  the person), so each reads the balance the previous one left;
- no oversold stock: the stock is taken by one conditional `UPDATE … WHERE stock >= quantity RETURNING`,
  which PostgreSQL re-checks on the row's latest version after waiting for another taker.
A cancellation gives the stock back and, since cancelled redemptions are not counted, the points too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import Page, paginate_rows
from renda.core.timezone import local_today
from renda.modules.audit.models import AuditLog
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import Person
from renda.modules.duty.common import DutyCaller, require_deputy, require_manage, require_sees
from renda.modules.duty.models import REDEMPTION_STATUSES, Redemption, StoreItem
from renda.modules.duty.store import balance_of, get_item, points_year_of
from renda.modules.duty.store_schemas import RedemptionOut
from renda.modules.notifications import service as notifications

MAX_QUANTITY = 10
MAX_NOTE = 200
STORE_LINK = "/t/{code}/duty/store"


def _code(session: AsyncSession) -> str:
    return str(session.info["tenant_code"])


async def lock_person(session: AsyncSession, person_id: uuid.UUID) -> None:
    """Held to the end of the transaction: the deputy's next redemption waits for this one."""
    key = f"duty_store:{_code(session)}:{person_id}"
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def _note(value: str | None, label: str) -> str:
    note = (value or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"{label}不能超过 {MAX_NOTE} 个字", code="note_too_long")
    return note


# --- redeeming -------------------------------------------------------------------------------------------
async def redeem(
    session: AsyncSession, caller: DutyCaller, item_id: uuid.UUID, quantity: int, today: date | None = None
) -> Redemption:
    """The caller (a deputy) spends last year's points on `quantity` of an item."""
    person_id = require_deputy(caller)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"每次兑换数量应为 1 到 {MAX_QUANTITY} 件", code="invalid_quantity")
    points_year = points_year_of(today or local_today())
    await lock_person(session, person_id)
    item = await get_item(session, item_id)
    if not item.active:
        raise Conflict(f"“{item.name}”已下架,暂不能兑换", code="item_unavailable")
    cost = item.price * quantity
    balance = await balance_of(session, person_id, points_year)
    if cost > balance.available:
        raise Conflict(
            f"{points_year}年度积分可用 {max(balance.available, 0)} 分,兑换需要 {cost} 分,积分不足",
            code="points_insufficient",
            details={"points_year": points_year, "available": balance.available, "needed": cost},
        )
    await _take_stock(session, item, quantity)
    redemption = Redemption(
        item_id=item.id,
        person_id=person_id,
        points_year=points_year,
        quantity=quantity,
        points=cost,
        status="requested",
        requested_by=caller.actor,
        requested_at=utcnow(),
    )
    session.add(redemption)
    await session.flush()
    await _notify(session, redemption, item.name, "duty_redemption_ready")
    return redemption


async def _take_stock(session: AsyncSession, item: StoreItem, quantity: int) -> None:
    taken = await session.execute(
        update(StoreItem)
        .where(
            StoreItem.id == item.id,
            StoreItem.active.is_(True),
            StoreItem.price == item.price,  # the price the balance was checked against
            StoreItem.stock >= quantity,
        )
        .values(stock=StoreItem.stock - quantity, updated_at=utcnow())
        .returning(StoreItem.stock),
        execution_options={"synchronize_session": False},
    )
    left = taken.scalar_one_or_none()
    if left is None:
        current = await session.get(StoreItem, item.id, populate_existing=True)
        if current is None or not current.active:
            raise Conflict(f"“{item.name}”已下架,暂不能兑换", code="item_unavailable")
        if current.price != item.price:
            raise Conflict(f"“{item.name}”的兑换积分刚刚调整,请刷新后重试", code="price_changed")
        raise Conflict(f"“{item.name}”库存不足(剩余 {current.stock} 件)", code="out_of_stock")
    set_committed_value(item, "stock", left)
    # The ORM's audit recorder sees flushes, not this UPDATE: its audit row is written here.
    session.add(
        AuditLog(
            actor=session.info.get("actor", "system"),
            tenant_code=session.info.get("tenant_code"),
            action="update",
            entity=StoreItem.__tablename__,
            entity_id=str(item.id),
            changes={"stock": [left + quantity, left]},
        )
    )


# --- handing over, cancelling ------------------------------------------------------------------------------
async def get_redemption(
    session: AsyncSession, caller: DutyCaller, redemption_id: uuid.UUID, *, for_update: bool = False
) -> Redemption:
    """A redemption the caller may see (their own, or any if they see the whole office); others 404."""
    query = select(Redemption).where(Redemption.id == redemption_id)
    if for_update:
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None or not caller.may_see(found.person_id):
        raise NotFound("该兑换记录不存在", code="redemption_not_found")
    return found


def _check_pending(redemption: Redemption) -> None:
    if redemption.status != "requested":
        label = REDEMPTION_STATUSES[redemption.status]
        raise Conflict(f"该兑换{label},不能再办理", code="redemption_not_pending")


async def hand_over(
    session: AsyncSession, caller: DutyCaller, redemption_id: uuid.UUID, note: str | None = None
) -> Redemption:
    """Staff confirm the deputy took the item (已领取)."""
    require_manage(caller)
    redemption = await get_redemption(session, caller, redemption_id, for_update=True)
    _check_pending(redemption)
    redemption.note = _note(note, "备注")
    redemption.status, redemption.handled_by, redemption.handled_at = "handed_over", caller.actor, utcnow()
    await session.flush()
    item = await get_item(session, redemption.item_id)
    await _notify(session, redemption, item.name, "duty_redemption_handed_over")
    return redemption


async def cancel(
    session: AsyncSession, caller: DutyCaller, redemption_id: uuid.UUID, reason: str | None = None
) -> Redemption:
    """Staff cancel a redemption not yet handed over (with the reason the deputy is told), or the deputy
    their own; the stock goes back on the shelf and the points back to the balance."""
    redemption = await get_redemption(session, caller, redemption_id, for_update=True)
    own = redemption.person_id == caller.person_id
    if not (caller.manage or own):
        raise PermissionDenied("只有工作人员或兑换的代表本人可以取消兑换", code="duty_not_own")
    _check_pending(redemption)
    text_reason = _note(reason, "取消原因")
    if caller.manage and not own and not text_reason:
        raise InvalidInput("请填写取消原因,代表会收到通知", code="cancel_reason_required")
    item = await get_item(session, redemption.item_id, for_update=True)
    item.stock += redemption.quantity
    redemption.note = text_reason
    redemption.status, redemption.handled_by, redemption.handled_at = "cancelled", caller.actor, utcnow()
    await session.flush()
    if not own:
        await _notify(session, redemption, item.name, "duty_redemption_cancelled")
    return redemption


async def _notify(session: AsyncSession, redemption: Redemption, item_name: str, kind: str) -> None:
    users = await deputies.user_ids_of(session, [redemption.person_id])
    if redemption.person_id not in users:
        return
    await notifications.notify(
        session,
        kind=kind,
        event_key=f"{kind}:{redemption.id}",
        recipients=[users[redemption.person_id]],
        variables={
            "item": item_name,
            "quantity": redemption.quantity,
            "points": redemption.points,
            "year": redemption.points_year,
            "reason": redemption.note or "未说明",
        },
        link=STORE_LINK.format(code=_code(session)),
    )


# --- lists -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RedemptionFilter:
    status: str | None = None
    points_year: int | None = None
    person_id: uuid.UUID | None = None
    oldest_first: bool = False  # the handover queue: who waited longest first


def check_filter(status: str | None, points_year: int | None) -> None:
    if status is not None and status not in REDEMPTION_STATUSES:
        raise InvalidInput("兑换状态无效", code="invalid_status")
    if points_year is not None and not 2000 <= points_year <= 2100:
        raise InvalidInput("积分年度无效", code="invalid_year")


def redemptions_query(filters: RedemptionFilter) -> Select[Any]:
    query = (
        select(
            Redemption.id,
            Redemption.item_id,
            StoreItem.name.label("item_name"),
            Redemption.person_id,
            Person.name.label("person_name"),
            Redemption.points_year,
            Redemption.quantity,
            Redemption.points,
            Redemption.status,
            Redemption.requested_by,
            Redemption.requested_at,
            Redemption.handled_by,
            Redemption.handled_at,
            Redemption.note,
        )
        .join(StoreItem, StoreItem.id == Redemption.item_id)
        .join(Person, Person.id == Redemption.person_id)
    )
    if filters.status is not None:
        query = query.where(Redemption.status == filters.status)
    if filters.points_year is not None:
        query = query.where(Redemption.points_year == filters.points_year)
    if filters.person_id is not None:
        query = query.where(Redemption.person_id == filters.person_id)
    order = Redemption.requested_at.asc() if filters.oldest_first else Redemption.requested_at.desc()
    return query.order_by(order, Redemption.id)


def scoped_filter(caller: DutyCaller, filters: RedemptionFilter) -> RedemptionFilter:
    """A deputy's list is their own; who sees the whole office may ask for anyone's."""
    check_filter(filters.status, filters.points_year)
    if caller.full:
        return filters
    if filters.person_id is not None:
        require_sees(caller, filters.person_id)
    return RedemptionFilter(filters.status, filters.points_year, require_deputy(caller), filters.oldest_first)


async def list_redemptions(
    session: AsyncSession, caller: DutyCaller, filters: RedemptionFilter, page: int, page_size: int
) -> Page[Row[Any]]:
    return await paginate_rows(session, redemptions_query(scoped_filter(caller, filters)), page, page_size)


async def redemption_row(session: AsyncSession, redemption_id: uuid.UUID) -> Row[Any]:
    query = redemptions_query(RedemptionFilter()).where(Redemption.id == redemption_id)
    return (await session.execute(query)).one()


def redemption_out(row: Row[Any]) -> RedemptionOut:
    return RedemptionOut(
        row.id,
        row.item_id,
        row.item_name,
        row.person_id,
        row.person_name,
        row.points_year,
        row.quantity,
        row.points,
        row.status,
        REDEMPTION_STATUSES[row.status],
        row.requested_by,
        row.requested_at,
        row.handled_by,
        row.handled_at,
        row.note,
    )
