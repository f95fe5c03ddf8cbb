"""Building exports in the background, inside the export's own office only."""

from __future__ import annotations

import logging
import uuid

from renda.core.db import utcnow
from renda.modules.exports.models import ExportStatus
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.outbox import claim_message

log = logging.getLogger("renda.exports")
WORKER_ACTOR = "system:worker:导出服务"


@actor(queue_name="exports", max_retries=3)
async def build_export(tenant_code: str, export_id: str) -> None:
    from renda.modules.exports import service

    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        if not await claim_message(session):
            return
        export = await service.get_export(session, uuid.UUID(export_id))
        if export.status != ExportStatus.PENDING:
            return
        try:
            await service.build(session, export)
        except Exception as exc:
            log.exception("export failed", extra={"export_id": export_id})
            await session.rollback()
            async with tenant_session(tenant, actor=WORKER_ACTOR) as retry_session:
                failed = await service.get_export(retry_session, uuid.UUID(export_id))
                failed.status, failed.error, failed.finished_at = ExportStatus.FAILED, str(exc)[:500], utcnow()
                await retry_session.commit()
            return
        await session.commit()
