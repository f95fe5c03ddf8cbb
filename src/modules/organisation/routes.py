"""`/api/v1/t/{code}/organisation/...`: the standing committee, its bodies, deputy groups and stations.

Handlers that change an addressed object load it through a dependency, so an id that is not in
this office answers 404 before the request body is looked at.
"""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, patch, post
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import requires
from renda.modules.organisation import service
from renda.modules.organisation.models import Body, CommitteeMember, DeputyGroup, Station
from renda.modules.organisation.schemas import (
    BodyDetail,
    BodyIn,
    BodyKind,
    BodyMemberIn,
    BodyMemberPatch,
    BodyOut,
    BodyPatch,
    CommitteeMemberIn,
    CommitteeMemberOut,
    CommitteeMemberPatch,
    CommitteeOut,
    ExternalDeputyIn,
    GroupDetail,
    GroupFilter,
    GroupIn,
    GroupKind,
    GroupMemberIn,
    GroupPage,
    GroupPatch,
    PersonOrganisation,
    StationAssignmentIn,
    StationDetail,
    StationFilter,
    StationIn,
    StationKind,
    StationPage,
    StationPatch,
)
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess

BASE = "/api/v1/t/{code:str}/organisation"
READ, WRITE = requires("organisation.read"), requires("organisation.write")


async def provide_committee_member(db: AsyncSession, committee_member_id: uuid.UUID) -> CommitteeMember:
    return await service.get_committee_member(db, committee_member_id)


async def provide_body(db: AsyncSession, body_id: uuid.UUID) -> Body:
    return await service.get_body(db, body_id)


async def provide_group(db: AsyncSession, group_id: uuid.UUID) -> DeputyGroup:
    return await service.get_group(db, group_id)


async def provide_station(db: AsyncSession, station_id: uuid.UUID) -> Station:
    return await service.get_station(db, station_id)


class _OrganisationController(Controller):
    tags = ["组织机构"]
    dependencies = {
        **TENANT_DEPENDENCIES,
        "member": Provide(provide_committee_member),
        "committee_body": Provide(provide_body),
        "group": Provide(provide_group),
        "station": Provide(provide_station),
    }


class CommitteeController(_OrganisationController):
    path = f"{BASE}/committee"

    @get("/", guards=[READ])
    async def show(self, db: AsyncSession, access: TenantAccess, term_id: uuid.UUID | None = None) -> CommitteeOut:
        """常委会组成人员 of a term (by default the current one)."""
        return await service.committee(db, access.tenant, term_id)

    @post("/", guards=[WRITE], status_code=201)
    async def create(self, db: AsyncSession, access: TenantAccess, data: CommitteeMemberIn) -> CommitteeMemberOut:
        return await service.committee_member_out(db, await service.create_committee_member(db, access.tenant, data))

    @get("/{committee_member_id:uuid}", guards=[READ])
    async def show_member(self, db: AsyncSession, member: CommitteeMember) -> CommitteeMemberOut:
        return await service.committee_member_out(db, member)

    @patch("/{committee_member_id:uuid}", guards=[WRITE])
    async def update(
        self, db: AsyncSession, access: TenantAccess, member: CommitteeMember, data: CommitteeMemberPatch
    ) -> CommitteeMemberOut:
        return await service.committee_member_out(
            db, await service.update_committee_member(db, access.tenant, member, data)
        )

    @delete("/{committee_member_id:uuid}", guards=[WRITE], status_code=204)
    async def remove(self, db: AsyncSession, member: CommitteeMember) -> None:
        await service.delete_committee_member(db, member)


