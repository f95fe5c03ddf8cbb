"""Reports API: an office's rolled-up figures, the offices beneath it, trends."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import Provide
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import provide_platform_session
from renda.core.errors import InvalidInput
from renda.core.permissions import requires
from renda.modules.rollups import dashboard as reports
from renda.modules.rollups import repository
from renda.modules.rollups.models import Scope
from renda.modules.rollups.registry import RatioMetric
from renda.modules.rollups.schemas import Dashboard, FigureRow, MetricInfo, TrendPoint
from renda.tenants.scoping import TenantAccess, provide_tenant_access

PERIOD = Parameter(default=None, description="统计期间:2026、2026-Q4 或 2026-11,默认本年度")


class ReportsController(Controller):
    path = "/api/v1/t/{code:str}/reports"
    tags = ["统计汇总"]
    dependencies = {
        "platform": Provide(provide_platform_session),
        "access": Provide(provide_tenant_access, sync_to_thread=False),
    }

    @get("/", guards=[requires("reports.read")])
    async def overview(
        self,
        platform: AsyncSession,
        access: TenantAccess,
        period: str | None = PERIOD,
        trend_metric: str = Parameter(default=reports.DEPUTIES, description="趋势图的指标"),
        trend_kind: str = Parameter(default="month", description="趋势的期间类型:month、quarter、year"),
    ) -> Dashboard:
        """Everything the dashboard shows: totals, composition, changes, the offices beneath, a trend."""
        return await reports.dashboard(
            platform, access.tenant, reports.period_of(period), reports.metric_of(trend_metric).key, trend_kind
        )

    @get("/metrics", guards=[requires("reports.read")])
    async def metrics(self) -> list[MetricInfo]:
        """The metrics every office is measured by, with their breakdowns."""
        return reports.catalogue()

    @get("/trend", guards=[requires("reports.read")])
    async def trend(
        self,
        platform: AsyncSession,
        access: TenantAccess,
        metric: str = reports.DEPUTIES,
        kind: str = "month",
        dimension: str = "",
        member: str = "",
        period: str | None = PERIOD,
    ) -> list[TrendPoint]:
        """One figure over the last periods of a kind (12 months, 8 quarters or 5 years)."""
        return await reports.trend(
            platform, access.tenant, reports.metric_of(metric), kind, reports.period_of(period), dimension, member
        )

    @get("/figures", guards=[requires("reports.read")])
    async def figures(
        self,
        platform: AsyncSession,
        access: TenantAccess,
        period: str | None = PERIOD,
        metric: str | None = None,
        # Not named `scope`: Litestar hands a parameter of that name the ASGI scope.
        figure_scope: str = QueryParameter(
            name="scope", default=Scope.TOTAL, description="total:本机关及下级合计;own:本机关自身"
        ),
        beneath: bool = Parameter(default=False, description="同时返回直接下级机关的数字"),
    ) -> list[FigureRow]:
        """The raw figures, for other systems."""
        if figure_scope not in (Scope.TOTAL, Scope.OWN):
            raise InvalidInput("scope 只能是 total 或 own", code="invalid_scope")
        codes = [access.tenant.code]
        if beneath:
            codes += [child.code for child, _ in await repository.children(platform, access.tenant.id)]
        if metric and isinstance(reports.metric_of(metric), RatioMetric):
            raise InvalidInput("比率指标不单独存储,请分别查询其分子和分母指标,或使用 /reports", code="derived_metric")
        rows = await repository.figure_rows(platform, codes, [reports.period_of(period).key], metric, figure_scope)
        return [
            FigureRow(r.office_code, r.period, r.scope, r.metric, r.dimension, r.member, r.value, r.computed_at)
            for r in rows
        ]


ROUTES = [ReportsController]
