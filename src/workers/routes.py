"""Platform API: dead jobs of every office, and sending them again (platform administrators only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import provide_platform_session
from renda.core.errors import InvalidInput, NotFound
from renda.core.permissions import requires
from renda.workers import dead_jobs
from renda.workers.models import DeadJob


class DeadJobOut(msgspec.Struct):
    id: int
    message_id: str
    office: str | None
    actor: str
    queue: str
    args: list[Any]
    kwargs: dict[str, Any]
    error: str | None
    failed_at: datetime

    @classmethod
    def of(cls, job: DeadJob) -> DeadJobOut:
        return cls(
            job.id,
            job.message_id,
            job.tenant_code,
            job.actor_name,
            job.queue_name,
            job.args,
            job.kwargs,
            job.error,
            job.failed_at,
        )


class DeadJobList(msgspec.Struct):
    items: list[DeadJobOut]
    total: int


class RetryIn(msgspec.Struct, forbid_unknown_fields=True):
    ids: list[int] = []
    all: bool = False
    office: str | None = None


class RetriedOut(msgspec.Struct):
    id: int
    result: str  # retried | already_retried
    new_message_id: str | None


class DeadJobController(Controller):
    path = "/api/v1/platform/jobs/dead"
    tags = ["后台任务"]
    dependencies = {"db": Provide(provide_platform_session)}

    @get("/", guards=[requires("platform.jobs.read")])
    async def list_dead(self, db: AsyncSession, office: str | None = None) -> DeadJobList:
        jobs = await dead_jobs.list_dead(db, office)
        return DeadJobList([DeadJobOut.of(j) for j in jobs], await dead_jobs.count_dead(db, office))

    @post("/retry", guards=[requires("platform.jobs.write")], status_code=200, raises=[NotFound])  # an unknown id
    async def retry(self, db: AsyncSession, data: RetryIn) -> list[RetriedOut]:
        if bool(data.ids) == data.all:
            raise InvalidInput("请指定要重试的任务编号,或选择全部重试", code="retry_target_required")
        done = await dead_jobs.retry(db, data.ids, everything=data.all, office=data.office)
        return [
            RetriedOut(r.job.id, "retried" if r.new_message_id else "already_retried", r.new_message_id) for r in done
        ]
