"""Audit log API of an office."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import requires
from renda.modules.audit import service
from renda.modules.audit.schemas import AuditEntryOut, AuditFilter, AuditPage
from renda.tenants.scoping import provide_tenant_session


class AuditController(Controller):
    path = "/api/v1/t/{code:str}/audit"
    tags = ["操作日志"]
    dependencies = {"db": Provide(provide_tenant_session)}

    @get("/", guards=[requires("audit.read")])
    async def list_audit(
        self,
        db: AsyncSession,
        actor: str | None = None,
        action: str | None = None,
        entity: str | None = None,
        entity_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> AuditPage:
        filters = AuditFilter(actor=actor, action=action, entity=entity, entity_id=entity_id, since=since, until=until)
        result = await service.list_entries(db, filters, page, page_size)
        return AuditPage([AuditEntryOut.of(r) for r in result.items], result.total, result.page, result.page_size)


ROUTES = [AuditController]
