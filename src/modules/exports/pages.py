"""`/t/{code}/exports`: the office's exports and stored files (a register import's error report), newest
first, filtered by status, kind and how recent; what the workbench's 导入导出 card links to."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.permissions import requires
from renda.modules.exports import service
from renda.modules.exports.models import STATUS_LABELS
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.pages import shell_context

PAGE_SIZE = 30
# How far back the list looks (days): the workbench counts the last 30.
RECENT = {"7": "近 7 天", "30": "近 30 天", "90": "近 90 天"}


class ExportPages(Controller):
    path = "/t/{code:str}/exports"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    @get("/", guards=[requires("exports.read")])
    async def exports(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        params = request.query_params
        labels = service.kind_labels()
        chosen: dict[str, str] = {
            "status": params.get("status") if params.get("status") in STATUS_LABELS else "",
            "kind": params.get("kind") if params.get("kind") in labels else "",
            "days": params.get("days") if params.get("days") in RECENT else "",
        }
        raw_page = params.get("page", "1")
        page = min(int(raw_page), 100_000) if raw_page.isdigit() and int(raw_page) > 0 else 1
        since = utcnow() - timedelta(days=int(chosen["days"])) if chosen["days"] else None
        filters = service.ExportFilter(chosen["status"] or None, chosen["kind"] or None, since)
        found = await service.list_exports(db, page, PAGE_SIZE, filters)
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "page": found,
            "filters": chosen,
            "statuses": STATUS_LABELS,
            "kinds": dict(sorted(labels.items(), key=lambda item: item[1])),
            "labels": labels,
            "recent": RECENT,
            "query": urlencode({k: v for k, v in chosen.items() if v}),
        }
        return Template("exports/list.html", context=context)


PAGES = [ExportPages]
