"""People, units and suggestions for the suggestion tests, made directly in the office's schema so each
part of the loop can be tested from the state it starts in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update

from renda.modules.deputies.models import Mandate, Person
from renda.modules.suggestions.models import Suggestion, SuggestionStep, SuggestionUnit
from renda.modules.units import service as units
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import Caller, make_caller
from tests.modules.organisation.support import add_persons, fresh_term

ACTOR = "system:test:代表建议"


def unique(label: str) -> str:
    return f"{label}{uuid.uuid4().hex[:6]}"


@dataclass
class Office:
    code: str
    term_id: uuid.UUID
    staff: Caller
    viewer: Caller
    committee: Caller
    # Deputies who sign in: the lead and two co-signers, each a person with a live county mandate.
    deputy: Caller
    deputy_person: uuid.UUID
    cosigners: list[Caller]
    cosigner_persons: list[uuid.UUID]
    # Two handling units with one user each.
    unit_user: Caller
    other_unit_user: Caller
    unit_id: uuid.UUID
    other_unit_id: uuid.UUID
    mandates: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # person → mandate


async def office(database, code: str, place: str) -> Office:
    """A current county term with three deputies who sign in, staff, a viewer, a committee member and
    two handling units with a user each."""
    term_id = await fresh_term(code)
    tenant = await load_tenant(code)
    staff = await make_caller(database, f"{place}工作人员", {code: ["staff"]})
    viewer = await make_caller(database, f"{place}只读用户", {code: ["viewer"]})
    committee = await make_caller(database, f"{place}常委会组成人员", {code: ["committee_member"]})
    unit_user = await make_caller(database, f"{place}交通局经办人", {code: ["handling_unit"]})
    other_unit_user = await make_caller(database, f"{place}教育局经办人", {code: ["handling_unit"]})
    callers = [await make_caller(database, f"{place}代表{i}", {code: ["deputy"]}) for i in range(3)]
    persons = await add_persons(code, *(unique(f"{place}代表{i}") for i in range(3)), level="county", term_id=term_id)
    async with tenant_session(tenant, actor=ACTOR) as session:
        for person, caller in zip(persons, callers, strict=True):
            await session.execute(update(Person).where(Person.id == person).values(user_id=caller.user_id))
        mandates = dict(
            (await session.execute(select(Mandate.person_id, Mandate.id).where(Mandate.person_id.in_(persons)))).all()
        )
        unit_ids = []
        for name, user in ((unique(f"{place}交通运输局"), unit_user), (unique(f"{place}教育局"), other_unit_user)):
            unit = await units.create_unit(session, True, units.UnitIn(name=name))
            await units.add_unit_user(session, True, tenant, unit, user.user_id)
            unit_ids.append(unit.id)
        await session.commit()
    return Office(
        code,
        term_id,
        staff,
        viewer,
        committee,
        callers[0],
        persons[0],
        callers[1:],
        persons[1:],
        unit_user,
        other_unit_user,
        unit_ids[0],
        unit_ids[1],
        mandates,
    )


def _values(office: Office, seq: int | None, fields: dict) -> dict:
    """A suggestion's columns in the state `fields` name: assigned ones go to the office's first unit with
    a deadline three months on, unless `fields` say otherwise."""
    year, status = fields.get("year", 2026), fields.get("status", "submitted")
    values = dict(
        year=year,
        seq=None if status == "draft" else seq,
        kind="suggestion",
        term_id=office.term_id,
        lead_person_id=office.deputy_person,
        lead_mandate_id=office.mandates[office.deputy_person],
        category="transport",
        title=unique("关于改善出行条件的建议"),
        content="建议加快县城至乡镇公路的硬化改造,解决群众出行难问题。",
        status=status,
        filed_at=None if status == "draft" else datetime(year, 3, 1, 2, tzinfo=UTC),
    )
    if status in ("assigned", "replied", "closed"):
        values.update(
            lead_unit_id=office.unit_id, assigned_at=datetime(year, 3, 10, 2, tzinfo=UTC), deadline=date(year, 6, 10)
        )
    if status == "closed":
        values.update(closed_at=datetime(year, 6, 1, 2, tzinfo=UTC))
    given = {k: v for k, v in fields.items() if not (k == "title" and v is None)}  # title=None: a fresh one
    return {**values, **given}


async def _write(session, office: Office, seq: int | None, fields: dict) -> Suggestion:
    suggestion = Suggestion(**_values(office, seq, fields))
    session.add(suggestion)
    await session.flush()
    if suggestion.lead_unit_id is not None:
        session.add(
            SuggestionUnit(
                suggestion_id=suggestion.id,
                unit_id=suggestion.lead_unit_id,
                round=suggestion.round,
                role="lead",
                assigned_at=suggestion.assigned_at or datetime(suggestion.year, 3, 10, 2, tzinfo=UTC),
            )
        )
    return suggestion


async def _last_seq(session) -> int:
    return await session.scalar(select(Suggestion.seq).order_by(Suggestion.seq.desc().nulls_last()).limit(1)) or 0


async def make_suggestion(office: Office, **fields) -> Suggestion:
    """A suggestion in the given state (`status=`, default submitted), written directly."""
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        suggestion = await _write(session, office, await _last_seq(session) + 1, fields)
        await session.commit()
        return suggestion


async def get(code: str, suggestion_id: uuid.UUID) -> Suggestion:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        return await session.get_one(Suggestion, suggestion_id)


async def steps(code: str, suggestion_id: uuid.UUID) -> list[SuggestionStep]:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        query = select(SuggestionStep).where(SuggestionStep.suggestion_id == suggestion_id)
        return list((await session.execute(query.order_by(SuggestionStep.created_at))).scalars())


# --- evaluation, follow-up, supervision ------------------------------------------------------------
async def reply(
    office: Office,
    suggestion_id: uuid.UUID,
    reply_class: str = "A",
    *,
    text: str = "已列入年度计划,年内完成道路硬化。",
    commitments: str | None = None,
) -> Suggestion:
    """The lead unit's reply as the handling part writes it (status, class, text, replied_at), then the
    loop's `on_replied`: the rating window, follow-up of B and C, the deputy's notice."""
    from renda.core.db import utcnow
    from renda.modules.suggestions import service

    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        suggestion = await session.get_one(Suggestion, suggestion_id)
        suggestion.status, suggestion.reply_class, suggestion.reply_text = "replied", reply_class, text
        suggestion.reply_commitments, suggestion.replied_at, suggestion.replied_on_time = commitments, utcnow(), True
        session.add(SuggestionStep(suggestion_id=suggestion.id, kind="replied", round=suggestion.round, actor=ACTOR))
        await service.on_replied(session, suggestion)
        await session.commit()
        return suggestion


# --- handling: more units, co-handlers, notifications ---------------------------------------------
async def add_unit(office: Office, label: str, *, active: bool = True) -> tuple[uuid.UUID, Caller]:
    """One more handling unit of the office with a user of its own (archived unless `active`)."""
    from renda.core.db import get_database

    tenant = await load_tenant(office.code)
    user = await make_caller(get_database(), f"{label}经办人", {office.code: ["handling_unit"]})
    async with tenant_session(tenant, actor=ACTOR) as session:
        unit = await units.create_unit(session, True, units.UnitIn(name=unique(label)))
        await units.add_unit_user(session, True, tenant, unit, user.user_id)
        if not active:
            await units.update_unit(session, True, unit, units.UnitPatch(is_active=False))
        await session.commit()
        return unit.id, user


async def add_cohandler(office: Office, suggestion: Suggestion, unit_id: uuid.UUID, opinion_due: date) -> None:
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        session.add(
            SuggestionUnit(
                suggestion_id=suggestion.id,
                unit_id=unit_id,
                round=suggestion.round,
                role="co",
                assigned_at=suggestion.assigned_at or datetime(suggestion.year, 3, 10, 2, tzinfo=UTC),
                opinion_due=opinion_due,
            )
        )
        await session.commit()


async def notices(code: str, user_id: uuid.UUID, kind: str, suggestion_id: uuid.UUID | None = None) -> list:
    from renda.modules.notifications.models import Notification

    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        query = select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
        if suggestion_id is not None:
            query = query.where(Notification.event_key.contains(str(suggestion_id)))
        return list((await session.execute(query.order_by(Notification.created_at))).scalars())


async def unit_rows(code: str, suggestion_id: uuid.UUID) -> list[SuggestionUnit]:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        query = select(SuggestionUnit).where(SuggestionUnit.suggestion_id == suggestion_id)
        return list((await session.execute(query.order_by(SuggestionUnit.assigned_at))).scalars())


# --- filing and intake -----------------------------------------------------------------------------
HTML = {"Accept": "text/html"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def end_mandate(code: str, person_id: uuid.UUID) -> None:
    """The person's mandates here end (resigned): they may no longer lead or co-sign."""
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        await session.execute(
            update(Mandate)
            .where(Mandate.person_id == person_id)
            .values(status="ended", ended_on=date(2026, 1, 5), end_reason="resigned")
        )
        await session.commit()


