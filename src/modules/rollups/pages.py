"""The reports dashboard page (统计汇总) and its Excel export."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.errors import AppError
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.exports import service as exports
from renda.modules.rollups import dashboard as reports
from renda.modules.rollups.periods import KINDS, recent
from renda.modules.rollups.schemas import Bar
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.pages import shell_context


def short_name(office_name: str) -> str:
    return office_name.removesuffix("人大常委会").removesuffix("人大主席团")


def _period_choices() -> list[tuple[str, str]]:
    periods = sorted(recent(local_today(), 24), key=lambda p: (p.end, -len(p.key)), reverse=True)
    return [(p.key, p.label) for p in periods]


class ReportPages(Controller):
    path = "/t/{code:str}/reports"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    @get("/", guards=[requires("reports.read")])
    async def page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        period: str | None = None,
        trend_metric: str = reports.DEPUTIES,
        trend_kind: str = "month",
        metrics: list[str] | None = None,
        sort: str | None = None,
        order: str | None = None,
        export: uuid.UUID | None = None,
    ) -> Template:
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "periods": _period_choices(),
            "trend_kinds": KINDS,
            "level_labels": reports.level_labels(),
        }
        async with get_database().platform_session() as platform:
            try:
                context["report"] = await reports.dashboard(
                    platform, access.tenant, reports.period_of(period), reports.metric_of(trend_metric).key, trend_kind
                )
            except AppError as error:
                context["error"] = error.message
                context["report"] = await reports.dashboard(platform, access.tenant, reports.period_of(None))
            context["metric_labels"] = {m.key: m.label for m in reports.catalogue()}
        report = context["report"]
        compared = reports.comparison(report.offices, metrics, sort, order)
        context["comparison"] = compared
        groups: dict[str, list[Any]] = {}
        for column in compared.available:
            groups.setdefault(column.group, []).append(column)
        context["column_groups"] = groups
        # What the page's links and forms carry so a choice of columns and order survives the other choices.
        context["comparison_query"] = [("metrics", c.key) for c in compared.columns] + [
            ("sort", compared.sort),
            ("order", compared.order),
        ]
        context["view_query"] = [
            ("period", report.period),
            ("trend_kind", report.trend_kind),
            ("trend_metric", report.trend_metric),
        ]
        context["office_bars"] = [
            Bar(o.code, short_name(o.name), o.values.get(reports.DEPUTIES, 0), 0.0) for o in context["report"].offices
        ]
        if export is not None and access.can("exports.read"):
            try:
                context["export"] = await exports.get_export(db, export)
            except AppError:
                context["export"] = None
        return Template("rollups/dashboard.html", context=context, status_code=400 if "error" in context else 200)

    @post("/export", guards=[requires("exports.write")])
    async def export(
        self,
        db: AsyncSession,
        access: TenantAccess,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Redirect:
        """Queue the Excel workbook of the period shown, then come back to follow it."""
        period = reports.period_of(str(data.get("period") or "") or None)  # refuse a bad period now
        job = await exports.request_export(db, access, "rollup_report", {"period": period.key})
        query = urlencode({"period": period.key, "export": str(job.id)})
        return Redirect(f"/t/{access.tenant.code}/reports?{query}")


PAGES = [ReportPages]
