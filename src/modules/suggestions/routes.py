"""`/api/v1/t/{code}/suggestions/...`: suggestion drafts (代表建议草稿).

Until the suggestion loop has its own permissions, drafts go with the opinions they mostly come
from: `opinions.read` to read (a deputy only their own), `opinions.write` for staff to refine them.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import PermissionDenied
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.suggestions import listing, rates, service
from renda.modules.suggestions.common import LoopCaller, loop_caller_for
from renda.modules.suggestions.handling_routes import HandlingController
from renda.modules.suggestions.models import SuggestionDraft
from renda.modules.suggestions.schemas import (
    DraftIn,
    DraftOut,
    DraftPage,
    DraftPatch,
    RateOut,
    RateReportOut,
    SuggestionRowPage,
)
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess

READ, WRITE = requires("opinions.read"), requires("opinions.write")


async def provide_viewer(db: AsyncSession, access: TenantAccess) -> service.Caller:
    return await service.caller_for(db, access)


@dataclass(frozen=True)
class AddressedDraft:
    """The caller's reach and the draft the path names, in one dependency: a draft the caller may not
    see answers 404 before the body is read."""

    viewer: service.Caller
    draft: SuggestionDraft


async def provide_draft(db: AsyncSession, access: TenantAccess, draft_id: uuid.UUID) -> AddressedDraft:
    viewer = await service.caller_for(db, access)
    return AddressedDraft(viewer, await service.get_draft(db, draft_id, viewer.reach))


class DraftController(Controller):
    path = "/api/v1/t/{code:str}/suggestions"
    tags = ["代表建议"]
    dependencies = {
        **TENANT_DEPENDENCIES,
        "viewer": Provide(provide_viewer),
        "addressed": Provide(provide_draft),
    }

    @get("/", guards=[READ])
    async def list_drafts(
        self,
        db: AsyncSession,
        viewer: service.Caller,
        status: str | None = None,
        q: str | None = None,
        deputy_person_id: uuid.UUID | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> DraftPage:
        found = await service.list_drafts(
            db,
            status=status,
            q=q,
            deputy_person_id=deputy_person_id,
            reach=viewer.reach,
            page=page,
            page_size=page_size,
        )
        return DraftPage(await service.drafts_out(db, found.items), found.total, found.page, found.page_size)

    @post("/", guards=[WRITE], status_code=201)
    async def create(self, db: AsyncSession, access: TenantAccess, viewer: service.Caller, data: DraftIn) -> DraftOut:
        service.require_editor(viewer.manage)
        draft = await service.create_draft(
            db,
            access.tenant,
            deputy_person_id=data.deputy_person_id,
            title=data.title,
            content=data.content,
            source="staff",
            source_id=None,
        )
        return (await service.drafts_out(db, [draft]))[0]

    @get("/{draft_id:uuid}", guards=[READ])
    async def show(self, db: AsyncSession, addressed: AddressedDraft) -> DraftOut:
        return (await service.drafts_out(db, [addressed.draft]))[0]

    @patch("/{draft_id:uuid}", guards=[WRITE])
    async def update(self, db: AsyncSession, addressed: AddressedDraft, data: DraftPatch) -> DraftOut:
        service.require_editor(addressed.viewer.manage)
        sent = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        draft = await service.update_draft(
            db,
            addressed.draft,
            title=sent.get("title"),
            content=sent.get("content"),
            deputy_person_id=sent.get("deputy_person_id"),
            clear_deputy="deputy_person_id" in sent and sent["deputy_person_id"] is None,
        )
        return (await service.drafts_out(db, [draft]))[0]

    @post("/{draft_id:uuid}/withdraw", guards=[WRITE], status_code=200)
    async def withdraw(self, db: AsyncSession, addressed: AddressedDraft) -> DraftOut:
        service.require_editor(addressed.viewer.manage)
        return (await service.drafts_out(db, [await service.withdraw_draft(db, addressed.draft)]))[0]


# --- the loop's list and rates (listing.py, rates.py) ----------------------------------------------
async def provide_loop_caller(db: AsyncSession, access: TenantAccess) -> LoopCaller:
    return await loop_caller_for(db, access)


class SuggestionListController(Controller):
    """The suggestions the caller may see (a deputy their own and co-signed, a unit its own, everyone
    else the whole office), filtered; and the office's rates."""

    path = "/api/v1/t/{code:str}/suggestions"
    tags = ["代表建议"]
    dependencies = {**TENANT_DEPENDENCIES, "caller": Provide(provide_loop_caller)}

    @get("/items", guards=[requires("suggestions.read")])
    async def list_items(
        self,
        db: AsyncSession,
        caller: LoopCaller,
        status: str | None = None,
        kind: str | None = None,
        category: str | None = None,
        year: str | None = None,
        term_id: str | None = None,
        unit_id: str | None = None,
        unit_role: str | None = Parameter(default=None, description="lead:只看主办;co:只看协办(须同时指定 unit_id)"),
        key: str | None = Parameter(default=None, description="1:只看重点建议;0:只看非重点建议"),
        overdue: str | None = None,
        rating: str | None = None,
        reply_class: str | None = QueryParameter(name="class", default=None, description="答复类别 A/B/C/D"),
        q: str | None = Parameter(default=None, description="标题、编号(如 2026-0042)或领衔代表姓名"),
        page: int = 1,
        page_size: int = 20,
    ) -> SuggestionRowPage:
        params = {
            "status": status,
            "kind": kind,
            "category": category,
            "year": year,
            "term_id": term_id,
            "unit_id": unit_id,
            "unit_role": unit_role,
            "key": key,
            "overdue": overdue,
            "rating": rating,
            "class": reply_class,
            "q": q,
        }
        today = local_today()
        found = await listing.list_suggestions(db, caller, listing.parse_filter(params), page, page_size, today)
        return SuggestionRowPage(
            [listing.row_out(row, today) for row in found.items], found.total, found.page, found.page_size
        )

    @get("/rates", guards=[requires("reports.read")])
    async def rate_report(
        self,
        db: AsyncSession,
        caller: LoopCaller,
        by: str = Parameter(default="unit", description="unit 承办单位 / category 分类 / year 年度 / term 届次"),
        year: str | None = None,
        term_id: str | None = None,
        unit_id: str | None = None,
        category: str | None = None,
    ) -> RateReportOut:
        if not caller.full:
            raise PermissionDenied("只有本机关工作人员和上级机关可以查看办理统计", code="suggestion_rates_denied")
        grouping, filters = rates.parse_rate_filter(
            {"by": by, "year": year, "term_id": term_id, "unit_id": unit_id, "category": category}
        )
        report = await rates.rate_report(db, grouping, filters)
        return RateReportOut(
            grouping, rate_out(rates.RateRow("total", "合计", report.total)), [rate_out(r) for r in report.groups]
        )


def rate_out(row: rates.RateRow) -> RateOut:
    c = row.counts
    return RateOut(row.key, row.label, **dataclasses.asdict(c), **c.rates())


ROUTES = [DraftController, SuggestionListController, HandlingController]
