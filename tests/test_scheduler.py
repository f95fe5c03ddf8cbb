"""The scheduler: each period of a job is enqueued once, even with two replicas ticking at once; a
scheduler back from downtime runs a missed job once; periods follow Asia/Shanghai time; a per-office
job reaches every active office once per period."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import dramatiq
import pytest
from litestar.testing import AsyncTestClient

from renda.core.db import Database
from renda.core.timezone import LOCAL_TZ
from renda.workers import scheduler
from renda.workers.broker import actor
from renda.workers.fan_out import fan_out
from renda.workers.maintenance import purge_outbox, purge_sessions
from renda.workers.scheduler import Daily, Every, PeriodicJob, Weekly, per_office, registered_jobs, tick
from tests.conftest import ensure_tenant, raw_fetchval, running_worker


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LOCAL_TZ)  # type: ignore[misc]


async def outbox_periods(database_url: str, actor_name: str, prefix: str) -> list[str]:
    """The periods (last argument) of the outbox messages for `actor_name`, oldest first."""
    found = await raw_fetchval(
        database_url,
        "select coalesce(json_agg(args->>-1 order by id), '[]') from platform.outbox"
        " where actor_name = $1 and args->>-1 like $2",
        actor_name,
        prefix + "%",
    )
    import json

    return json.loads(found)  # type: ignore[arg-type]


# --- periods in Asia/Shanghai ----------------------------------------------------------------------
def test_every_is_aligned_to_local_midnight() -> None:
    five_hours = Every(minutes=300)
    assert five_hours.period_start(local(2031, 5, 6, 23, 59)) == local(2031, 5, 6, 20, 0)
    assert five_hours.period_start(local(2031, 5, 7, 0, 1)) == local(2031, 5, 7, 0, 0)
    assert five_hours.period_start(local(2031, 5, 7, 4, 59)) == local(2031, 5, 7, 0, 0)
    assert five_hours.period_start(local(2031, 5, 7, 5, 0)) == local(2031, 5, 7, 5, 0)
    # Given in UTC (16:01 UTC is 00:01 the next day in Shanghai), the result is the same local period.
    assert five_hours.period_start(datetime.fromisoformat("2031-05-06T16:01:00+00:00")) == local(2031, 5, 7, 0, 0)


def test_daily_turns_at_local_midnight_not_utc() -> None:
    midnight = Daily(hour=0)
    assert midnight.period_start(local(2031, 5, 6, 23, 59)) == local(2031, 5, 6, 0, 0)
    assert midnight.period_start(local(2031, 5, 7, 0, 1)) == local(2031, 5, 7, 0, 0)
    at_eight = Daily(hour=8, minute=30)
    assert at_eight.period_start(local(2031, 5, 7, 8, 29)) == local(2031, 5, 6, 8, 30)
    assert at_eight.period_start(local(2031, 5, 7, 8, 30)) == local(2031, 5, 7, 8, 30)
    # 00:30 UTC is 08:30 in Shanghai.
    assert at_eight.period_start(datetime.fromisoformat("2031-05-07T00:30:00+00:00")) == local(2031, 5, 7, 8, 30)


def test_weekly_turns_on_local_monday() -> None:
    monday_morning = Weekly(weekday=0, hour=9)
    assert local(2031, 5, 5).weekday() == 0  # a Monday
    assert monday_morning.period_start(local(2031, 5, 5, 8, 59)) == local(2031, 4, 28, 9, 0)
    assert monday_morning.period_start(local(2031, 5, 5, 9, 0)) == local(2031, 5, 5, 9, 0)
    assert monday_morning.period_start(local(2031, 5, 11, 23, 59)) == local(2031, 5, 5, 9, 0)  # Sunday
    monday_midnight = Weekly(weekday=0, hour=0)
    assert monday_midnight.period_start(local(2031, 5, 4, 23, 59)) == local(2031, 4, 28, 0, 0)
    # Monday 00:01 in Shanghai is still Sunday in UTC: the new week has begun all the same.
    sunday_utc = datetime.fromisoformat("2031-05-04T16:01:00+00:00")
    assert monday_midnight.period_start(sunday_utc) == local(2031, 5, 5, 0, 0)


# --- exactly once per period -----------------------------------------------------------------------
async def test_two_replicas_enqueue_each_period_once(database, database_url) -> None:
    every = PeriodicJob("test.replicas.every5", Every(minutes=5), purge_sessions)
    daily = PeriodicJob("test.replicas.daily8", Daily(hour=8), purge_outbox)
    replicas = [Database(database_url, pool_size=3), Database(database_url, pool_size=3)]
    start = local(2031, 3, 3, 7, 50)
    try:
        for minute in range(30):  # 07:50 … 08:19, every replica ticking three times a minute
            now = start + timedelta(minutes=minute, seconds=7)
            await asyncio.gather(*(tick(r, now, jobs=[every, daily]) for r in replicas for _ in range(3)))
    finally:
        for replica in replicas:
            await replica.dispose()

    every_periods = await outbox_periods(database_url, "purge_sessions", "2031-03-03T")
    assert every_periods == [f"2031-03-03T{h:02d}:{m:02d}+08:00" for h, m in ((7, 50), (7, 55))] + [
        f"2031-03-03T08:{m:02d}+08:00" for m in range(0, 20, 5)
    ]
    assert await outbox_periods(database_url, "purge_outbox", "2031-03-0") == [
        "2031-03-02T08:00+08:00",
        "2031-03-03T08:00+08:00",
    ]
    runs = await raw_fetchval(
        database_url, "select count(*) from platform.scheduled_runs where job like 'test.replicas.%'"
    )
    assert runs == len(every_periods) + 2


async def test_missed_periods_run_once_after_downtime(database, database_url) -> None:
    hourly = PeriodicJob("test.downtime.hourly", Every(minutes=60), purge_sessions)
    daily = PeriodicJob("test.downtime.daily", Daily(hour=2), purge_outbox)
    assert await tick(database, local(2032, 4, 1, 9, 10), jobs=[hourly, daily]) == [
        "test.downtime.hourly@2032-04-01T09:00+08:00",
        "test.downtime.daily@2032-04-01T02:00+08:00",
    ]
    # Down for three and a half days: six hours' and three days' periods were missed.
    back = local(2032, 4, 4, 15, 20)
    assert await tick(database, back, jobs=[hourly, daily]) == [
        "test.downtime.hourly@2032-04-04T15:00+08:00",
        "test.downtime.daily@2032-04-04T02:00+08:00",
    ]
    assert await tick(database, back + timedelta(minutes=20), jobs=[hourly, daily]) == []
    assert await outbox_periods(database_url, "purge_sessions", "2032-04-") == [
        "2032-04-01T09:00+08:00",
        "2032-04-04T15:00+08:00",
    ]
    assert await outbox_periods(database_url, "purge_outbox", "2032-04-") == [
        "2032-04-01T02:00+08:00",
        "2032-04-04T02:00+08:00",
    ]


def test_every_registered_job_has_a_schedule_and_an_actor() -> None:
    from renda.workers.broker import load_actor_modules, registered_actors

    load_actor_modules()
    jobs = registered_jobs()
    assert "maintenance.purge_outbox" in jobs and "maintenance.purge_sessions" in jobs
    actors = registered_actors()
    for job in jobs.values():
        assert actors[job.actor.actor_name] is job.actor
        job.schedule.period_start(local(2031, 1, 1))


# --- per office ------------------------------------------------------------------------------------
PINGED: list[tuple[str, str]] = []


@actor(queue_name="scheduler")
async def office_ping(tenant_code: str, period: str) -> None:
    PINGED.append((tenant_code, period))


@pytest.fixture
def ping_job(monkeypatch):
    monkeypatch.setattr(scheduler, "_jobs", dict(scheduler._jobs))
    monkeypatch.setattr(scheduler, "_office_jobs", dict(scheduler._office_jobs))
    per_office("test.office_ping", Weekly(weekday=0, hour=9), levels=("county",))(office_ping)
    return registered_jobs()["test.office_ping"]


async def test_per_office_job_reaches_each_active_office_once(database, database_url, hierarchy, ping_job) -> None:
    from renda.tenants.models import TenantStatus
    from renda.tenants.service import set_status

    suspended = "610926"
    await ensure_tenant(database, suspended, "停用测试县人大常委会", "county", hierarchy["city"])
    await set_status(database, suspended, TenantStatus.SUSPENDED, actor="system:test", reason="测试")

    now = local(2033, 6, 6, 9, 30)  # a Monday
    assert await tick(database, now, jobs=[ping_job]) == ["test.office_ping@2033-06-06T09:00+08:00"]
    period = "2033-06-06T09:00+08:00"
    fan_out_id = await raw_fetchval(
        database_url,
        "select message_id from platform.outbox where actor_name = 'fan_out' and args = $1::jsonb",
        f'["test.office_ping", "{period}"]',
    )
    assert fan_out_id
    # This test plays the relay for the fan-out message.
    await raw_fetchval(database_url, "update platform.outbox set sent_at = now() where message_id = $1", fan_out_id)
    active_counties = await raw_fetchval(
        database_url,
        "select json_agg(code order by code) from platform.tenants where level = 'county' and status = 'active'",
    )
    import json

    expected = sorted(json.loads(active_counties))  # type: ignore[arg-type]
    assert hierarchy["a"] in expected and suspended not in expected

    message = dramatiq.Message(
        queue_name=fan_out.queue_name,
        actor_name=fan_out.actor_name,
        args=("test.office_ping", period),
        kwargs={},
        options={},
        message_id=str(fan_out_id),
    )
    with running_worker("stub") as broker:
        broker.enqueue(message)
        broker.join(fan_out.queue_name)
        assert sorted(await outbox_periods_of_offices(database_url, period)) == expected
        # The broker hands the fan-out over again (a redelivery after a crash): nothing is sent twice.
        broker.enqueue(message)
        broker.join(fan_out.queue_name)
    assert sorted(await outbox_periods_of_offices(database_url, period)) == expected


async def outbox_periods_of_offices(database_url: str, period: str) -> list[str]:
    import json

    found = await raw_fetchval(
        database_url,
        "select coalesce(json_agg(args->>0), '[]') from platform.outbox"
        " where actor_name = 'office_ping' and args->>1 = $1",
        period,
    )
    return json.loads(found)  # type: ignore[arg-type]


# --- the demo runs the scheduler in its own process ------------------------------------------------
async def test_demo_app_runs_the_scheduler(database, database_url, settings) -> None:
    from renda.app import create_app
    from renda.core.db import utcnow
    from renda.workers.broker import create_broker

    period = Every(minutes=60).period_start(utcnow()).isoformat(timespec="minutes")
    app = create_app(settings, database_url, broker=create_broker(None), with_scheduler=True)
    async with AsyncTestClient(app):

        async def claimed() -> object:
            return await raw_fetchval(
                database_url,
                "select count(*) from platform.scheduled_runs where job = 'maintenance.purge_sessions'"
                " and period >= $1",
                period,
            )

        for _ in range(100):
            if await claimed():
                break
            await asyncio.sleep(0.1)
        assert await claimed() == 1
