"""The points store's tests: ledger entries written straight into the ledger (its reconcile is not the
store's), items made in the office's schema, and what a refused call must leave as it was."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import time_machine
from sqlalchemy import func, select

from renda.core.timezone import LOCAL_TZ
from renda.modules.audit.models import AuditLog
from renda.modules.duty.models import PointEntry, Redemption, StoreItem
from renda.modules.notifications.models import Notification
from renda.tenants.scoping import load_tenant, tenant_session
from tests.modules.duty.support import ACTOR, unique

SPRING_DAY = date(2027, 3, 15)  # a day of 2027: the points of 2026 are spent

# Kinds of event worth anything under the default rules, each up to its category's cap (120 in all).
CATEGORY_FILL = (
    ("meetings", "session", 30),
    ("activities", "inspection", 25),
    ("suggestions", "suggestion_lead", 20),
    ("people", "reception", 15),
    ("learning", "training", 10),
    ("bonus", "key_suggestion", 20),
)


def at(day: date, hour: int = 10, minute: int = 0) -> time_machine.travel:
    """The clock at this local (Asia/Shanghai) time, running on from there."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ), tick=True)


async def give_points(code: str, person_id: uuid.UUID, year: int, points: Decimal | int | str) -> None:
    """Ledger entries of `year` that `totals.points_of` counts as `points` (at most 120, the default caps)."""
    remaining = Decimal(points)
    entries = []
    for category, kind, cap in CATEGORY_FILL:
        take = min(remaining, Decimal(cap))
        if take <= 0:
            break
        entries.append(
            PointEntry(
                year=year,
                person_id=person_id,
                category=category,
                event_kind=kind,
                source="duty_activity",
                source_id=uuid.uuid4(),
                source_label=f"{year}年 测试事件",
                occurred_on=date(year, 6, 1),
                points=take,
                created_by=ACTOR,
            )
        )
        remaining -= take
    assert remaining == 0, f"{points} is beyond what the default caps count"
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        session.add_all(entries)
        await session.commit()


async def make_item(code: str, *, price: int, stock: int, active: bool = True, name: str = "保温杯") -> uuid.UUID:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        item = StoreItem(name=unique(name), description="", price=price, stock=stock, active=active)
        session.add(item)
        await session.commit()
        return item.id


@dataclass(frozen=True)
class StoreState:
    items: dict[uuid.UUID, tuple[str, str, int, int, bool]]
    redemptions: list[tuple[uuid.UUID, str, int, str, str]]
    item_count: int
    audit_rows: int
    notifications: int


async def store_state(code: str, person_ids: list[uuid.UUID] | None = None) -> StoreState:
    """Everything a refused call of the store could have changed in the office."""
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        items = {
            i.id: (i.name, i.description, i.price, i.stock, i.active)
            for i in (await session.execute(select(StoreItem))).scalars()
        }
        query = select(Redemption.id, Redemption.status, Redemption.points, Redemption.note, Redemption.item_id)
        if person_ids is not None:
            query = query.where(Redemption.person_id.in_(person_ids))
        redemptions = sorted((r.id, r.status, r.points, r.note, str(r.item_id)) for r in await session.execute(query))
        audit = select(func.count()).select_from(AuditLog).where(AuditLog.entity.like("duty_%"))
        notified = select(func.count()).select_from(Notification).where(Notification.kind.like("duty_redemption%"))
        return StoreState(
            items,
            redemptions,
            len(items),
            (await session.execute(audit)).scalar_one(),
            (await session.execute(notified)).scalar_one(),
        )


async def notices_of(code: str, user_id: uuid.UUID) -> list[tuple[str, str, str]]:
    """(kind, title, body) of the store's notifications a user was sent, oldest first."""
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        rows = await session.execute(
            select(Notification.kind, Notification.title, Notification.body)
            .where(Notification.user_id == user_id, Notification.kind.like("duty_redemption%"))
            .order_by(Notification.created_at)
        )
        return [tuple(r) for r in rows]
