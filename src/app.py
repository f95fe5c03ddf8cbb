"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import dramatiq
from litestar import Litestar, Router
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from renda.config import Settings
from renda.core.auth import AuthenticationMiddleware
from renda.core.crypto import configure_secrets
from renda.core.db import configure_database, get_database
from renda.core.dependency_order import resolve_dependencies_in_turn
from renda.core.input_guard import InputGuardMiddleware, check_request_body
from renda.core.logging import request_id_var, tenant_code_var
from renda.core.permissions import public
from renda.core.security_headers import security_headers
from renda.core.timezone import to_local
from renda.core.transactions import UnitOfWorkMiddleware
from renda.modules.audit.recorder import install_audit_recorder
from renda.modules.duty.points_watch import install_points_watch
from renda.modules.exports.service import configure_exports
from renda.modules.notifications.channels import configure_channels
from renda.modules.rollups.service import install_rollup_watch
from renda.tenants.routes import PlatformOperationsController, TenantRegistryController
from renda.web import form_errors
from renda.web.errors import exception_handlers
from renda.web.lookups import LookupPages
from renda.web.openapi import document_errors
from renda.web.pages import HealthController, OfficePages, PlatformPages, ShellPages
from renda.workers.broker import broker_for, use_broker
from renda.workers.outbox import OutboxRelay, install_outbox_notify
from renda.workers.routes import DeadJobController
from renda.workers.scheduler import run_scheduler

WEB_DIR = Path(__file__).parent / "web"
log = logging.getLogger("renda.http")


def module_route_handlers() -> list[Any]:
    """Every module's API controllers (`routes.ROUTES`) and pages (`pages.PAGES`)."""
    from renda.modules import import_module_parts

    return [
        *(handler for module in import_module_parts("routes") for handler in module.ROUTES),
        *(handler for module in import_module_parts("pages") for handler in module.PAGES),
    ]


CORE_ROUTE_HANDLERS: list[Any] = [
    HealthController,
    ShellPages,
    PlatformPages,
    OfficePages,
    LookupPages,
    TenantRegistryController,
    PlatformOperationsController,
    DeadJobController,
]


PROBES = frozenset({"/health", "/ready"})
# Request ids: unique per process (a random prefix) and cheap (a counter, not a fresh UUID).
_ID_PREFIX = uuid.uuid4().hex[:12]
_request_numbers = itertools.count(1)


class RequestContextMiddleware(ASGIMiddleware):
    """Gives every request an id (or keeps the caller's X-Request-ID) and logs it as JSON."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        sent = next((value for key, value in scope["headers"] if key == b"x-request-id"), b"")
        request_id = sent.decode("latin-1")[:64] or f"{_ID_PREFIX}{next(_request_numbers):x}"
        request_id_var.set(request_id)
        tenant_code_var.set(None)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await next_app(scope, receive, send_with_id)
        finally:
            if scope["path"] not in PROBES:  # polled every few seconds: no log line each time
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )


def _localtime(value: datetime | None) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _actor_name(actor: str) -> str:
    return actor.split(":", 2)[-1]


def _template_engine(engine: JinjaTemplateEngine, settings: Settings) -> None:
    engine.engine.filters.update(localtime=_localtime, actor_name=_actor_name)
    form_errors.install(engine.engine)
    engine.engine.globals["demo_mode"] = settings.demo_mode  # the header's link to the demo mailbox


async def _register_configured_provider(settings: Settings) -> None:
    from renda.modules.sso.service import ensure_configured_provider

    async with get_database().platform_session() as session:
        session.info["actor"] = "system:startup"
        if await ensure_configured_provider(session, settings):
            await session.commit()


def create_app(
    settings: Settings, database_url: str, broker: dramatiq.Broker | None = None, *, with_scheduler: bool = False
) -> Litestar:
    """Build the app. With no broker given, one is made from settings; an in-process broker also
    gets its worker threads here, and every web process runs an outbox relay. `with_scheduler` also
    runs the periodic jobs' scheduler in this process (the demo, which has no `renda scheduler`)."""
    install_audit_recorder()
    install_rollup_watch()
    resolve_dependencies_in_turn()
    install_points_watch()
    install_outbox_notify()
    configure_secrets(settings.secret_key, settings.old_secret_keys)
    configure_channels(settings)
    configure_exports(settings)
    database = configure_database(
        database_url,
        **settings.database_options,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
        connect_args={
            "prepared_statement_cache_size": settings.database_statement_cache,
            "timeout": settings.database_connect_timeout,
        },
    )
    broker = use_broker(broker or broker_for(settings))

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        worker = None
        if isinstance(broker, dramatiq.brokers.stub.StubBroker) and settings.broker_url is None:
            worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
            worker.start()
        await _register_configured_provider(settings)
        relay = OutboxRelay(database, broker, poll_seconds=settings.outbox_poll_seconds)
        relay_task = asyncio.create_task(relay.run())
        scheduler_stop = asyncio.Event()
        scheduler_task = asyncio.create_task(run_scheduler(database, stop=scheduler_stop)) if with_scheduler else None
        try:
            yield
        finally:
            scheduler_stop.set()
            if scheduler_task is not None:
                await scheduler_task
            relay.stop()
            await relay_task
            if worker is not None:
                worker.stop()
            await database.dispose()

    app = Litestar(
        route_handlers=[
            *CORE_ROUTE_HANDLERS,
            *module_route_handlers(),
            create_static_files_router("/static", [WEB_DIR / "static"], guards=[public]),
        ],
        dependencies={"settings": Provide(lambda: settings, sync_to_thread=False)},
        middleware=[
            RequestContextMiddleware(),
            InputGuardMiddleware(),  # before a connection is taken or the office resolved
            UnitOfWorkMiddleware(),
            AuthenticationMiddleware(settings.session_idle_minutes),
        ],
        exception_handlers=exception_handlers,
        before_request=check_request_body,
        template_config=TemplateConfig(
            directory=WEB_DIR / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=lambda engine: _template_engine(engine, settings),
        ),
        openapi_config=OpenAPIConfig(
            title="人大代表工作平台 API",
            version="0.1.0",
            path="/schema",
            openapi_router=Router("/schema", route_handlers=[], guards=[public], include_in_schema=False),
        ),
        lifespan=[lifespan],
        before_send=[security_headers],  # every response, also the router's own 404 and 405
        request_max_body_size=settings.max_upload_bytes,
        debug=False,
        logging_config=None,  # configure_logging owns the root logger (JSON lines)
    )
    document_errors(app)
    app.state.broker = broker
    app.state.settings = settings
    return app
