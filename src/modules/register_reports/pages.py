"""The composition statistics page (代表构成统计) and its Excel export."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError, InvalidInput
from renda.core.permissions import requires
from renda.modules.exports import service as exports
from renda.modules.register_reports import service
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.pages import shell_context


def _form_date(form: dict[str, Any], key: str) -> date | None:
    value = str(form.get(key) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"日期“{value}”格式不正确,应为 YYYY-MM-DD", code="invalid_date") from None


class StatisticsPages(Controller):
    path = "/t/{code:str}/deputies/statistics"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    @get("/", guards=[requires("deputies.read")])
    async def page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        on: date | None = None,
        period_from: date | None = QueryParameter(name="from", default=None),
        period_to: date | None = QueryParameter(name="to", default=None),
        export: uuid.UUID | None = None,
    ) -> Template:
        context: dict[str, Any] = {**await shell_context(request, access), "levels": service.LEVEL_SHORT}
        try:
            context["stats"] = await service.statistics(db, access.tenant, on, period_from, period_to)
        except AppError as error:
            context["error"] = error.message
            context["stats"] = await service.statistics(db, access.tenant)
        if export is not None and access.can("exports.read"):
            try:
                context["export"] = await exports.get_export(db, export)
            except AppError:
                context["export"] = None
        return Template(
            "register_reports/statistics.html", context=context, status_code=400 if "error" in context else 200
        )

    @post("/export", guards=[requires("exports.write")])
    async def export(
        self,
        db: AsyncSession,
        access: TenantAccess,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Redirect:
        """Queue the Excel export of the statistics shown, then come back to follow it."""
        dates = {key: _form_date(data, key) for key in ("on", "from", "to")}
        service.default_period(dates["on"], dates["from"], dates["to"])  # refuse a bad period now
        params = {key: value.isoformat() for key, value in dates.items() if value}
        job = await exports.request_export(db, access, "register_statistics", params)
        query = urlencode({**params, "export": str(job.id)})
        return Redirect(f"/t/{access.tenant.code}/deputies/statistics?{query}")


PAGES = [StatisticsPages]
