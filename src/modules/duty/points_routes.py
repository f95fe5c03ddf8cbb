"""`/api/v1/t/{code}/duty/points/...`: the office's points rules (read by all, changed by staff), the
live rankings, a deputy's points with every entry and why, and a reconcile on demand."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.di import Provide
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.duty import ledger, points_views, ranking, rules
from renda.modules.duty.common import DutyCaller, duty_caller_for, require_deputy, require_manage
from renda.modules.duty.points_schemas import (
    PersonPointsOut,
    RankingPage,
    ReconcileOut,
    RulesIn,
    RulesOut,
    RuleVersionOut,
)
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess

READ, WRITE = requires("duty.read"), requires("duty.write")


async def provide_caller(db: AsyncSession, access: TenantAccess) -> DutyCaller:
    return await duty_caller_for(db, access)


def year_or_this(year: int | None) -> int:
    if year is None:
        return local_today().year
    if not 2000 <= year <= 2100:
        raise InvalidInput("年度无效", code="invalid_year")
    return year


def changes(data: RulesIn) -> tuple[list[rules.CategoryChange], list[rules.RuleChange]]:
    return (
        [rules.CategoryChange(c.code, c.cap) for c in data.categories],
        [rules.RuleChange(r.event_kind, r.category, r.points, r.unit, r.cap) for r in data.rules],
    )


class PointsController(Controller):
    path = "/api/v1/t/{code:str}/duty/points"
    tags = ["履职积分"]
    dependencies = {**TENANT_DEPENDENCIES, "caller": Provide(provide_caller)}

    @get("/rules", guards=[READ])
    async def show_rules(self, db: AsyncSession, year: int | None = None) -> RulesOut:
        """The year's categories with their caps and one rule per kind of event; until the office saves
        the year, what it starts from (`basis`: last year's rules or the defaults)."""
        return points_views.rules_out(await rules.year_rules(db, year_or_this(year)))

    @put("/rules", guards=[WRITE])
    async def save_rules(self, db: AsyncSession, caller: DutyCaller, data: RulesIn) -> RulesOut:
        """Change caps and rules (staff). 400 with `cap_negative`, `caps_exceed_base`, `rule_overlap`,
        `rule_cap_exceeds_category`, `deduction_not_allowed`, ...: nothing is saved. A changed rule gets
        a new version; the ledger re-prices the year's entries shortly after."""
        categories, rule_changes = changes(data)
        saved = await rules.save_rules(db, caller, data.year, categories, rule_changes)
        return points_views.rules_out(saved.rules)

    @get("/rules/versions", guards=[READ])
    async def rule_versions(self, db: AsyncSession, year: int | None = None) -> list[RuleVersionOut]:
        """Every version of the year's rules, the superseded ones too."""
        return points_views.versions_out(await rules.rule_versions(db, year_or_this(year)))

    @get("/ranking", guards=[READ])
    async def ranking(
        self,
        db: AsyncSession,
        year: int | None = None,
        scope_name: str = QueryParameter(name="scope", default="office", description="office | group | township"),
        group_id: uuid.UUID | None = None,
        township: str | None = None,
        q: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> RankingPage:
        """The live ranking of the office (`scope=office`), of a deputy group (`group`, `group_id`) or
        of a township (`township`, its code); ties share a rank; `q` finds a name (汉字 or pinyin)."""
        filter = ranking.filter_from_params(
            {"year": year_or_this(year), "scope": scope_name, "group_id": group_id, "township": township, "q": q},
            local_today().year,
        )
        return points_views.ranking_out(filter, await ranking.ranking(db, filter, page, page_size))

    @get("/mine", guards=[READ])
    async def mine(self, db: AsyncSession, caller: DutyCaller, year: int | None = None) -> PersonPointsOut:
        """The caller's own points (a deputy): total, base and bonus, each category with its cap, and
        every entry with the event, the rule and why."""
        return await points_views.person_points(db, caller, year_or_this(year), require_deputy(caller))

    @get("/persons/{person_id:uuid}", guards=[READ])
    async def person(
        self, db: AsyncSession, caller: DutyCaller, person_id: uuid.UUID, year: int | None = None
    ) -> PersonPointsOut:
        """A deputy's points (the deputy, or whoever sees the whole office)."""
        return await points_views.person_points(db, caller, year_or_this(year), person_id)

    @post("/reconcile", guards=[WRITE], status_code=200)
    async def reconcile(self, db: AsyncSession, caller: DutyCaller, year: int | None = None) -> ReconcileOut:
        """Reconcile the year's ledger now (staff): what the job does after every change."""
        require_manage(caller)
        year = year_or_this(year)
        if year not in rules.editable_years():
            raise InvalidInput("只能重新计算上一年度、本年度的积分", code="year_not_editable")
        result = await ledger.reconcile(db, year, actor=caller.actor)
        return ReconcileOut(result.year, result.events, result.entries, dict(result.added))


ROUTES = [PointsController]
