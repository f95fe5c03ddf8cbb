"""The append-only points ledger: reconciling it with the year's events and rules (`reconcile`).

The balance of an event is the sum of its entries, per (person, source, source id, event kind). A
reconcile prices every event of the year with the year's live rule and appends the differences:

- `event`: a new event (a 0-point event gets one 0 entry too, so the deputy sees it), or an event
  back after it was undone, or a changed quantity (a training's hours) under the same rule;
- `reversal`: the event is gone (attendance corrected, evidence rejected, suggestion withdrawn); a
  0-point event gone gets a 0 reversal, once;
- `reprice`: the rule that prices the event changed (points, or the category it counts in).

Nothing is ever edited or deleted (a trigger refuses it). A second reconcile of the same data appends
nothing. The work is set-based: one statement reads the events, one the ledger's sums, one COPY
appends the entries, all in the caller's transaction under the office's lock. A last statement folds
the entries not folded yet into the ranking's sums (`fold`).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import copy_records, read_rows, utcnow
from renda.modules.duty.events import Event, collect_events
from renda.modules.duty.models import PointEntry, PointSum, PointSumMark
from renda.modules.duty.rules import RuleSetting, ensure_year_rules, lock_office
from renda.modules.rollups import service as rollups

LEDGER_ACTOR = "system:duty:积分记账"
COLUMNS = [
    "year",
    "person_id",
    "category",
    "event_kind",
    "rule_id",
    "source",
    "source_id",
    "source_label",
    "occurred_on",
    "points",
    "reason",
    "created_by",
    "created_at",
]
Key = tuple[uuid.UUID, str, uuid.UUID, str]  # person, source, source id, event kind


@dataclass(frozen=True)
class Balance:
    """What the ledger holds for one event in one category."""

    points: Decimal
    last_id: int
    last_reason: str
    last_rule_id: uuid.UUID | None
    last_label: str
    last_occurred_on: date


@dataclass
class ReconcileResult:
    year: int
    events: int = 0
    added: Counter[str] = field(default_factory=Counter)  # reason → entries appended

    @property
    def entries(self) -> int:
        return sum(self.added.values())


def _last(values: Any) -> Any:
    """The value of the event's latest entry (array_agg ordered by id, newest first)."""
    return func.array_agg(aggregate_order_by(values, PointEntry.id.desc()))[1]


async def balances(
    session: AsyncSession, year: int, person_ids: Sequence[uuid.UUID] | None = None
) -> dict[Key, dict[str, Balance]]:
    """The ledger's sums of the year per event and category, with what its latest entry says."""
    query = (
        select(
            PointEntry.person_id,
            PointEntry.source,
            PointEntry.source_id,
            PointEntry.event_kind,
            PointEntry.category,
            func.sum(PointEntry.points).label("points"),
            func.max(PointEntry.id).label("last_id"),
            _last(PointEntry.reason).label("last_reason"),
            _last(PointEntry.rule_id).label("last_rule_id"),
            _last(PointEntry.source_label).label("last_label"),
            _last(PointEntry.occurred_on).label("last_occurred_on"),
        )
        .where(PointEntry.year == year)
        .group_by(
            PointEntry.person_id, PointEntry.source, PointEntry.source_id, PointEntry.event_kind, PointEntry.category
        )
    )
    if person_ids is not None:
        query = query.where(PointEntry.person_id.in_(list(person_ids)))
    found: dict[Key, dict[str, Balance]] = {}
    for r in await read_rows(session, query):
        found.setdefault((r.person_id, r.source, r.source_id, r.event_kind), {})[r.category] = Balance(
            r.points, r.last_id, r.last_reason, r.last_rule_id, r.last_label, r.last_occurred_on
        )
    return found


@dataclass(frozen=True)
class NewEntry:
    key: Key
    category: str
    rule_id: uuid.UUID | None
    label: str
    occurred_on: date
    points: Decimal
    reason: str

    def record(self, year: int, actor: str, now: datetime) -> tuple[Any, ...]:
        person_id, source, source_id, kind = self.key
        return (
            year,
            person_id,
            self.category,
            kind,
            self.rule_id,
            source,
            source_id,
            self.label,
            self.occurred_on,
            self.points,
            self.reason,
            actor,
            now,
        )


