"""The shell of the staff UI: home, an office's start page, and its audit log page."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, Response, get
from litestar.openapi import ResponseSpec
from litestar.response import Redirect, Template
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.permissions import public, requires
from renda.core.timezone import local_today
from renda.modules.accounts.service import memberships_of
from renda.modules.audit import service as audit
from renda.modules.audit.models import ACTION_LABELS, ENTITY_LABELS
from renda.modules.audit.schemas import AuditFilter
from renda.modules.notifications import service as notifications
from renda.modules.workbench import service as workbench
from renda.tenants import operations
from renda.tenants.scoping import (
    TENANT_DEPENDENCIES,
    TenantAccess,
    tenant_session,
)
from renda.workers import dead_jobs


async def shell_context(request: Request, access: TenantAccess | None = None) -> dict[str, object]:
    async with get_database().platform_session() as session:
        memberships = await memberships_of(session, request.user.user_id)
    unread = None
    if access is not None and access.can("inbox.read"):  # the header's badge: one COUNT
        async with tenant_session(access.tenant, actor=access.principal.actor) as session:
            unread = await notifications.unread_count(session, request.user.user_id)
    return {
        "user": request.user,
        "memberships": memberships,
        "office": access.tenant if access else None,
        "access": access,
        "csrf_token": request.user.csrf_token or "",
        "unread_count": unread,
    }


class ShellPages(Controller):
    include_in_schema = False

    @get("/", guards=[public])
    async def home(self, request: Request) -> Redirect | Template:
        if request.user is None:
            return Redirect("/login")
        context = await shell_context(request)
        memberships = context["memberships"]
        if len(memberships) == 1:  # type: ignore[arg-type]
            return Redirect(f"/t/{memberships[0].tenant_code}/")  # type: ignore[index]
        if request.user.is_platform_admin:  # the platform's workbench: offices, providers, health
            async with get_database().platform_session() as session:
                context["platform"] = await workbench.platform_workbench(session)
        return Template("home.html", context=context)


class PlatformPages(Controller):
    include_in_schema = False

    @get("/platform/operations", guards=[requires("platform.tenants.read")])
    async def operations(self, request: Request) -> Template:
        context = await shell_context(request)
        async with get_database().platform_session() as session:
            context["status"] = await operations.platform_status(session)
        return Template("platform_operations.html", context=context)


class OfficePages(Controller):
    path = "/t/{code:str}"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    @get("/", guards=[requires("office.read")])
    async def office_home(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        staff = access.can("audit.read")
        recent = await audit.list_entries(db, AuditFilter(), 1, 10) if staff else None
        failed_jobs = 0
        if staff:
            async with get_database().platform_session() as session:
                failed_jobs = await dead_jobs.count_dead(session, access.tenant.code)
        context = {
            **await shell_context(request, access),
            "workbench": await workbench.office_workbench(db, access, local_today()),
            "recent": recent,
            "failed_jobs": failed_jobs,
            "action_labels": ACTION_LABELS,
            "entity_labels": ENTITY_LABELS,
        }
        return Template("office.html", context=context)

    @get("/audit", guards=[requires("audit.read")])
    async def audit_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        action: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page: int = 1,
    ) -> Template:
        filters = AuditFilter(actor=actor, action=action or None, since=since, until=until)
        result = await audit.list_entries(db, filters, page, 30)
        return Template(
            "audit.html",
            context={
                **await shell_context(request, access),
                "page": result,
                "filters": filters,
                "action_labels": ACTION_LABELS,
                "entity_labels": ENTITY_LABELS,
            },
        )


class HealthController(Controller):
    include_in_schema = True
    tags = ["运行状态"]

    @get("/health", guards=[public])
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/ready",
        guards=[public],
        responses={503: ResponseSpec(dict[str, object], description="数据库或消息队列不可用", generate_examples=False)},
    )
    async def ready(self, request: Request) -> Response[dict[str, object]]:
        checks: dict[str, str] = {}
        try:
            async with get_database().platform_session() as session:
                await session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        broker = request.app.state.broker
        try:
            broker.get_declared_queues()
            if hasattr(broker, "client"):
                broker.client.ping()
            elif hasattr(broker, "connection"):
                _ = broker.connection
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"error: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        body: dict[str, object] = {"status": "ok" if ok else "unavailable", "checks": checks}
        if checks["database"] == "ok":
            # Information for operators, not a readiness condition: dead jobs need a person, not a restart.
            async with get_database().platform_session() as session:
                body["details"] = {"dead_jobs": await dead_jobs.count_dead(session)}
        return Response(body, status_code=200 if ok else 503)
