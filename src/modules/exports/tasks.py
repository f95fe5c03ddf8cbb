"""Building exports in the background, inside the export's own office only."""

from __future__ import annotations

import logging
import time
import uuid

from sqlalchemy import update

from renda.core.db import utcnow
from renda.modules.exports.models import Export, ExportStatus
from renda.modules.exports.registry import Progress
from renda.tenants.scoping import TenantRef, load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.outbox import claim_message

log = logging.getLogger("renda.exports")
WORKER_ACTOR = "system:worker:导出服务"
PROGRESS_EVERY_SECONDS = 1.0


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


@actor(queue_name="exports", max_retries=3, recoverable=True)
async def build_export(tenant_code: str, export_id: str) -> None:
    from renda.modules.exports import service

    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        if not await claim_message(session):
            return
        export = await service.get_export(session, uuid.UUID(export_id))
        if export.status != ExportStatus.PENDING:
            await session.commit()  # the claim: this message is done with, nothing to send again
            return
        try:
            await service.build(session, export, progress_recorder(tenant, export.id))
        except Exception as exc:
            log.exception("export failed", extra={"export_id": export_id})
            await session.rollback()
            async with tenant_session(tenant, actor=WORKER_ACTOR) as retry_session:
                await claim_message(retry_session)  # failed for good: the outbox must not send it again
                failed = await service.get_export(retry_session, uuid.UUID(export_id))
                failed.status, failed.error, failed.finished_at = ExportStatus.FAILED, str(exc)[:500], utcnow()
                await retry_session.commit()
            return
        await session.commit()