class BodyController(_OrganisationController):
    path = f"{BASE}/bodies"

    @get("/", guards=[READ])
    async def list_bodies(self, db: AsyncSession, kind: BodyKind | None = None) -> list[BodyOut]:
        """专门委员会 and 工作委员会 with their member counts."""
        return [b for b in await service.list_bodies(db) if kind is None or b.kind == kind]

    @post("/", guards=[WRITE], status_code=201)
    async def create(self, db: AsyncSession, data: BodyIn) -> BodyDetail:
        return await service.body_detail(db, await service.create_body(db, data))

    @get("/{body_id:uuid}", guards=[READ])
    async def show(self, db: AsyncSession, committee_body: Body) -> BodyDetail:
        return await service.body_detail(db, committee_body)

    @patch("/{body_id:uuid}", guards=[WRITE])
    async def update(self, db: AsyncSession, committee_body: Body, data: BodyPatch) -> BodyDetail:
        return await service.body_detail(db, await service.update_body(db, committee_body, data))

    @delete("/{body_id:uuid}", guards=[WRITE], status_code=204)
    async def remove(self, db: AsyncSession, committee_body: Body) -> None:
        await service.delete_body(db, committee_body)

    @post("/{body_id:uuid}/members", guards=[WRITE], status_code=201)
    async def add_member(self, db: AsyncSession, committee_body: Body, data: BodyMemberIn) -> BodyDetail:
        await service.add_body_member(db, committee_body, data)
        return await service.body_detail(db, committee_body)

    @patch("/{body_id:uuid}/members/{committee_member_id:uuid}", guards=[WRITE])
    async def update_member(
        self, db: AsyncSession, committee_body: Body, committee_member_id: uuid.UUID, data: BodyMemberPatch
    ) -> BodyDetail:
        await service.update_body_member(db, committee_body, committee_member_id, data)
        return await service.body_detail(db, committee_body)

    @delete("/{body_id:uuid}/members/{committee_member_id:uuid}", guards=[WRITE], status_code=204)
    async def remove_member(self, db: AsyncSession, committee_body: Body, committee_member_id: uuid.UUID) -> None:
        await service.remove_body_member(db, committee_body, committee_member_id)

    @patch("/{body_id:uuid}/body-members/{body_member_id:uuid}", guards=[WRITE])
    async def update_body_member(
        self, db: AsyncSession, committee_body: Body, body_member_id: uuid.UUID, data: BodyMemberPatch
    ) -> BodyDetail:
        """Change the role of any member (committee member, deputy or staff) by body-member id."""
        await service.update_body_member_by_id(db, committee_body, body_member_id, data)
        return await service.body_detail(db, committee_body)

    @delete("/{body_id:uuid}/body-members/{body_member_id:uuid}", guards=[WRITE], status_code=204)
    async def remove_body_member(self, db: AsyncSession, committee_body: Body, body_member_id: uuid.UUID) -> None:
        await service.remove_body_member_by_id(db, committee_body, body_member_id)


