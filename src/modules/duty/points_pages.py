"""`/t/{code}/duty/points/...`: the pages of the duty points — the live ranking (with its Excel export),
the office's points rules (edited by staff), and a deputy's own points with every entry and why
(我的积分, made for a 390-pixel phone). Forms share the API's rules and messages."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import AppError, InvalidInput, NotFound, PermissionDenied
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.duty import defaults, ledger, points_views, ranking, rules
from renda.modules.duty.common import duty_caller_for, require_deputy, require_manage
from renda.modules.duty.models import EVENT_KINDS, POINT_CATEGORIES, RULE_UNITS
from renda.modules.exports import service as exports
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.actions import page_again, refusal, run_form_action
from renda.web.forms import Form, form_value
from renda.web.pages import shell_context

READ, WRITE = requires("duty.read"), requires("duty.write")
URL_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
PAGE_SIZE = 30
FILTER_KEYS = ("year", "scope", "group_id", "township", "q")


def _year(raw: str | None) -> int:
    if not raw:
        return local_today().year
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise InvalidInput("年度无效", code="invalid_year")
    return int(raw)


def _page(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 10_000 else 1


def _decimal(raw: str | None, what: str) -> Decimal | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"{what}应填写数字", code="invalid_points") from None


def changes_from_form(data: Form) -> tuple[list[rules.CategoryChange], list[rules.RuleChange]]:
    """The rules form: `category_cap_<category>`, and per kind of event `category_<kind>`, `points_<kind>`,
    `unit_<kind>`, `cap_<kind>` (an empty cap: none)."""
    categories = [
        rules.CategoryChange(code, _decimal(form_value(data, f"category_cap_{code}"), f"“{label}”的上限"))
        for code, label in POINT_CATEGORIES.items()
        if f"category_cap_{code}" in data
    ]
    found = []
    for kind, label in EVENT_KINDS.items():
        if f"points_{kind}" not in data:
            continue
        points = _decimal(form_value(data, f"points_{kind}"), f"“{label}”的分值")
        if points is None:
            raise InvalidInput(f"请填写“{label}”的分值", code="invalid_points")
        found.append(
            rules.RuleChange(
                kind,
                form_value(data, f"category_{kind}") or "",
                points,
                form_value(data, f"unit_{kind}") or "event",
                _decimal(form_value(data, f"cap_{kind}"), f"“{label}”的年度上限"),
            )
        )
    return categories, found


class PointsPages(Controller):
    path = "/t/{code:str}/duty/points"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    # --- the ranking -----------------------------------------------------------------------------
    async def _ranking(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        caller = await duty_caller_for(db, access)
        params = {k: request.query_params.get(k) or "" for k in FILTER_KEYS}
        groups, townships = await ranking.scope_choices(db)
        try:
            filter = ranking.filter_from_params(params, local_today().year)
            page = await ranking.ranking(db, filter, _page(request.query_params.get("page")), PAGE_SIZE)
        except (InvalidInput, NotFound) as error:
            filter = ranking.RankingFilter(local_today().year)
            page = await ranking.ranking(db, filter, 1, PAGE_SIZE)
            extra.setdefault("error", error.message)
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "filter": filter,
            "params": params,
            "page": page,
            "items": page.items,
            "scopes": ranking.SCOPES,
            "groups": groups,
            "townships": townships,
            "caller": caller,
            "can_export": caller.full and access.can("exports.write"),
            "query": urlencode({k: v for k, v in params.items() if v}),
            "years": list(range(local_today().year, local_today().year - 5, -1)),
            "reconciled": request.query_params.get("reconciled"),
        }
        if export_id := request.query_params.get("export"):
            try:
                context["export"] = await exports.get_export(db, uuid.UUID(export_id))
            except (NotFound, ValueError):
                pass
        context.update(extra)
        return Template("duty/points_ranking.html", context=context, status_code=status)

    @get("/ranking", guards=[READ])
    async def ranking_page(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._ranking(request, db, access)

    @post("/ranking/export", guards=[requires("exports.write")])
    async def export_ranking(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        """The ranking as filtered on the page, as an Excel workbook built in the background."""
        params = {k: form_value(data, k) or "" for k in FILTER_KEYS}

        async def request_export() -> Any:
            if not (await duty_caller_for(db, access)).full:
                raise PermissionDenied("只有本机关工作人员可以导出积分排名", code="export_not_allowed")
            ranking.filter_from_params(params, local_today().year).shape()  # a bad filter is refused now
            return await exports.request_export(db, access, ranking.EXPORT_KIND, {k: v for k, v in params.items() if v})

        query = urlencode({k: v for k, v in params.items() if v})
        return await run_form_action(
            db,
            request_export,
            redirect_to=lambda export: f"/t/{access.tenant.code}/duty/points/ranking?{query}&export={export.id}",
            on_error=page_again(self._ranking, request, db, access),
        )

    @post("/reconcile", guards=[WRITE])
    async def reconcile(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        """重新计分: the year's ledger reconciled now (staff)."""

        async def run() -> ledger.ReconcileResult:
            caller = await duty_caller_for(db, access)
            require_manage(caller)
            year = _year(form_value(data, "year"))
            if year not in rules.editable_years():
                raise InvalidInput("只能重新计算上一年度、本年度的积分", code="year_not_editable")
            return await ledger.reconcile(db, year, actor=caller.actor)

        return await run_form_action(
            db,
            run,
            redirect_to=lambda done: (
                f"/t/{access.tenant.code}/duty/points/ranking?year={done.year}&reconciled={done.entries}"
            ),
            on_error=page_again(self._ranking, request, db, access),
        )

    # --- the rules -------------------------------------------------------------------------------
    async def _rules(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        year: int | None = None,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        caller = await duty_caller_for(db, access)
        try:
            year = year or _year(request.query_params.get("year"))
        except InvalidInput as error:
            year, extra["error"] = local_today().year, error.message
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "r": points_views.rules_out(await rules.year_rules(db, year)),
            "versions": points_views.versions_out(await rules.rule_versions(db, year)),
            "categories": POINT_CATEGORIES,
            "units": RULE_UNITS,
            "hourly": rules.HOURLY_KINDS,
            "base": defaults.BASE,
            "years": list(rules.editable_years()),
            "can_edit": caller.manage and year in rules.editable_years(),
            "form": {},
            "saved": request.query_params.get("saved"),
            **extra,
        }
        return Template("duty/points_rules.html", context=context, status_code=status)

    @get("/rules", guards=[READ])
    async def rules_page(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._rules(request, db, access)

    @post("/rules", guards=[WRITE])
    async def save_rules(
        self, request: Request, db: AsyncSession, access: TenantAccess, data: Form = URL_FORM
    ) -> Template | Redirect:
        try:
            year = _year(form_value(data, "year"))
        except InvalidInput as error:
            return await self._rules(request, db, access, status=error.status_code, error=await refusal(error, request))

        async def save() -> rules.SaveResult:
            categories, changed = changes_from_form(data)
            return await rules.save_rules(db, await duty_caller_for(db, access), year, categories, changed)

        async def again(error: AppError) -> Template:
            return await self._rules(
                request,
                db,
                access,
                year,
                status=error.status_code,
                error=await refusal(error, request),
                form=dict(data),
            )

        return await run_form_action(
            db,
            save,
            redirect_to=lambda done: f"/t/{access.tenant.code}/duty/points/rules?year={year}&saved={int(done.changed)}",
            on_error=again,
        )

    # --- a deputy's points -----------------------------------------------------------------------
    async def _person(
        self, request: Request, db: AsyncSession, access: TenantAccess, person_id: uuid.UUID | None
    ) -> Template:
        caller = await duty_caller_for(db, access)
        year = _year(request.query_params.get("year"))
        own = person_id is None
        points = await points_views.person_points(db, caller, year, require_deputy(caller) if own else person_id)
        context = {
            **await shell_context(request, access),
            "p": points,
            "own": own or person_id == caller.person_id,
            "years": list(range(local_today().year, local_today().year - 5, -1)),
            "caller": caller,
        }
        return Template("duty/points_person.html", context=context)

    @get("/mine", guards=[READ])
    async def mine(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._person(request, db, access, None)

    @get("/persons/{person_id:uuid}", guards=[READ])
    async def person(self, request: Request, db: AsyncSession, access: TenantAccess, person_id: uuid.UUID) -> Template:
        return await self._person(request, db, access, person_id)


PAGES = [PointsPages]
