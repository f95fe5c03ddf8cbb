"""`/api/v1/t/{code}/suggestions/...`: suggestion drafts (代表建议草稿).

Until the suggestion loop has its own permissions, drafts go with the opinions they mostly come
from: `opinions.read` to read (a deputy only their own), `opinions.write` for staff to refine them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import requires
from renda.modules.suggestions import service
from renda.modules.suggestions.handling_routes import HandlingController
from renda.modules.suggestions.models import SuggestionDraft
from renda.modules.suggestions.schemas import DraftIn, DraftOut, DraftPage, DraftPatch
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


ROUTES = [DraftController, HandlingController]
