"""`/api/v1/t/{code}/opinions/...`: the opinions of an office, their loop, and the handling units.

Every opinion is loaded through the caller's `Viewer`, so one the caller may not see (another unit's,
another office's) answers 404 before the request body is looked at.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import requires
from renda.modules.opinions import handling, listing, units
from renda.modules.opinions.common import CATEGORIES, Viewer, get_opinion, viewer_for
from renda.modules.opinions.handling import rate_on_behalf
from renda.modules.opinions.intake import mark_duplicate, staff_intake
from renda.modules.opinions.listing import opinion_detail, outs, parse_filter
from renda.modules.opinions.models import Opinion
from renda.modules.opinions.schemas import (
    AnalyseIn,
    AnswerIn,
    AssignIn,
    CloseIn,
    DuplicateIn,
    EscalateIn,
    OpinionDetail,
    OpinionIn,
    OpinionOut,
    OpinionPage,
    RatingIn,
    Source,
    UnitIn,
    UnitOut,
    UnitPatch,
    UnitUserIn,
)
from renda.modules.opinions.units import (
    add_unit_user,
    create_unit,
    delete_unit,
    get_unit,
    remove_unit_user,
    unit_candidates,
    unit_out,
    update_unit,
)
from renda.modules.units.service import HandlingUnit
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess

BASE = "/api/v1/t/{code:str}/opinions"
READ, WRITE = requires("opinions.read"), requires("opinions.write")
T = TypeVar("T")


@dataclass(frozen=True)
class Addressed(Generic[T]):
    """The caller's reach and the object the path names, loaded in one dependency: an object the
    caller may not see answers 404 before the body is read. (One dependency, not two: two that use
    the session resolved side by side, one failing, would leave its connection unreturned.)"""

    viewer: Viewer
    item: T


async def provide_viewer(db: AsyncSession, access: TenantAccess) -> Viewer:
    return await viewer_for(db, access)


async def provide_opinion(
    request: Request, db: AsyncSession, access: TenantAccess, opinion_id: uuid.UUID
) -> Addressed[Opinion]:
    """Locked for a change (two clicks at once take turns); a read may run in a read-only transaction."""
    viewer = await viewer_for(db, access)
    opinion = await get_opinion(db, viewer, opinion_id, for_update=request.method != "GET")
    return Addressed(viewer, opinion)


async def provide_unit(db: AsyncSession, access: TenantAccess, unit_id: uuid.UUID) -> Addressed[HandlingUnit]:
    unit = await get_unit(db, unit_id)
    return Addressed(await viewer_for(db, access), unit)


class _OpinionsController(Controller):
    tags = ["群众意见"]
    dependencies = {
        **TENANT_DEPENDENCIES,
        "viewer": Provide(provide_viewer),
        "opinion": Provide(provide_opinion),
        "unit": Provide(provide_unit),
    }


class OpinionController(_OpinionsController):
    path = BASE

    @get("/", guards=[READ])
    async def list_opinions(
        self,
        db: AsyncSession,
        viewer: Viewer,
        status: str | None = None,
        category: str | None = None,
        source: Source | None = None,
        overdue: bool = False,
        q: str | None = None,
        unit_id: uuid.UUID | None = None,
        deputy_person_id: uuid.UUID | None = None,
        station_id: uuid.UUID | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> OpinionPage:
        """The opinions the caller may see, newest first; `overdue=true` only those past their deadline."""
        params = {
            "status": status,
            "category": category,
            "source": source,
            "overdue": overdue,
            "q": q,
            "unit_id": unit_id,
            "deputy_person_id": deputy_person_id,
            "station_id": station_id,
        }
        found = await listing.list_opinions(db, viewer, parse_filter(params), page, page_size)
        return OpinionPage(found.items, found.total, found.page, found.page_size)

    @get("/categories", guards=[READ])
    async def categories(self) -> dict[str, str]:
        return CATEGORIES

    @post("/", guards=[WRITE], status_code=201)
    async def create(self, db: AsyncSession, access: TenantAccess, viewer: Viewer, data: OpinionIn) -> OpinionOut:
        """Staff entry of an opinion taken by phone, letter, at a reception or a visit."""
        opinion = await staff_intake(
            db,
            viewer,
            access.tenant,
            source=data.source,
            content=data.content,
            category=data.category,
            submitter_name=data.submitter_name,
            submitter_phone=data.submitter_phone,
            deputy_person_id=data.deputy_person_id,
            station_id=data.station_id,
        )
        return (await outs(db, [opinion]))[0]

    @get("/{opinion_id:uuid}", guards=[READ])
    async def show(self, db: AsyncSession, opinion: Addressed[Opinion]) -> OpinionDetail:
        """The opinion, its timeline of steps, its duplicates and (for staff) likely duplicates."""
        return await opinion_detail(db, opinion.viewer, opinion.item.id)

    @post("/{opinion_id:uuid}/analysis", guards=[WRITE], status_code=200)
    async def analyse(self, db: AsyncSession, opinion: Addressed[Opinion], data: AnalyseIn) -> OpinionDetail:
        await handling.analyse(db, opinion.viewer, opinion.item, category=data.category, note=data.note)
        return await opinion_detail(db, opinion.viewer, opinion.item.id)

    @post("/{opinion_id:uuid}/duplicate", guards=[WRITE], status_code=200)
    async def duplicate(self, db: AsyncSession, opinion: Addressed[Opinion], data: DuplicateIn) -> OpinionDetail:
        """Close the opinion as a duplicate of another (linked to it)."""
        await mark_duplicate(db, opinion.viewer, opinion.item, duplicate_of_id=data.duplicate_of_id, note=data.note)
        return await opinion_detail(db, opinion.viewer, opinion.item.id)

    @post("/{opinion_id:uuid}/assignment", guards=[WRITE], status_code=200)
    async def assign(
        self, db: AsyncSession, access: TenantAccess, opinion: Addressed[Opinion], data: AssignIn
    ) -> OpinionDetail:
        """交办 to a handling unit with a deadline (by default 15 days from today)."""
        await handling.assign(
            db,
            opinion.viewer,
            access.tenant,
            opinion.item,
            unit_id=data.unit_id,
            deadline=data.deadline,
            note=data.note,
        )
        return await opinion_detail(db, opinion.viewer, opinion.item.id)

    @post("/{opinion_id:uuid}/escalation", guards=[WRITE], status_code=200)
    async def escalate(
        self, db: AsyncSession, access: TenantAccess, opinion: Addressed[Opinion], data: EscalateIn
    ) -> OpinionDetail:
        """Turn the opinion into a suggestion draft of its deputy (转为代表建议)."""
        await handling.escalate(db, opinion.viewer, access.tenant, opinion.item, title=data.title, note=data.note)
        return await opinion_detail(db, opinion.viewer, opinion.item.id)

    @post("/{opinion_id:uuid}/answer", guards=[WRITE], status_code=200)
    async def answer(
        self, db: AsyncSession, access: TenantAccess, opinion: Addressed[Opinion], data: AnswerIn
    ) -> OpinionDetail:
        """The unit's answer; the deputy and the person (SMS with a rating link) are told."""
        await handling.answer(db, opinion.viewer, access.tenant, opinion.item, text=data.answer)
        return await opinion_detail(db, opinion.viewer, opinion.item.id)

    @post("/{opinion_id:uuid}/rating", guards=[WRITE], status_code=200)
    async def rate(self, db: AsyncSession, opinion: Addressed[Opinion], data: RatingIn) -> OpinionDetail:
        """Record the rating the person gave on a call-back (回访)."""
        await rate_on_behalf(db, opinion.viewer, opinion.item, rating=data.rating, note=data.note)
        return await opinion_detail(db, opinion.viewer, opinion.item.id)

    @post("/{opinion_id:uuid}/close", guards=[WRITE], status_code=200)
    async def close(self, db: AsyncSession, opinion: Addressed[Opinion], data: CloseIn) -> OpinionDetail:
        """办结 an answered opinion the person did not rate."""
        await handling.close(db, opinion.viewer, opinion.item, note=data.note)
        return await opinion_detail(db, opinion.viewer, opinion.item.id)


