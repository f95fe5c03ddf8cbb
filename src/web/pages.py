"""The shell of the staff UI: home, an office's start page, and its audit log page."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.openapi import ResponseSpec
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.permissions import public, requires
from renda.core.timezone import local_today
from renda.modules.accounts.service import MembershipView, ReachableOffice, reachable_offices
from renda.modules.audit import service as audit
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

# Pages whose ancestors' breadcrumbs lead to the same page of that office (drilling down the figures).
DRILL_SECTIONS = frozenset({"reports"})


def breadcrumbs(request: Request, access: TenantAccess, offices: list[ReachableOffice]) -> list[tuple[str, str | None]]:
    """城市 › 区县 › 乡镇: the offices above the one viewed, each a link where the user may open it."""
    known = {o.code: o for o in offices}
    section = request.url.path.split("/")[3] if request.url.path.count("/") >= 3 else ""
    tail = section if section in DRILL_SECTIONS else ""
    crumbs = []
    for code in access.tenant.path.split("/"):
        office = known.get(code)
        if office is None:
            continue
        query = f"?{request.url.query}" if tail and request.url.query else ""  # the period being looked at
        crumbs.append((office.name, f"/t/{code}/{tail}{query}" if office.reachable else None))
    return crumbs if len(crumbs) > 1 else []


async def shell_context(request: Request, access: TenantAccess | None = None) -> dict[str, object]:
    async with get_database().platform_session() as session:
        offices = await reachable_offices(session, request.user.user_id, access.tenant.path if access else None)
    memberships = [
        MembershipView(o.code, o.name, o.level, o.status, o.roles) for o in offices if o.reachable and o.roles
    ]
    unread = None
    if access is not None and access.can("inbox.read"):  # the header's badge: one COUNT
        async with tenant_session(access.tenant, actor=access.principal.actor) as session:
            unread = await notifications.unread_count(session, request.user.user_id)
    return {
        "user": request.user,
        "memberships": memberships,
        # The header's switcher: every office the user reaches, the read-only ones marked.
        "offices": [o for o in offices if o.reachable],
        "breadcrumbs": breadcrumbs(request, access, offices) if access else [],
        "office": access.tenant if access else None,
        "access": access,
        "csrf_token": request.user.csrf_token or "",
        "unread_count": unread,
    }


FAVICON = (Path(__file__).parent / "static" / "favicon.ico").read_bytes()


class ShellPages(Controller):
    include_in_schema = False

    @get("/favicon.ico", guards=[public])
    async def favicon(self) -> Response[bytes]:
        """Browsers ask for it whatever the page says (the pages name the SVG)."""
        return Response(FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})

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
        # People's work: the system's own jobs would push it off the page.
        recent = None
        if staff:
            recent = await audit.readable_page(db, AuditFilter(people_only=True), 1, 10, access.tenant.code)
        failed_jobs = 0
        if staff:
            async with get_database().platform_session() as session:
                failed_jobs = await dead_jobs.count_dead(session, access.tenant.code)
        context = {
            **await shell_context(request, access),
            "workbench": await workbench.office_workbench(db, access, local_today()),
            "recent": recent,
            "failed_jobs": failed_jobs,
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
        system: bool = False,
        page: int = 1,
    ) -> Template:
        """The log as people read it; the system's own jobs only when asked for (显示系统操作)."""
        filters = AuditFilter(actor=actor, action=action or None, since=since, until=until, people_only=not system)
        result = await audit.readable_page(db, filters, page, 30, access.tenant.code)
        return Template(
            "audit.html",
            context={
                **await shell_context(request, access),
                "page": result,
                "filters": filters,
                "system": system,
                "action_labels": audit.ACTION_LABELS,
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
        responses={503: ResponseSpec(dict[str, object], description="数据库不可用", generate_examples=False)},
    )
    async def ready(self, request: Request) -> Response[dict[str, object]]:
        """Ready while the database answers. The broker is reported, not required: with it down the
        requests still commit and their work waits in the outbox until the relay can send it, so a
        broker outage must not take every web pod out of its Service."""
        # Both checks at once, each within its limit, so the answer comes within the probe's timeout.
        database, broker = await asyncio.gather(
            asyncio.wait_for(database_details(), READY_DATABASE_SECONDS),
            asyncio.wait_for(asyncio.to_thread(_ping_broker, request.app.state.broker), BROKER_CHECK_SECONDS),
            return_exceptions=True,
        )
        checks = {
            name: f"error: {type(outcome).__name__}" if isinstance(outcome, BaseException) else "ok"
            for name, outcome in (("database", database), ("broker", broker))
        }
        details = None if isinstance(database, BaseException) else database
        ok = checks["database"] == "ok"
        body: dict[str, object] = {"status": "ok" if ok else "unavailable", "checks": checks}
        if details is not None:
            body["details"] = details
        return Response(body, status_code=200 if ok else 503)


BROKER_CHECK_SECONDS = 2.0  # within the chart's 3 s probe timeout, as the database check


def _ping_broker(broker: Any) -> None:
    """A round trip to the broker (blocking: run it in a thread)."""
    broker.get_declared_queues()
    if hasattr(broker, "client"):  # Redis
        broker.client.ping()
    elif hasattr(broker, "connection"):  # RabbitMQ: this thread's connection, opened again if it broke
        connection = broker.connection
        if not connection.is_open:
            del broker.connection
            connection = broker.connection
        try:
            connection.process_data_events(time_limit=0)
        except Exception:
            del broker.connection
            raise


# Within the probe's own timeout (the chart's is 3 s): a database that does not answer by then is not ready.
READY_DATABASE_SECONDS = 2.0


async def database_details() -> dict[str, object]:
    """The readiness check's one query: it proves the database answers, and counts the dead jobs
    (information for operators, not a readiness condition: dead jobs need a person, not a restart)."""
    async with get_database().platform_session() as session:
        return {"dead_jobs": await dead_jobs.count_dead(session)}
