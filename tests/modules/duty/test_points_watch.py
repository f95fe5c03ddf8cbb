"""The points job: a write to a watched table (duty's or another module's, by name) asks for one
debounced reconcile of the office; the job, run by a real worker, appends the entries and takes the
request; the ledger's own writes ask for nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, func, select, update

from renda.core.timezone import local_today
from renda.modules.duty.models import Attendance, PointsPending
from renda.modules.duty.points_tasks import reprice_office
from renda.modules.duty.points_watch import DEBOUNCE, QUIET
from renda.modules.suggestions.models import Suggestion
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.models import OutboxMessage
from tests.conftest import running_worker
from tests.modules.duty.support import ACTOR
from tests.modules.duty.support_points import activity, attend, entries, own_office, points_office, suggestion

pytestmark = pytest.mark.date_sensitive


async def taken(code: str) -> None:
    """As the job does first: the office's request is taken."""
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        await session.execute(delete(PointsPending))
        await session.commit()


async def requests(code: str) -> tuple[bool, int]:
    """(a request pending, messages to the job for the office so far)."""
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        pending = await session.get(PointsPending, 1) is not None
        sent = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.actor_name == "reprice_office", OutboxMessage.tenant_code == code)
        )
    return pending, int(sent or 0)


async def test_watched_writes_ask_for_one_reconcile_per_burst(database, offices) -> None:
    code = await own_office(database, offices, "watch")
    office = await points_office(database, code, "枝江", deputies=2)
    a, b = office.persons
    await taken(code)
    _, sent = await requests(code)

    research = await activity(code, "research")  # duty_activities: a new row
    assert await requests(code) == (True, sent + 1)
    await attend(code, research, a)  # more writes before the job ran: no second message
    await attend(code, research, b)
    assert await requests(code) == (True, sent + 1)
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        message = (
            await session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.actor_name == "reprice_office", OutboxMessage.tenant_code == code)
                .order_by(OutboxMessage.id.desc())
                .limit(1)
            )
        ).scalar_one()
    assert message.args == [code] and message.not_before is not None
    assert message.not_before - message.created_at >= DEBOUNCE * 0.9

    # Another module's table, by name: a change that matters asks, one that does not (a reply's text) not.
    await taken(code)
    led = await suggestion(code, office.term_id, a)
    assert await requests(code) == (True, sent + 2)
    await taken(code)
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        row = await session.get_one(Suggestion, led)
        row.reply_text = "已答复"
        await session.commit()
    assert await requests(code) == (False, sent + 2)
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        (await session.get_one(Suggestion, led)).status = "withdrawn"
        await session.commit()
    assert await requests(code) == (True, sent + 3)

    # A bulk statement counts; a session marked quiet (the job's own) does not.
    await taken(code)
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        session.info[QUIET] = True
        await session.execute(update(Attendance).where(Attendance.person_id == a).values(note="迟到"))
        await session.commit()
    assert await requests(code) == (False, sent + 3)
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        await session.execute(update(Attendance).where(Attendance.person_id == a).values(status="absent"))
        await session.commit()
    assert await requests(code) == (True, sent + 4)


async def test_the_job_reconciles_the_office_through_a_worker(database, offices) -> None:
    code = await own_office(database, offices, "watch")
    office = await points_office(database, code, "枝江", deputies=1)
    year = local_today().year
    session = await activity(code, "session", on=date(year, 1, 1))
    await attend(code, session, office.person)
    assert await requests(code) == (True, (await requests(code))[1])

    with running_worker("stub") as broker:
        reprice_office.send(code)
        broker.join(reprice_office.queue_name, fail_fast=True)
        reprice_office.send(code)  # delivered twice: the second appends nothing
        broker.join(reprice_office.queue_name, fail_fast=True)

    found = await entries(code, [office.person], year)
    assert [(e.event_kind, e.points, e.reason, e.created_by) for e in found] == [
        ("session", 20, "event", "system:duty:积分记账")
    ]
    assert (await requests(code))[0] is False
