"""Background work: every dramatiq actor that takes an office code, run for office A through a real
worker (stub broker), must leave office B as it was and touch no schema but A's.

The actors are enumerated from the registry: one whose first parameter names an office needs its
arguments here, and one that does not must be listed as platform-wide with its reason, so a new
actor fails this test until it is covered.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, time
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from renda.core.timezone import LOCAL_TZ
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import load_actor_modules, registered_actors
from tests.conftest import raw_fetchval, running_worker, schemas_touched, violations
from tests.isolation.conftest import CITY, A
from tests.isolation.office import TODAY, Office
from tests.support.platform_writes import platform_writes
from tests.test_schema_boundaries import undocumented

# A scheduler period: this morning, 09:00 Beijing time (a Monday's for the weekly jobs is not needed:
# the jobs read the day from it and do what that day asks, which may be nothing).
PERIOD = datetime.combine(TODAY, time(9), LOCAL_TZ).isoformat()

# Actors that work across offices by design, with why that is not a leak.
PLATFORM_WIDE = {
    "fan_out": "sends each active office its own message of a per-office job",
    "purge_outbox": "deletes sent outbox rows of every office",
    "purge_sessions": "deletes expired browser sessions (platform table)",
    "purge_rate_hits": "deletes old portal rate-limit hits (platform table)",
    "resend_stale": "re-sends lost rollup refreshes, each naming its own office",
    "recompute_nightly": "recomputes every office's figures, each from its own schema",
    "share_similar": "copies an office's suggestions to the sharing offices above and below, each in its own session",
    "resync_similar": "copies an office's suggestions both ways again after its sharing changed",
    "recover_deliveries": "visits every office, each in its own session bound to it (recover_office, tested below)",
    "resend_lost": "sends unclaimed outbox messages again, each naming its own office (platform table)",
}


async def _pending_delivery(office: Office) -> list[Any]:
    """An email to the admin, waiting to be sent (the admin now has an address)."""
    from renda.modules.notifications.models import NotificationDelivery

    await office.call("PUT", "/notifications/contacts", {"email": "admin@tongwei.gov.cn"})
    ids = await office.make("notification")
    async with tenant_session(await load_tenant(office.code), actor="system:test") as session:
        delivery = await session.get(NotificationDelivery, uuid.UUID(ids["delivery_id"]))
        assert delivery is not None
        delivery.status, delivery.attempts, delivery.last_error = "pending", 0, None
        await session.commit()
    return [[ids["delivery_id"]]]


async def _digest(office: Office) -> list[Any]:
    """A daily digest of the admin's, built and waiting to be sent."""
    from renda.modules.notifications import service

    body = {"preferences": [{"kind": "office_notice", "channel": "email", "mode": "daily"}]}
    await office.call("PUT", "/notifications/preferences", body)
    async with tenant_session(await load_tenant(office.code), actor="system:test") as session:
        variables = {"office": office.code, "subject": "汇总", "content": "内容"}
        recipients = [office.admin.user_id]
        await service.notify(
            session,
            kind="office_notice",
            event_key=f"digest:{uuid.uuid4()}",
            recipients=recipients,
            variables=variables,
        )
        (digest_id, *_) = await service.build_digests(session, "daily", PERIOD)
        await session.commit()
    return [str(digest_id)]


async def _pending_sms(office: Office) -> list[Any]:
    """The text to the person whose opinion was answered, not yet sent."""
    from renda.modules.opinions.models import OpinionSms

    opinion = await office.make("answered_opinion")
    async with tenant_session(await load_tenant(office.code), actor="system:test") as session:
        query = select(OpinionSms.id).where(OpinionSms.opinion_id == uuid.UUID(opinion["opinion_id"]))
        return [str((await session.execute(query)).scalar_one())]


async def _pending_export(office: Office) -> list[Any]:
    """An export requested and not yet built (its message is the one this test sends)."""
    from renda.modules.exports.models import Export

    async with tenant_session(await load_tenant(office.code), actor="system:test") as session:
        export = Export(kind="audit_log", params={}, requested_by=f"user:{office.admin.user_id}:机关管理员")
        session.add(export)
        await session.commit()
        return [str(export.id)]


async def _term_change(office: Office) -> list[str]:
    term = await office.make("term")
    changed = await office.call("POST", f"/terms/{term['term_id']}/change", {"next_starts_on": "2099-01-01"})
    return [changed["closed"]["id"], changed["opened"]["id"]]


async def _mandate(office: Office) -> list[Any]:
    return [(await office.make("deputy"))["mandate_id"]]


async def _mandates(office: Office) -> list[Any]:
    return [await _mandate(office)]


async def _period(office: Office) -> list[Any]:
    return [PERIOD]


async def _nothing(office: Office) -> list[Any]:
    return []


