"""Composition statistics API of an office."""

from __future__ import annotations

from datetime import date

from litestar import Controller, get
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import requires
from renda.modules.register_reports import service
from renda.modules.register_reports.schemas import Statistics
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess


class StatisticsController(Controller):
    path = "/api/v1/t/{code:str}/register/statistics"
    tags = ["代表构成统计"]
    dependencies = TENANT_DEPENDENCIES

    @get("/", guards=[requires("deputies.read")])
    async def show(
        self,
        db: AsyncSession,
        access: TenantAccess,
        on: date | None = Parameter(default=None, description="统计日期,默认今天"),
        period_from: date | None = QueryParameter(name="from", default=None, description="变动统计起始日期"),
        period_to: date | None = QueryParameter(name="to", default=None, description="变动统计截止日期"),
    ) -> Statistics:
        """Active mandates and persons per level, their composition on `on`, and changes in [from, to]."""
        return await service.statistics(db, access.tenant, on, period_from, period_to)


ROUTES = [StatisticsController]
