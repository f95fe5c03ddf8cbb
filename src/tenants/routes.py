"""Platform API: the tenant registry and the operations status (platform administrators only)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from renda.core.db import get_database
from renda.core.errors import NotFound
from renda.core.permissions import requires
from renda.tenants import operations, service
from renda.tenants.models import TenantStatus
from renda.tenants.schemas import OperationsOut, StatusChange, TenantCreate, TenantOut, TenantPage


class TenantRegistryController(Controller):
    path = "/api/v1/platform/tenants"
    tags = ["机关管理"]

    @get("/", guards=[requires("platform.tenants.read")], raises=[NotFound])  # an unknown `parent`
    async def list_tenants(
        self,
        level: str | None = None,
        status: str | None = None,
        parent: str | None = None,
        q: str | None = None,
        page: int = 1,
        page_size: int = Parameter(default=50),
    ) -> TenantPage:
        async with get_database().platform_session() as session:
            result = await service.list_tenants(
                session, level=level, status=status, parent=parent, q=q, page=page, page_size=page_size
            )
        return TenantPage([TenantOut.of(t) for t in result.items], result.total, result.page, result.page_size)

    @post("/", guards=[requires("platform.tenants.write")])
    async def create_tenant(self, request: Request, data: TenantCreate) -> TenantOut:
        tenant = await service.create_tenant(get_database(), data, actor=request.user.actor)
        return TenantOut.of(tenant)

    @get("/{tenant_code:str}", guards=[requires("platform.tenants.read")])
    async def show_tenant(self, tenant_code: str) -> TenantOut:
        async with get_database().platform_session() as session:
            return TenantOut.of(await service.get_by_code(session, tenant_code))

    @post("/{tenant_code:str}/suspend", guards=[requires("platform.tenants.write")], status_code=200)
    async def suspend(self, request: Request, tenant_code: str, data: StatusChange | None = None) -> TenantOut:
        reason = data.reason if data else None
        tenant = await service.set_status(
            get_database(), tenant_code, TenantStatus.SUSPENDED, actor=request.user.actor, reason=reason
        )
        return TenantOut.of(tenant)

    @post("/{tenant_code:str}/resume", guards=[requires("platform.tenants.write")], status_code=200)
    async def resume(self, request: Request, tenant_code: str) -> TenantOut:
        tenant = await service.set_status(
            get_database(), tenant_code, TenantStatus.ACTIVE, actor=request.user.actor, reason=None
        )
        return TenantOut.of(tenant)


class PlatformOperationsController(Controller):
    """The outbox's lag, dead jobs and each office's schema revision, for the platform's operators
    (the page is `/platform/operations`, in renda.web.pages)."""

    path = "/api/v1/platform/operations"
    tags = ["平台运维"]

    @get("/", guards=[requires("platform.tenants.read")])
    async def status(self) -> OperationsOut:
        async with get_database().platform_session() as session:
            return OperationsOut.of(await operations.platform_status(session))