# What each office actor is sent for office A, after A's code.
ARGS: dict[str, Callable[[Office], Awaitable[list[Any]]]] = {
    "behind_schedule": _period,
    "publish_mandate": _mandate,
    "publish_mandates": _mandates,
    "term_changed": _term_change,
    "build_export": _pending_export,
    "deliver": _pending_delivery,
    "deliver_digest": _digest,
    "daily_digest": _period,
    "weekly_digest": _period,
    "send_opinion_sms": _pending_sms,
    "remind_overdue": _period,
    "roster_reminder": _period,
    "suggestion_deadlines": _period,
    "refresh_office": _nothing,
    "close_unrated_suggestions": _period,
    "carry_over_suggestions": _period,
    "duty_rating_reminders": _period,
    "close_duty_archives": _period,
    "reprice_office": _nothing,
    "start_points_year": _period,
}


def takes_an_office(declared: Any) -> bool:
    first = next(iter(inspect.signature(declared.fn).parameters), None)
    return first in ("tenant_code", "office_code")


async def test_every_office_actor_run_for_a_leaves_b_alone(app, database, database_url, office_b, digest_b) -> None:
    load_actor_modules()
    # the application's actors (a test module may declare its own, e.g. test_scheduler's office_ping)
    actors = {name: a for name, a in registered_actors().items() if a.fn.__module__.startswith("renda.")}
    office_actors = {name: actor for name, actor in actors.items() if takes_an_office(actor)}
    assert not set(office_actors) - set(ARGS), (
        f"give these actors their arguments here: {set(office_actors) - set(ARGS)}"
    )
    others = set(actors) - set(office_actors)
    assert not others - set(PLATFORM_WIDE), (
        f"office-wide actors not listed in PLATFORM_WIDE: {others - set(PLATFORM_WIDE)}"
    )
    assert not set(ARGS) - set(office_actors) and not set(PLATFORM_WIDE) - others, "stale entries"

    # A's objects, made through its API; the app (and its worker) stop before the actors run, so
    # every statement from here on is one of theirs.
    async with AsyncTestClient(app) as client:
        office = await Office(client, database, A, CITY).open()
        args = {name: [A, *await make(office)] for name, make in ARGS.items()}
    baseline = await digest_b.take()
    problems = []
    with running_worker("stub") as broker, platform_writes() as written:
        for name, actor in sorted(office_actors.items()):
            violations.clear()
            with schemas_touched(any_thread=True) as touched:
                actor.send_with_options(args=args[name], max_retries=0)
                try:
                    broker.join(actor.queue_name, fail_fast=True, timeout=60_000)
                except Exception as error:  # the actor failed: named, and the others still run
                    problems.append(f"{name}{args[name]} failed: {error!r}")
            if touched - {f"t_{A}"}:
                problems.append(f"{name} touched {sorted(touched)}")
            if violations:
                problems.append(f"{name}: SQL guard: {[v.reason for v in violations]}")
                violations.clear()
            changed = [t for t, h in (await digest_b.take()).items() if baseline.get(t) != h]
            if changed:
                problems.append(f"{name} changed B's {changed}")
                baseline = await digest_b.take()
    assert not problems, "\n".join(problems)
    assert not undocumented(written.joined), undocumented(written.joined)
    # What an office's jobs write in `platform` is known and documented (the Citus boundary).
    assert not undocumented(written.jobs, jobs=True), undocumented(written.jobs, jobs=True)
    # They did their work in A.
    for table, row_id, done in (
        ("exports", args["build_export"][1], "done"),
        ("notification_deliveries", args["deliver"][1][0], "sent"),
        ("opinion_sms", args["send_opinion_sms"][1], "sent"),
    ):
        query = f'select status from "t_{A}".{table} where id = $1'
        assert await raw_fetchval(database_url, query, uuid.UUID(row_id)) == done, table


async def test_the_delivery_recovery_pass_of_a_touches_only_a(database, office_b, digest_b) -> None:
    """`recover_deliveries` visits every office through `recover_office`: A's pass sends A's overdue
    delivery again (through the outbox), in A's schema only, and leaves B as it was."""
    from datetime import timedelta

    from renda.core.db import utcnow
    from renda.modules.notifications.models import Notification, NotificationDelivery
    from renda.modules.notifications.tasks import recover_office
    from renda.workers.models import OutboxMessage

    tenant = await load_tenant(A)
    async with tenant_session(tenant, actor="system:test") as session:  # its message lost: none written
        user = uuid.uuid4()
        item = Notification(user_id=user, kind="office_notice", event_key=f"lost:{uuid.uuid4()}", title="t", body="b")
        session.add(item)
        await session.flush()
        delivery = NotificationDelivery(notification_id=item.id, user_id=user, channel="email", status="pending")
        session.add(delivery)
        await session.commit()
        delivery_id = str(delivery.id)
    baseline = await digest_b.take()
    violations.clear()
    with schemas_touched(any_thread=True) as touched:
        count = await recover_office(tenant, now=utcnow() + timedelta(minutes=6))
    assert count >= 1
    assert touched == {f"t_{A}"}
    assert not violations, [v.reason for v in violations]
    assert await digest_b.take() == baseline
    async with database.platform_session() as session:
        query = select(OutboxMessage).where(OutboxMessage.args[1].astext.contains(delivery_id))
        assert [m.tenant_code for m in (await session.execute(query)).scalars()] == [A]
