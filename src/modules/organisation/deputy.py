"""One deputy's place in the organisation: groups, stations and committee seats."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import NotFound
from renda.modules.deputies.models import Person
from renda.modules.organisation import repository as repo
from renda.modules.organisation.committee import members_out
from renda.modules.organisation.models import (
    GROUP_KINDS,
    STATION_KINDS,
    DeputyGroup,
    Station,
)
from renda.modules.organisation.schemas import (
    PersonOrganisation,
    PlaceOut,
)


# --- one deputy -----------------------------------------------------------------------------------
async def person_organisation(session: AsyncSession, person_id: uuid.UUID) -> PersonOrganisation:
    """The groups, stations and committee seats of one deputy (for the register's profile page)."""
    if await session.get(Person, person_id) is None:
        raise NotFound("代表不存在", code="person_not_found")
    groups = await repo.person_groups(session, person_id)
    geographic = next((g for g in groups if g.kind == "geographic"), None)

    def place(obj: DeputyGroup | Station, labels: dict[str, str]) -> PlaceOut:
        return PlaceOut(obj.id, obj.name, labels[obj.kind])

    return PersonOrganisation(
        person_id,
        place(geographic, GROUP_KINDS) if geographic else None,
        [place(g, GROUP_KINDS) for g in groups if g.kind == "professional"],
        [place(g, GROUP_KINDS) for g in await repo.groups_led_by(session, person_id)],
        [place(s, STATION_KINDS) for s in await repo.person_stations(session, person_id)],
        await members_out(session, await repo.person_committee_positions(session, person_id)),
    )