async def set_settings(code: str, **values) -> None:
    from renda.modules.suggestions.common import load_settings

    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        settings = await load_settings(session)
        for name, value in values.items():
            setattr(settings, name, value)
        await session.commit()


async def units_of(code: str, suggestion_id: uuid.UUID) -> list[SuggestionUnit]:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        query = select(SuggestionUnit).where(SuggestionUnit.suggestion_id == suggestion_id)
        return list((await session.execute(query.order_by(SuggestionUnit.round))).scalars())


async def reset_settings(code: str) -> None:
    """The office's rules back to their defaults (a test that changed them leaves the next one alone)."""
    from sqlalchemy import delete

    from renda.modules.suggestions.models import SuggestionSettings

    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        await session.execute(delete(SuggestionSettings))
        await session.commit()


async def loop_counts(code: str) -> dict[str, int]:
    """Rows of the loop's tables (and the office's notifications): a refused request changes none."""
    from sqlalchemy import func

    from renda.modules.notifications.models import Notification
    from renda.modules.suggestions.models import SuggestionAttachment, SuggestionCosigner

    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        return {
            model.__tablename__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Suggestion, SuggestionCosigner, SuggestionAttachment, SuggestionStep, Notification)
        }


async def inbox(code: str, user_id: uuid.UUID, kind: str):
    from renda.modules.notifications.models import Notification

    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        query = select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
        return list((await session.execute(query.order_by(Notification.created_at))).scalars())