class HandlingUnitController(_OpinionsController):
    path = f"{BASE}/units"

    @get("/", guards=[READ])
    async def list_units(self, db: AsyncSession) -> list[UnitOut]:
        """承办单位 with their users and how many opinions they hold (and how many are overdue)."""
        return await units.list_units(db)

    @post("/", guards=[WRITE], status_code=201)
    async def create(self, db: AsyncSession, viewer: Viewer, data: UnitIn) -> UnitOut:
        return await unit_out(db, await create_unit(db, viewer, data))

    @get("/candidates", guards=[WRITE])
    async def candidates(self, access: TenantAccess) -> list[dict[str, str]]:
        """Members of the office with the handling unit role, who may be linked to a unit."""
        return [{"user_id": str(i), "display_name": n} for i, n in await unit_candidates(access.tenant)]

    @get("/{unit_id:uuid}", guards=[READ])
    async def show(self, db: AsyncSession, unit: Addressed[HandlingUnit]) -> UnitOut:
        return await unit_out(db, unit.item)

    @patch("/{unit_id:uuid}", guards=[WRITE])
    async def update(self, db: AsyncSession, unit: Addressed[HandlingUnit], data: UnitPatch) -> UnitOut:
        return await unit_out(db, await update_unit(db, unit.viewer, unit.item, data))

    @delete("/{unit_id:uuid}", guards=[WRITE], status_code=204)
    async def remove(self, db: AsyncSession, unit: Addressed[HandlingUnit]) -> None:
        await delete_unit(db, unit.viewer, unit.item)

    @post("/{unit_id:uuid}/users", guards=[WRITE], status_code=201)
    async def add_user(
        self, db: AsyncSession, access: TenantAccess, unit: Addressed[HandlingUnit], data: UnitUserIn
    ) -> UnitOut:
        await add_unit_user(db, unit.viewer, access.tenant, unit.item, data.user_id)
        return await unit_out(db, unit.item)

    @delete("/{unit_id:uuid}/users/{user_id:uuid}", guards=[WRITE], status_code=204)
    async def remove_user(self, db: AsyncSession, unit: Addressed[HandlingUnit], user_id: uuid.UUID) -> None:
        await remove_unit_user(db, unit.viewer, unit.item, user_id)


ROUTES = [OpinionController, HandlingUnitController]
