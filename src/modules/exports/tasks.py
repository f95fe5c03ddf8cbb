"""Building exports in the background, inside the export's own office only.

A build has a time limit (`RENDA_EXPORT_TIME_LIMIT_SECONDS`) and makes its file in scratch space of
its own that goes whatever happens (`service.scratch_directory`, `service.workbook`); the file reaches
the export's row only in the transaction that marks it done. A build that runs out of time or of disk
therefore leaves no partial file anywhere, ends as a failed export saying why in Chinese, and is not
tried again (it would fail the same way). One that lost the database is tried again (`max_retries`).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
import uuid

from dramatiq.middleware import TimeLimitExceeded
from sqlalchemy import update

from renda.core.db import database_unavailable, root_cause, utcnow
from renda.modules.exports.models import Export, ExportStatus
from renda.modules.exports.registry import Progress
from renda.tenants.scoping import TenantRef, load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.outbox import claim_message

log = logging.getLogger("renda.exports")
WORKER_ACTOR = "system:worker:导出服务"
PROGRESS_EVERY_SECONDS = 1.0
TIME_LIMIT_SECONDS = 600.0  # the default of RENDA_EXPORT_TIME_LIMIT_SECONDS
# After a build's time limit, this long to record the failure before dramatiq interrupts the job.
GRACE_MS = 30_000
DISK_ERRORS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
DISK_FULL_SQLSTATE = "53100"  # PostgreSQL's disk_full (storing the file)

DISK_FULL = "磁盘空间不足,导出未完成,请联系系统管理员"
FAILED = "导出失败,请稍后重试;如仍失败,请联系系统管理员"

_time_limit = TIME_LIMIT_SECONDS


def progress_recorder(tenant: TenantRef, export_id: uuid.UUID) -> Progress:
    """Writes (done, total) to the export in a short transaction of its own, so its page sees it while
    the build's transaction is still open; at most once a second, and always the first and last. A
    counter, not a decision of anyone's: it is written past the ORM and the audit log."""
    last = 0.0

    async def record(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if 0 < done < total and now - last < PROGRESS_EVERY_SECONDS:
            return
        last = now
        async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
            values = {"progress_done": done, "progress_total": total}
            await session.execute(update(Export).where(Export.id == export_id).values(**values))
            await session.commit()

    return record


def timed_out(seconds: float) -> str:
    limit = f"{seconds / 60:g} 分钟" if seconds >= 60 else f"{seconds:g} 秒"
    return f"导出超时(超过 {limit}),请缩小导出范围后重试"


def disk_full(error: BaseException) -> bool:
    """Out of disk: the worker's scratch space (ENOSPC, a quota, a file size limit) or PostgreSQL's."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno in DISK_ERRORS:
            return True
        if str(getattr(cause, "sqlstate", None) or "") == DISK_FULL_SQLSTATE:
            return True
        cause = getattr(cause, "orig", None) or cause.__cause__
    return False


def set_time_limit(seconds: float) -> None:
    """How long a build may take (`configure_exports` sets it from the settings); dramatiq interrupts
    the job `GRACE_MS` later, should recording the failure hang."""
    global _time_limit
    _time_limit = seconds
    build_export.options["time_limit"] = int(seconds * 1000) + GRACE_MS


# Interrupted by dramatiq's own limit (only if recording a failure hung): dead-lettered, not retried.
@actor(
    queue_name="exports",
    max_retries=3,
    recoverable=True,
    time_limit=int(TIME_LIMIT_SECONDS * 1000) + GRACE_MS,
    throws=(TimeLimitExceeded,),
)
async def build_export(tenant_code: str, export_id: str) -> None:
    from renda.modules.exports import service

    tenant = await load_tenant(tenant_code)
    limit = _time_limit
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        if not await claim_message(session):
            return
        export = await service.get_export(session, uuid.UUID(export_id))
        if export.status != ExportStatus.PENDING:
            await session.commit()  # the claim: this message is done with, nothing to send again
            return
        kind = export.kind
        try:
            async with asyncio.timeout(limit) as deadline:
                await service.build(session, export, progress_recorder(tenant, export.id))
                await session.commit()
            return
        except Exception as exc:
            error = exc
        # The connection may have been interrupted mid-statement: not one to give back to the pool.
        await session.invalidate()
    if deadline.expired():
        reason = timed_out(limit)
    elif disk_full(error):
        reason = DISK_FULL
    elif database_unavailable(error):
        raise error  # tried again later; nothing was kept
    else:
        reason = FAILED
    cause = root_cause(error)
    failure = {"export_id": export_id, "kind": kind, "reason": reason}
    if reason == FAILED:
        log.exception("export failed", extra=failure, exc_info=error)
    else:  # an outcome to report, not a fault of the code: one line, no traceback
        log.warning("export failed", extra={**failure, "error": f"{type(cause).__name__}: {cause}"[:300]})
    async with tenant_session(tenant, actor=WORKER_ACTOR) as failed_session:
        await claim_message(failed_session)  # failed for good: the outbox must not send it again
        failed = await service.get_export(failed_session, uuid.UUID(export_id))
        if failed.status == ExportStatus.PENDING:
            failed.status, failed.error, failed.finished_at = ExportStatus.FAILED, reason, utcnow()
        await failed_session.commit()
