"""Messages that failed their last retry: recorded in `platform.dead_jobs`, listed and sent again.

The broker keeps its own dead-letter queue too, but that one differs between RabbitMQ and Redis and
expires; this table is what operators (`renda jobs dead|retry`, the platform API) and the office
dashboard read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database, utcnow
from renda.core.errors import NotFound
from renda.workers.job_log import job_fields
from renda.workers.models import DeadJob, OutboxMessage

log = logging.getLogger("renda.jobs")
ERROR_LINES = 8
# A database that does not answer within this time must not hold a worker thread any longer.
RECORD_TIMEOUT_SECONDS = 10.0


def error_tail(message: Any) -> str:
    """The last lines of the final failure's traceback (what an operator needs to triage)."""
    traceback = message.options.get("traceback")
    if traceback:
        lines = [line for line in str(traceback).rstrip().splitlines() if line.strip()]
        return "\n".join(lines[-ERROR_LINES:])[-4000:]
    exception = getattr(message, "_exception", None)
    if exception is not None:
        return f"{type(exception).__name__}: {exception}"[:4000]
    return "未执行即被拒绝(超过最长存活时间)"


async def record(message: Any) -> None:
    """Insert the dead message once, whatever number of times the broker hands it over."""
    async with get_database().platform_session() as session:
        await session.execute(
            insert(DeadJob)
            .values(
                message_id=message.message_id,
                queue_name=message.queue_name,
                actor_name=message.actor_name,
                args=list(message.args),
                kwargs=dict(message.kwargs),
                tenant_code=message.options.get("tenant_code"),
                error=error_tail(message),
            )
            .on_conflict_do_nothing(index_elements=[DeadJob.message_id])
        )
        await session.commit()


class DeadJobRecorder(dramatiq.Middleware):
    """Records every nacked (dead-lettered) message. Runs in a worker or consumer thread: the insert
    goes through dramatiq's event-loop thread, where the actors' async engine lives."""

    def after_nack(self, broker: dramatiq.Broker, message: Any) -> None:
        log.error("job dead-lettered", extra={**job_fields(message), "error": error_tail(message).splitlines()[-1]})
        loop_thread = get_event_loop_thread()
        try:
            if loop_thread is None:
                raise RuntimeError("no asyncio event-loop thread in this process")
            loop_thread.run_coroutine(asyncio.wait_for(record(message), RECORD_TIMEOUT_SECONDS))
        except Exception:
            # The broker's dead-letter queue still holds the message; the worker carries on.
            log.exception("dead job not recorded", extra=job_fields(message))


# --- listing and retrying ------------------------------------------------------------------------
def _unretried(office: str | None) -> Any:
    query = select(DeadJob).where(DeadJob.retried_at.is_(None))
    return query.where(DeadJob.tenant_code == office) if office else query


async def list_dead(session: AsyncSession, office: str | None = None, limit: int = 500) -> Sequence[DeadJob]:
    query = _unretried(office).order_by(DeadJob.failed_at.desc(), DeadJob.id.desc()).limit(limit)
    return (await session.execute(query)).scalars().all()


async def count_dead(session: AsyncSession, office: str | None = None) -> int:
    query = select(func.count()).select_from(DeadJob).where(DeadJob.retried_at.is_(None))
    if office:
        query = query.where(DeadJob.tenant_code == office)
    return (await session.execute(query)).scalar_one()


@dataclass(frozen=True)
class Retried:
    job: DeadJob
    new_message_id: str | None  # None: it had been retried before, nothing sent


async def retry(
    session: AsyncSession, ids: Sequence[int] = (), *, everything: bool = False, office: str | None = None
) -> list[Retried]:
    """Send dead jobs again as new messages through the outbox (sent once the caller commits).

    Raises NotFound, sending nothing, when an id is unknown. A job retried before is reported, not
    sent again; the row lock keeps two operators retrying at once from sending it twice.
    """
    if everything:
        query = _unretried(office)
    else:
        query = select(DeadJob).where(DeadJob.id.in_(list(ids)))
        if office:
            query = query.where(DeadJob.tenant_code == office)
    jobs = (await session.execute(query.order_by(DeadJob.id).with_for_update())).scalars().all()
    missing = sorted(set(ids) - {job.id for job in jobs}) if not everything else []
    if missing:
        raise NotFound(
            f"没有编号为 {', '.join(map(str, missing))} 的失败任务", code="dead_job_not_found", details={"ids": missing}
        )
    done: list[Retried] = []
    for job in jobs:
        if job.retried_at is not None:
            done.append(Retried(job, None))
            continue
        message = OutboxMessage(
            message_id=str(uuid.uuid4()),
            queue_name=job.queue_name,
            actor_name=job.actor_name,
            args=list(job.args),
            kwargs=dict(job.kwargs),
            tenant_code=job.tenant_code,
        )
        session.add(message)
        job.retried_at = utcnow()
        done.append(Retried(job, message.message_id))
    if any(r.new_message_id for r in done):
        session.info["outbox_dirty"] = True  # wake the relays at commit
    return done


def args_summary(job: DeadJob, width: int = 80) -> str:
    text = json.dumps(job.args, ensure_ascii=False)[1:-1]
    if job.kwargs:
        text += (", " if text else "") + json.dumps(job.kwargs, ensure_ascii=False)[1:-1]
    return text if len(text) <= width else text[: width - 1] + "…"


def last_line(job: DeadJob) -> str:
    lines = (job.error or "").strip().splitlines()
    return lines[-1] if lines else ""
