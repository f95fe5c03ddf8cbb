"""`/api/v1/t/{code}/portal/...`: deputies' commitments (履职承诺) and the office's public contact.

What the public portal shows is kept here by staff; reading needs `deputies.read`, changing it
`deputies.write`. A commitment id of another office answers 404 before the request body is looked at.
"""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, patch, post
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import requires
from renda.modules.portal import service
from renda.modules.portal.models import DeputyCommitment
from renda.modules.portal.schemas import (
    CommitmentIn,
    CommitmentOut,
    CommitmentPage,
    CommitmentPatch,
    PortalSettingsIn,
    PortalSettingsOut,
)
from renda.tenants.scoping import provide_tenant_session

BASE = "/api/v1/t/{code:str}/portal"
READ, WRITE = requires("deputies.read"), requires("deputies.write")


async def provide_commitment(db: AsyncSession, commitment_id: uuid.UUID) -> DeputyCommitment:
    return await service.get_commitment(db, commitment_id)


class CommitmentController(Controller):
    path = f"{BASE}/commitments"
    tags = ["公开页面"]
    dependencies = {"db": Provide(provide_tenant_session), "commitment": Provide(provide_commitment)}

    @get("/", guards=[READ])
    async def list_commitments(
        self, db: AsyncSession, person_id: uuid.UUID | None = None, page: int = 1, page_size: int = 50
    ) -> CommitmentPage:
        """履职承诺 of the office's deputies (or of one), published or not, in their display order."""
        return await service.list_commitments(db, person_id, page, page_size)

    @post("/", guards=[WRITE], status_code=201)
    async def create(self, db: AsyncSession, data: CommitmentIn) -> CommitmentOut:
        """A commitment for a year, a term in which the deputy holds a mandate, or both:
        400 `period_required`, `invalid_term`, `unknown_person`, `text_required`."""
        return await service.commitment_out(db, await service.create_commitment(db, data))

    @get("/{commitment_id:uuid}", guards=[READ])
    async def show(self, db: AsyncSession, commitment: DeputyCommitment) -> CommitmentOut:
        return await service.commitment_out(db, commitment)

    @patch("/{commitment_id:uuid}", guards=[WRITE])
    async def update(self, db: AsyncSession, commitment: DeputyCommitment, data: CommitmentPatch) -> CommitmentOut:
        return await service.commitment_out(db, await service.update_commitment(db, commitment, data))

    @delete("/{commitment_id:uuid}", guards=[WRITE], status_code=204)
    async def remove(self, db: AsyncSession, commitment: DeputyCommitment) -> None:
        await service.delete_commitment(db, commitment)


class PortalSettingsController(Controller):
    path = f"{BASE}/settings"
    tags = ["公开页面"]
    dependencies = {"db": Provide(provide_tenant_session)}

    @get("/", guards=[READ])
    async def show(self, db: AsyncSession) -> PortalSettingsOut:
        """The office's public contact (telephone, address, hours, notice) shown on its portal."""
        return await service.get_settings(db)

    @patch("/", guards=[WRITE])
    async def update(self, db: AsyncSession, data: PortalSettingsIn) -> PortalSettingsOut:
        return await service.update_settings(db, data)


ROUTES = [CommitmentController, PortalSettingsController]