class GroupController(_OrganisationController):
    path = f"{BASE}/groups"

    @get("/", guards=[READ])
    async def list_groups(
        self,
        db: AsyncSession,
        kind: GroupKind | None = None,
        q: str | None = None,
        township_code: str | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> GroupPage:
        """代表小组 and 专业小组, with leaders and member counts; `q` searches the name."""
        return await service.list_groups(db, GroupFilter(kind, q, township_code), page, page_size)

    @post("/", guards=[WRITE], status_code=201)
    async def create(self, db: AsyncSession, access: TenantAccess, data: GroupIn) -> GroupDetail:
        return await service.group_detail(db, await service.create_group(db, access.tenant, data))

    @get("/{group_id:uuid}", guards=[READ])
    async def show(self, db: AsyncSession, group: DeputyGroup) -> GroupDetail:
        return await service.group_detail(db, group)

    @patch("/{group_id:uuid}", guards=[WRITE])
    async def update(self, db: AsyncSession, access: TenantAccess, group: DeputyGroup, data: GroupPatch) -> GroupDetail:
        return await service.group_detail(db, await service.update_group(db, access.tenant, group, data))

    @delete("/{group_id:uuid}", guards=[WRITE], status_code=204)
    async def remove(self, db: AsyncSession, group: DeputyGroup) -> None:
        await service.delete_group(db, group)

    @post("/{group_id:uuid}/members", guards=[WRITE], status_code=201)
    async def add_member(self, db: AsyncSession, group: DeputyGroup, data: GroupMemberIn) -> GroupDetail:
        """409 `already_in_geographic_group` when the deputy is in another geographic group."""
        await service.add_group_member(db, group, data.person_id)
        return await service.group_detail(db, group)

    @delete("/{group_id:uuid}/members/{person_id:uuid}", guards=[WRITE], status_code=204)
    async def remove_member(self, db: AsyncSession, group: DeputyGroup, person_id: uuid.UUID) -> None:
        await service.remove_group_member(db, group, person_id)

    @post("/{group_id:uuid}/external-members", guards=[WRITE], status_code=201)
    async def add_external_member(
        self, db: AsyncSession, access: TenantAccess, group: DeputyGroup, data: ExternalDeputyIn
    ) -> GroupDetail:
        """A deputy recorded by another office and organised in this territory joins the group:
        400 `not_in_territory` unless it is, 409 `already_in_geographic_group` for a second geographic group."""
        await service.add_external_member(db, access.tenant, group, data.mandate_id)
        return await service.group_detail(db, group)

    @delete("/{group_id:uuid}/external-members/{mandate_id:uuid}", guards=[WRITE], status_code=204)
    async def remove_external_member(self, db: AsyncSession, group: DeputyGroup, mandate_id: uuid.UUID) -> None:
        await service.remove_external_member(db, group, mandate_id)


class StationController(_OrganisationController):
    path = f"{BASE}/stations"

    @get("/", guards=[READ])
    async def list_stations(
        self,
        db: AsyncSession,
        kind: StationKind | None = None,
        q: str | None = None,
        township_code: str | None = None,
        active: bool | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> StationPage:
        """家站室 with reception days and the number of assigned deputies; `q` searches name and address."""
        result, _ = await service.list_stations(db, StationFilter(kind, q, township_code, active), page, page_size)
        return result

    @post("/", guards=[WRITE], status_code=201)
    async def create(self, db: AsyncSession, access: TenantAccess, data: StationIn) -> StationDetail:
        return await service.station_detail(db, await service.create_station(db, access.tenant, data))

    @get("/{station_id:uuid}", guards=[READ])
    async def show(self, db: AsyncSession, station: Station) -> StationDetail:
        return await service.station_detail(db, station)

    @patch("/{station_id:uuid}", guards=[WRITE])
    async def update(
        self, db: AsyncSession, access: TenantAccess, station: Station, data: StationPatch
    ) -> StationDetail:
        return await service.station_detail(db, await service.update_station(db, access.tenant, station, data))

    @delete("/{station_id:uuid}", guards=[WRITE], status_code=204)
    async def remove(self, db: AsyncSession, station: Station) -> None:
        await service.delete_station(db, station)

    @post("/{station_id:uuid}/deputies", guards=[WRITE], status_code=201)
    async def assign(self, db: AsyncSession, station: Station, data: StationAssignmentIn) -> StationDetail:
        """进家入站: assign a deputy of this office's register to the station."""
        await service.assign_deputy(db, station, data.person_id)
        return await service.station_detail(db, station)

    @delete("/{station_id:uuid}/deputies/{person_id:uuid}", guards=[WRITE], status_code=204)
    async def unassign(self, db: AsyncSession, station: Station, person_id: uuid.UUID) -> None:
        await service.unassign_deputy(db, station, person_id)

    @post("/{station_id:uuid}/external-deputies", guards=[WRITE], status_code=201)
    async def assign_external(
        self, db: AsyncSession, access: TenantAccess, station: Station, data: ExternalDeputyIn
    ) -> StationDetail:
        """进家入站 for a deputy recorded by another office and organised in this territory."""
        await service.assign_external_deputy(db, access.tenant, station, data.mandate_id)
        return await service.station_detail(db, station)

    @delete("/{station_id:uuid}/external-deputies/{mandate_id:uuid}", guards=[WRITE], status_code=204)
    async def unassign_external(self, db: AsyncSession, station: Station, mandate_id: uuid.UUID) -> None:
        await service.unassign_external_deputy(db, station, mandate_id)


class PersonOrganisationController(_OrganisationController):
    path = f"{BASE}/persons"

    @get("/{person_id:uuid}", guards=[READ])
    async def show(self, db: AsyncSession, person_id: uuid.UUID) -> PersonOrganisation:
        """A deputy's geographic and professional groups, stations and committee seats."""
        return await service.person_organisation(db, person_id)


ROUTES = [CommitteeController, BodyController, GroupController, StationController, PersonOrganisationController]