# --- the list and the rates ------------------------------------------------------------------------
async def add_cosigner(
    office: Office, suggestion_id: uuid.UUID, person_id: uuid.UUID, status: str = "confirmed"
) -> None:
    from renda.modules.suggestions.models import SuggestionCosigner

    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        session.add(
            SuggestionCosigner(
                suggestion_id=suggestion_id, person_id=person_id, mandate_id=office.mandates[person_id], status=status
            )
        )
        await session.commit()


async def add_co_unit(office: Office, suggestion_id: uuid.UUID, unit_id: uuid.UUID) -> None:
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        session.add(SuggestionUnit(suggestion_id=suggestion_id, unit_id=unit_id, round=1, role="co"))
        await session.commit()


async def make_many(office: Office, rows: list[dict]) -> list[uuid.UUID]:
    """Many suggestions in one transaction (numbers follow on), each row the fields of `make_suggestion`."""
    made: list[uuid.UUID] = []
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        first = await _last_seq(session) + 1
        for seq, fields in enumerate(rows, first):
            made.append((await _write(session, office, seq, fields)).id)
        await session.commit()
    return made


async def unkey(office: Office, *suggestion_ids: uuid.UUID) -> None:
    """Takes the key mark off again: the office's key board (supervision tests) lists every key item."""
    async with tenant_session(await load_tenant(office.code), actor=ACTOR) as session:
        await session.execute(update(Suggestion).where(Suggestion.id.in_(suggestion_ids)).values(is_key=False))
        await session.commit()


# --- jobs, as the workers run them -------------------------------------------------------------------
async def run_queued(actor_name: str, *args: object) -> int:
    """Deliver the outbox's unsent messages of `actor_name` whose arguments begin with `args` to a worker
    (on the in-process broker), as the relay would, and wait until it has run them; the outbox's other
    messages are left for whoever relays them. Returns how many ran."""
    from renda.core.db import get_database
    from renda.workers.outbox import OutboxMessage

    async with get_database().platform_session() as session:
        query = select(OutboxMessage).where(OutboxMessage.actor_name == actor_name, OutboxMessage.sent_at.is_(None))
        rows = [
            r for r in (await session.execute(query.with_for_update())).scalars() if r.args[: len(args)] == list(args)
        ]
        messages = [_as_sent(row) for row in rows]
        await session.commit()
    await _deliver(messages)
    return len(messages)


def _as_sent(row: Any) -> Any:
    """The outbox row as the relay sends it (marked sent: no relay sends it again)."""
    import dramatiq

    from renda.core.db import utcnow

    row.sent_at = utcnow()
    return dramatiq.Message(
        queue_name=row.queue_name,
        actor_name=row.actor_name,
        args=tuple(row.args),
        kwargs=row.kwargs,
        options={"tenant_code": row.tenant_code} if row.tenant_code else {},
        message_id=row.message_id,
    )


async def _deliver(messages: list[Any]) -> None:
    """Messages to a worker on the in-process broker; back when it has run them."""
    from tests.conftest import running_worker

    with running_worker("stub") as broker:
        for message in messages:
            broker.enqueue(message)
        for queue in {m.queue_name for m in messages}:
            broker.join(queue, fail_fast=True)


async def run_office_job(job_name: str, code: str, at: datetime) -> str:
    """A per-office periodic job run for one office as in production, with the clock at `at`: the period
    the scheduler works out then, and the message the fan-out writes to the outbox for the office, handed
    to a worker. The test plays the relay for that message (the app's own relay, running beside the test
    client, would also run every other office's message of a fan-out: their data belongs to other tests).
    Returns the period."""
    import time_machine

    from renda.core.db import get_database, utcnow
    from renda.workers.broker import load_actor_modules
    from renda.workers.outbox import enqueue
    from renda.workers.scheduler import office_job, registered_jobs

    load_actor_modules()
    job = registered_jobs()[job_name]
    declared, _levels = office_job(job_name)
    with time_machine.travel(at, tick=True):
        period = job.schedule.period_start(utcnow()).isoformat(timespec="minutes")
        async with get_database().platform_session() as session:
            message = _as_sent(enqueue(session, declared, code, period))  # by this test, not the app's relay
            await session.commit()
        await _deliver([message])
    return period
