"""The register's background jobs."""

from __future__ import annotations

import logging
import uuid

from renda.modules.deputies import register  # noqa: F401  (registers the register's export kind in workers too)
from renda.tenants.scoping import load_tenant, tenant_session
from renda.workers.broker import actor
from renda.workers.outbox import claim_message

WORKER_ACTOR = "system:worker:代表名册"
log = logging.getLogger("renda.deputies")


@actor(queue_name="directory")
async def publish_mandate(tenant_code: str, mandate_id: str) -> None:
    """Idempotent: it copies the mandate's state as it is now, so repeats and reorderings converge."""
    from renda.modules.deputies.directory import publish

    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR, read_only=True) as session:
        await publish(session, tenant, [uuid.UUID(mandate_id)])


@actor(queue_name="deputies", recoverable=True)
async def term_changed(tenant_code: str, old_term_id: str, new_term_id: str) -> None:
    """换届 has committed. Modules with open work (suggestions, contacts, ...) carry it from the old
    term to the new one here; each message takes effect once."""
    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        if not await claim_message(session):
            return
        log.info("term changed", extra={"old_term_id": old_term_id, "new_term_id": new_term_id})
        await session.commit()


@actor(queue_name="directory")
async def publish_mandates(tenant_code: str, mandate_ids: list[str]) -> None:
    """Many mandates at once (after an import): the same rows as `publish_mandate`, one message per chunk."""
    from renda.modules.deputies.directory import publish

    tenant = await load_tenant(tenant_code)
    async with tenant_session(tenant, actor=WORKER_ACTOR, read_only=True) as session:
        await publish(session, tenant, [uuid.UUID(i) for i in mandate_ids])
