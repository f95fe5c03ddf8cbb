"""Periodic jobs, in Asia/Shanghai time.

A module registers a platform-wide job with `periodic(...)`, or a job that runs once per office
(reminders, digests) with `per_office(...)`: its actor takes `(tenant_code, period)` and the
scheduler's fan-out sends one message per active office. Each tick, the scheduler works out every job's most
recent due period and inserts (job, period) into `platform.scheduled_runs` together with the outbox
message, in one transaction. The primary key lets exactly one scheduler replica win each period,
and only the latest due period is enqueued, so a scheduler back from downtime runs a missed job
once, not once per missed period.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import dramatiq
from sqlalchemy.dialects.postgresql import insert

from renda.core.db import Database, database_unavailable, root_cause, utcnow
from renda.core.timezone import LOCAL_TZ
from renda.workers.models import ScheduledRun
from renda.workers.outbox import enqueue

log = logging.getLogger("renda.scheduler")


@dataclass(frozen=True)
class Every:
    """Every `minutes` minutes, aligned to local midnight."""

    minutes: int

    def period_start(self, now: datetime) -> datetime:
        local = now.astimezone(LOCAL_TZ)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = int((local - midnight).total_seconds() // 60)
        return midnight + timedelta(minutes=elapsed - elapsed % self.minutes)


@dataclass(frozen=True)
class Daily:
    """Once a day at hour:minute local time."""

    hour: int
    minute: int = 0

    def period_start(self, now: datetime) -> datetime:
        local = now.astimezone(LOCAL_TZ)
        due = local.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        return due if due <= local else due - timedelta(days=1)


@dataclass(frozen=True)
class Weekly:
    """Once a week on `weekday` (0 = Monday) at hour:minute local time."""

    weekday: int
    hour: int
    minute: int = 0

    def period_start(self, now: datetime) -> datetime:
        due = Daily(self.hour, self.minute).period_start(now)
        return due - timedelta(days=(due.weekday() - self.weekday) % 7)


@dataclass(frozen=True)
class Yearly:
    """Once a year on `month`/`day` at hour:minute local time (1 January: a new year's carry-over)."""

    month: int
    day: int
    hour: int = 0
    minute: int = 0

    def period_start(self, now: datetime) -> datetime:
        local = now.astimezone(LOCAL_TZ)
        due = local.replace(month=self.month, day=self.day, hour=self.hour, minute=self.minute, second=0, microsecond=0)
        return due if due <= local else due.replace(year=due.year - 1)


Schedule = Every | Daily | Weekly | Yearly


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    schedule: Schedule
    actor: dramatiq.Actor[Any, Any]
    args: tuple[Any, ...] = ()  # sent before the period


_jobs: dict[str, PeriodicJob] = {}
_office_jobs: dict[str, tuple[dramatiq.Actor[Any, Any], tuple[str, ...] | None]] = {}


def periodic(name: str, schedule: Schedule) -> Any:
    """Register an already declared actor (taking no arguments but the period) as a periodic job."""

    def decorator(declared: dramatiq.Actor[Any, Any]) -> dramatiq.Actor[Any, Any]:
        _jobs[name] = PeriodicJob(name, schedule, declared)
        return declared

    return decorator


def per_office(name: str, schedule: Schedule, levels: tuple[str, ...] | None = None) -> Any:
    """Register an actor taking `(tenant_code, period)` to run every period for every active office
    (of `levels`, when given). Each office gets its message once per period."""

    def decorator(declared: dramatiq.Actor[Any, Any]) -> dramatiq.Actor[Any, Any]:
        from renda.workers.fan_out import fan_out

        _office_jobs[name] = (declared, levels)
        _jobs[name] = PeriodicJob(name, schedule, fan_out, (name,))
        return declared

    return decorator


def office_job(name: str) -> tuple[dramatiq.Actor[Any, Any], tuple[str, ...] | None]:
    return _office_jobs[name]


def registered_jobs() -> dict[str, PeriodicJob]:
    return dict(_jobs)


async def tick(database: Database, now: datetime | None = None, jobs: Iterable[PeriodicJob] | None = None) -> list[str]:
    """Enqueue every job (of `jobs`, default all registered) whose current period has not been
    enqueued yet; returns the enqueued."""
    now = now or utcnow()
    enqueued: list[str] = []
    for job in list(_jobs.values()) if jobs is None else jobs:
        period = job.schedule.period_start(now).isoformat(timespec="minutes")
        async with database.platform_session() as session:
            claimed = await session.execute(
                insert(ScheduledRun)
                .values(job=job.name, period=period)
                .on_conflict_do_nothing()
                .returning(ScheduledRun.job)
            )
            if claimed.first() is None:
                continue
            enqueue(session, job.actor, *job.args, period)
            await session.commit()
            enqueued.append(f"{job.name}@{period}")
    for item in enqueued:
        log.info("periodic job enqueued", extra={"job": item})
    return enqueued


async def run_scheduler(database: Database, interval_seconds: float = 15.0, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            await tick(database)
        except Exception as exc:
            if not database_unavailable(exc):
                log.exception("scheduler tick failed")
            else:  # the next tick enqueues the current periods still unclaimed: one line, no traceback
                cause = root_cause(exc)
                log.warning("scheduler tick skipped: database unavailable (%s: %s)", type(cause).__name__, cause)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except TimeoutError:
            pass
