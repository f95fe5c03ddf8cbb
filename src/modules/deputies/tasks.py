"""The register's background jobs."""

from __future__ import annotations

import uuid

from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import actor

WORKER_ACTOR = "system:worker:代表名册"


@actor(queue_name="directory")
async def publish_mandate(tenant_code: str, mandate_id: str) -> None:
    """Idempotent: it copies the mandate's state as it is now, so repeats and reorderings converge."""
    from renda.modules.deputies.directory import publish

    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR, read_only=True) as session:
        await publish(session, tenant, uuid.UUID(mandate_id))