def differences(
    events: Sequence[Event], rules: dict[str, RuleSetting], held: dict[Key, dict[str, Balance]]
) -> list[NewEntry]:
    """The entries that bring the ledger's balances to the events' current prices."""
    found: list[NewEntry] = []
    current = {event.key: event for event in events if event.event_kind in rules}
    for key in sorted(current.keys() | held.keys(), key=lambda k: tuple(map(str, k))):
        event, by_category = current.get(key), held.get(key, {})
        last = max(by_category.values(), key=lambda b: b.last_id, default=None)
        if event is None:
            assert last is not None
            found += [
                NewEntry(key, category, b.last_rule_id, b.last_label, b.last_occurred_on, -b.points, "reversal")
                for category, b in sorted(by_category.items())
                if b.points
            ]
            if not any(b.points for b in by_category.values()) and last.last_reason != "reversal":
                category = next(c for c, b in by_category.items() if b is last)
                found.append(
                    NewEntry(
                        key, category, last.last_rule_id, last.last_label, last.last_occurred_on, Decimal(0), "reversal"
                    )
                )
            continue
        rule = rules[event.event_kind]
        price = rule.price(event.quantity)
        # The rule moved the event to another category: what it holds elsewhere moves with it.
        found += [
            NewEntry(key, category, rule.id, event.label, event.occurred_on, -b.points, "reprice")
            for category, b in sorted(by_category.items())
            if category != rule.category and b.points
        ]
        held_here = by_category[rule.category].points if rule.category in by_category else Decimal(0)
        fresh = last is None or last.last_reason == "reversal"
        if fresh:
            found.append(
                NewEntry(key, rule.category, rule.id, event.label, event.occurred_on, price - held_here, "event")
            )
        elif price != held_here:
            reason = "reprice" if last.last_rule_id != rule.id else "event"
            found.append(
                NewEntry(key, rule.category, rule.id, event.label, event.occurred_on, price - held_here, reason)
            )
    return found


async def reconcile(
    session: AsyncSession,
    year: int,
    person_ids: Sequence[uuid.UUID] | None = None,
    *,
    actor: str = LEDGER_ACTOR,
) -> ReconcileResult:
    """Bring the office's ledger of `year` (or these persons' part of it) in line with the events and
    the year's rules, in the session's transaction (the caller commits)."""
    await lock_office(session)
    rules = await ensure_year_rules(session, year)
    events = await collect_events(session, year, person_ids)
    entries = differences(events, rules.rules, await balances(session, year, person_ids))
    result = ReconcileResult(year, events=len(events))
    if entries:
        now = utcnow()
        await copy_records(session, PointEntry.__tablename__, COLUMNS, [e.record(year, actor, now) for e in entries])
        result.added.update(e.reason for e in entries)
        # Written with COPY, which the rollups' watch does not see: the figures are stale all the same.
        await rollups.mark_stale(session, [session.info["tenant_code"]])
    await fold(session, year)
    return result


async def fold(session: AsyncSession, year: int) -> None:
    """Add the year's entries after the mark to the ranking's sums and move the mark, in one statement
    (one snapshot: what is added is exactly what the mark passes). Under the office's lock: only a
    reconcile writes the ledger, so no entry below the mark can still be on its way."""
    mark = (
        select(func.coalesce(func.max(PointSumMark.through_id), 0)).where(PointSumMark.year == year).scalar_subquery()
    )
    fresh = select(PointEntry).where(PointEntry.year == year, PointEntry.id > mark).cte("fresh")
    added = (
        insert(PointSum)
        .from_select(
            ["year", "person_id", "category", "event_kind", "points"],
            select(
                literal(year, Integer),
                fresh.c.person_id,
                fresh.c.category,
                fresh.c.event_kind,
                func.sum(fresh.c.points),
            ).group_by(fresh.c.person_id, fresh.c.category, fresh.c.event_kind),
        )
        .on_conflict_do_update(
            index_elements=["year", "person_id", "category", "event_kind"],
            set_={"points": PointSum.points + insert(PointSum).excluded.points},
        )
        .returning(PointSum.year)
        .cte("added")
    )
    moved = insert(PointSumMark).from_select(
        ["year", "through_id"],
        select(literal(year, Integer), func.max(fresh.c.id)).having(func.max(fresh.c.id).is_not(None)),
    )
    moved = moved.on_conflict_do_update(index_elements=["year"], set_={"through_id": moved.excluded.through_id})
    await session.execute(moved.add_cte(added))
