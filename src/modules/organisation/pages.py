"""Staff UI of the organisation: the overview with its four tabs, detail pages, and their forms.

Forms post URL-encoded fields; they are turned into the API's request types, so a page and the API
accept exactly the same data. A refused form shows the page again with the reason and changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.errors import InvalidInput, NotFound
from renda.core.permissions import requires
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import LEVEL_LABELS
from renda.modules.exports import service as exports
from renda.modules.members import service as members
from renda.modules.organisation import repository as repo
from renda.modules.organisation import service
from renda.modules.organisation.common import BODY_ROLE_LABELS
from renda.modules.organisation.models import (
    BODY_KINDS,
    BODY_MEMBER_KINDS,
    COMMITTEE_POSITIONS,
    GROUP_KINDS,
    STATION_KINDS,
)
from renda.modules.organisation.schemas import (
    BodyIn,
    BodyMemberIn,
    BodyPatch,
    CommitteeMemberIn,
    CommitteeMemberPatch,
    ExternalDeputyIn,
    GroupFilter,
    GroupIn,
    GroupMemberIn,
    GroupPatch,
    StationAssignmentIn,
    StationFilter,
    StationIn,
    StationPatch,
)
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.actions import page_again, run_form_action
from renda.web.forms import Form, form_fields, form_struct, form_value, parse_days
from renda.web.pages import shell_context

S = TypeVar("S", bound=msgspec.Struct)
READ, WRITE = requires("organisation.read"), requires("organisation.write")
TABS = {"committee": "常委会组成人员", "bodies": "专门委员会 / 工作委员会", "groups": "代表小组", "stations": "家站室"}
PAGE_SIZE = 30
FIELD_LABELS = {
    "name": "名称或姓名",
    "position": "职务",
    "kind": "类型",
    "role": "职务",
    "term_id": "届次",
    "person_id": "代表",
    "user_id": "平台用户",
    "committee_member_id": "组成人员",
    "mandate_id": "其他机关登记的代表",
    "started_on": "任职日期",
    "ended_on": "离任日期",
    "township_code": "乡镇(街道)代码(9 位数字)",
    "reception_days": "接待日(每月 1 到 31 日)",
    "address": "地址",
    "opening_rules": "开放时间和接待规则",
    "description": "职责说明",
}


def _convert(data: dict[str, Any], kind: type[S]) -> S:
    return form_struct(data, kind, FIELD_LABELS)


EXPORT_KINDS = {"groups": ("organisation_groups", GroupFilter), "stations": ("organisation_stations", StationFilter)}


# --- reading forms --------------------------------------------------------------------------------
DAYS_HINT = "接待日请填写每月的日期数字,用逗号分隔,如逢十接待日填“10,20,30”"


BODY_MEMBER_FIELDS = {"committee_member": "committee_member_id", "deputy": "person_id", "staff": "name"}


def _body_member_data(form: Form) -> dict[str, Any]:
    """The member the clerk chose: only the field of the chosen kind (all sent fields without a kind)."""
    kind = form_value(form, "member_kind")
    if kind is None:
        return form_fields(form, *BODY_MEMBER_FIELDS.values(), "role")
    if kind not in BODY_MEMBER_FIELDS:
        raise InvalidInput("请选择成员类别", code="invalid_member")
    return form_fields(form, BODY_MEMBER_FIELDS[kind], "role")


def _station_data(form: Form) -> dict[str, Any]:
    data = form_fields(form, "kind", "name", "address", "township_code", "opening_rules")
    if "reception_days" in form:
        data["reception_days"] = parse_days(form_value(form, "reception_days"), DAYS_HINT)
    if "is_active" in form:
        data["is_active"] = form_value(form, "is_active") == "1"
    return data


async def _office_users(access: TenantAccess) -> list[tuple[uuid.UUID, str]]:
    """Members of this office who can be linked to a committee member (for the contact assignments)."""
    async with get_database().platform_session() as platform:
        return [(u.id, u.display_name) for _, u in await members.list_members(platform, access.tenant)]


class OrganisationPages(Controller):
    path = "/t/{code:str}/organisation"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    # --- the overview -----------------------------------------------------------------------------
    async def _overview(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        params = request.query_params
        tab = extra.pop("tab", None) or params.get("tab") or "committee"
        tab = tab if tab in TABS else "committee"
        townships = await deputies.township_names(db)
        context: dict[str, Any] = {
            **await shell_context(request, access),
            "tabs": TABS,
            "tab": tab,
            "townships": townships,
            "positions": COMMITTEE_POSITIONS,
            "body_kinds": BODY_KINDS,
            "group_kinds": GROUP_KINDS,
            "station_kinds": STATION_KINDS,
            "bodies": await service.list_bodies(db),
            "group_summary": await service.group_summary(db),
            "station_summary": await service.station_summary(db),
            "terms": await service.own_terms(db, access.tenant),
            "committee": None,
            "form": {},
        }
        term_id = params.get("term_id")
        try:
            context["committee"] = await service.committee(db, access.tenant, uuid.UUID(term_id) if term_id else None)
        except (NotFound, ValueError):
            pass  # no term yet, or an unknown one: the tab says so
        page = max(1, int(params.get("page", "1")) if params.get("page", "1").isdigit() else 1)
        filters = {k: params.get(k) or None for k in ("kind", "q", "township_code", "active", "empty")}
        if tab == "groups":
            group_filter = _convert(form_fields(filters, "kind", "q", "township_code", "empty"), GroupFilter)
            context["groups"] = await service.list_groups(db, group_filter, page, PAGE_SIZE)
            context["group_members"] = await service.group_member_names(db, [g.id for g in context["groups"].items])
        if tab == "stations":
            station_fields = form_fields(filters, "kind", "q", "township_code", "active", "empty")
            station_filter = _convert(station_fields, StationFilter)
            context["stations"], context["station_deputies"] = await service.list_stations(
                db, station_filter, page, PAGE_SIZE
            )
        context["filters"] = filters
        if tab == "committee" and access.can("organisation.write"):
            context["users"] = dict(await _office_users(access))
        if export_id := params.get("export"):
            try:
                context["export"] = await exports.get_export(db, uuid.UUID(export_id))
            except (NotFound, ValueError):
                pass
        context.update(extra)
        return Template("organisation/overview.html", context=context, status_code=status)

    async def _created(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        tab: str,
        data: Form,
        create: Callable[[], Awaitable[Any]],
    ) -> Template | Redirect:
        """A form on the overview's `tab` that adds an entry: its page, or the tab again with the reason."""
        return await run_form_action(
            db,
            create,
            redirect_to=lambda item: f"/t/{access.tenant.code}/organisation/{tab}/{item.id}",
            on_error=page_again(self._overview, request, db, access, tab=tab, form=data),
        )

    async def _detail_action(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        kind: str,
        item_id: uuid.UUID,
        action: Callable[[Any], Awaitable[Any]],
    ) -> Template | Redirect:
        """A form on the detail page `/{kind}/{item_id}`: that page again, or with the reason it was refused."""
        load, page = {
            "committee": (service.get_committee_member, self._member_page),
            "bodies": (service.get_body, self._body_page),
            "groups": (service.get_group, self._group_page),
            "stations": (service.get_station, self._station_page),
        }[kind]
        item = await load(db, item_id)
        return await run_form_action(
            db,
            lambda: action(item),
            redirect_to=f"/t/{access.tenant.code}/organisation/{kind}/{item_id}",
            on_error=page_again(page, request, db, access, item_id),
        )

    @get("/", guards=[READ])
    async def overview(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._overview(request, db, access)

    @post("/export", guards=[requires("exports.write")])
    async def export(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Excel of the groups or stations list as filtered on the page, built in the background."""
        which = form_value(data, "list") or ""

        async def request_export() -> Any:
            if which not in EXPORT_KINDS:
                raise InvalidInput("请选择要导出的名单", code="unknown_export_kind")
            kind, filter_type = EXPORT_KINDS[which]
            params = msgspec.to_builtins(_convert(form_fields(data, *filter_type.__struct_fields__), filter_type))
            return await exports.request_export(db, access, kind, {k: v for k, v in params.items() if v is not None})

        return await run_form_action(
            db,
            request_export,
            redirect_to=lambda export: f"/t/{access.tenant.code}/organisation?tab={which}&export={export.id}",
            on_error=page_again(self._overview, request, db, access, tab=which),
        )

    # --- the standing committee -------------------------------------------------------------------
    @post("/committee", guards=[WRITE])
    async def create_committee_member(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        fields = form_fields(data, "term_id", "position", "name", "started_on", "ended_on", "user_id")
        if (council := form_value(data, "on_council")) is not None:  # empty: decided by the position
            fields["on_council"] = council == "1"

        async def create() -> Any:
            return await service.create_committee_member(db, access.tenant, _convert(fields, CommitteeMemberIn))

        return await self._created(request, db, access, "committee", data, create)

    async def _member_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        member_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        member = await service.get_committee_member(db, member_id)
        q = request.query_params.get("q")
        person = await repo.persons_by_id(db, [member.person_id] if member.person_id else [])
        context = {
            **await shell_context(request, access),
            "member": await service.committee_member_out(db, member),
            "person": (await service.person_refs(db, person.values()) or [None])[0],
            "positions": COMMITTEE_POSITIONS,
            "users": dict(await _office_users(access)) if access.can("organisation.write") else {},
            "q": q or "",
            "candidates": await service.search_candidates(db, q) if q else [],
            **extra,
        }
        return Template("organisation/committee_member.html", context=context, status_code=status)

    @get("/committee/{committee_member_id:uuid}", guards=[READ])
    async def committee_member(
        self, request: Request, db: AsyncSession, access: TenantAccess, committee_member_id: uuid.UUID
    ) -> Template:
        return await self._member_page(request, db, access, committee_member_id)

    @post("/committee/{committee_member_id:uuid}/edit", guards=[WRITE])
    async def edit_committee_member(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        committee_member_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        fields = form_fields(data, "position", "name", "person_id", "user_id", "started_on", "ended_on")
        if "on_council" in data:
            fields["on_council"] = form_value(data, "on_council") == "1"

        async def action(member: Any) -> None:
            await service.update_committee_member(db, access.tenant, member, _convert(fields, CommitteeMemberPatch))

        return await self._detail_action(request, db, access, "committee", committee_member_id, action)

    @post("/committee/{committee_member_id:uuid}/delete", guards=[WRITE])
    async def delete_committee_member(
        self, db: AsyncSession, access: TenantAccess, committee_member_id: uuid.UUID
    ) -> Redirect:
        member = await service.get_committee_member(db, committee_member_id)
        term_id = member.term_id
        await service.delete_committee_member(db, member)
        return Redirect(f"/t/{access.tenant.code}/organisation?tab=committee&term_id={term_id}")

    # --- special committees and working commissions -----------------------------------------------
    async def _body_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        body_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        body = await service.get_body(db, body_id)
        detail = await service.body_detail(db, body)
        serving: list[Any] = []
        try:
            committee = await service.committee(db, access.tenant)
            taken = {m.committee_member_id for m in detail.members}
            serving = [m for m in committee.members if m.is_serving and m.id not in taken]
        except NotFound:
            pass
        deputies = await service.body_deputy_candidates(db, body, request.query_params.get("q"))
        context = {
            **await shell_context(request, access),
            "body": detail,
            "body_kinds": BODY_KINDS,
            "roles": BODY_ROLE_LABELS[body.kind],
            "candidates": serving,
            "deputies": deputies,
            "member_kinds": BODY_MEMBER_KINDS,
            **extra,
        }
        return Template("organisation/body.html", context=context, status_code=status)

    @post("/bodies", guards=[WRITE])
    async def create_body(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def create() -> Any:
            return await service.create_body(db, _convert(form_fields(data, "kind", "name", "description"), BodyIn))

        return await self._created(request, db, access, "bodies", data, create)

    @get("/bodies/{body_id:uuid}", guards=[READ])
    async def body(self, request: Request, db: AsyncSession, access: TenantAccess, body_id: uuid.UUID) -> Template:
        return await self._body_page(request, db, access, body_id)

    @post("/bodies/{body_id:uuid}/edit", guards=[WRITE])
    async def edit_body(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        body_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(body: Any) -> None:
            await service.update_body(db, body, _convert(form_fields(data, "kind", "name", "description"), BodyPatch))

        return await self._detail_action(request, db, access, "bodies", body_id, action)

    @post("/bodies/{body_id:uuid}/delete", guards=[WRITE])
    async def delete_body(self, db: AsyncSession, access: TenantAccess, body_id: uuid.UUID) -> Redirect:
        await service.delete_body(db, await service.get_body(db, body_id))
        return Redirect(f"/t/{access.tenant.code}/organisation?tab=bodies")

    @post("/bodies/{body_id:uuid}/members", guards=[WRITE])
    async def add_body_member(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        body_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(body: Any) -> None:
            await service.add_body_member(db, body, _convert(_body_member_data(data), BodyMemberIn))

        return await self._detail_action(request, db, access, "bodies", body_id, action)

    @post("/bodies/{body_id:uuid}/members/{committee_member_id:uuid}/remove", guards=[WRITE])
    async def remove_body_member(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        body_id: uuid.UUID,
        committee_member_id: uuid.UUID,
    ) -> Template | Redirect:
        async def action(body: Any) -> None:
            await service.remove_body_member(db, body, committee_member_id)

        return await self._detail_action(request, db, access, "bodies", body_id, action)

    @post("/bodies/{body_id:uuid}/body-members/{body_member_id:uuid}/remove", guards=[WRITE])
    async def remove_other_body_member(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        body_id: uuid.UUID,
        body_member_id: uuid.UUID,
    ) -> Template | Redirect:
        async def action(body: Any) -> None:
            await service.remove_body_member_by_id(db, body, body_member_id)

        return await self._detail_action(request, db, access, "bodies", body_id, action)

    # --- deputy groups ----------------------------------------------------------------------------
    async def _group_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        group_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        group = await service.get_group(db, group_id)
        q = request.query_params.get("q")
        candidates = await service.search_candidates(db, q, group=group) if q else []
        # Shown before the clerk clicks: who already belongs to a geographic group, and which.
        placed = await repo.geographic_groups_of(db, [c.id for c in candidates])
        detail = await service.group_detail(db, group)
        eq = request.query_params.get("eq")
        context = {
            **await shell_context(request, access),
            "group": detail,
            "group_kinds": GROUP_KINDS,
            "townships": await deputies.township_names(db),
            "q": q or "",
            "candidates": candidates,
            "eq": eq or "",
            "level_labels": LEVEL_LABELS,
            "elsewhere": await service.search_elsewhere(
                access.tenant, eq, [e.mandate_id for e in detail.external_members]
            ),
            "notes": {p.id: f"已在代表小组“{g.name}”" for p, g in placed},
            **extra,
        }
        return Template("organisation/group.html", context=context, status_code=status)

    @post("/groups", guards=[WRITE])
    async def create_group(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def create() -> Any:
            spec = _convert(form_fields(data, "kind", "name", "township_code"), GroupIn)
            return await service.create_group(db, access.tenant, spec)

        return await self._created(request, db, access, "groups", data, create)

    @get("/groups/{group_id:uuid}", guards=[READ])
    async def group(self, request: Request, db: AsyncSession, access: TenantAccess, group_id: uuid.UUID) -> Template:
        return await self._group_page(request, db, access, group_id)

    @post("/groups/{group_id:uuid}/edit", guards=[WRITE])
    async def edit_group(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        group_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(group: Any) -> None:
            fields = form_fields(data, "kind", "name", "township_code", "leader_person_id")
            await service.update_group(db, access.tenant, group, _convert(fields, GroupPatch))

        return await self._detail_action(request, db, access, "groups", group_id, action)

    @post("/groups/{group_id:uuid}/delete", guards=[WRITE])
    async def delete_group(self, db: AsyncSession, access: TenantAccess, group_id: uuid.UUID) -> Redirect:
        await service.delete_group(db, await service.get_group(db, group_id))
        return Redirect(f"/t/{access.tenant.code}/organisation?tab=groups")

    @post("/groups/{group_id:uuid}/members", guards=[WRITE])
    async def add_group_member(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        group_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(group: Any) -> None:
            spec = _convert(form_fields(data, "person_id"), GroupMemberIn)
            await service.add_group_member(db, group, spec.person_id)

        return await self._detail_action(request, db, access, "groups", group_id, action)

    @post("/groups/{group_id:uuid}/members/{person_id:uuid}/remove", guards=[WRITE])
    async def remove_group_member(
        self, request: Request, db: AsyncSession, access: TenantAccess, group_id: uuid.UUID, person_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(group: Any) -> None:
            await service.remove_group_member(db, group, person_id)

        return await self._detail_action(request, db, access, "groups", group_id, action)

    @post("/groups/{group_id:uuid}/external-members", guards=[WRITE])
    async def add_external_member(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        group_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(group: Any) -> None:
            spec = _convert(form_fields(data, "mandate_id"), ExternalDeputyIn)
            await service.add_external_member(db, access.tenant, group, spec.mandate_id)

        return await self._detail_action(request, db, access, "groups", group_id, action)

    @post("/groups/{group_id:uuid}/external-members/{mandate_id:uuid}/remove", guards=[WRITE])
    async def remove_external_member(
        self, request: Request, db: AsyncSession, access: TenantAccess, group_id: uuid.UUID, mandate_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(group: Any) -> None:
            await service.remove_external_member(db, group, mandate_id)

        return await self._detail_action(request, db, access, "groups", group_id, action)

    # --- stations ---------------------------------------------------------------------------------
    async def _station_page(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        station_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        station = await service.get_station(db, station_id)
        q, eq = request.query_params.get("q"), request.query_params.get("eq")
        detail = await service.station_detail(db, station)
        context = {
            **await shell_context(request, access),
            "station": detail,
            "station_kinds": STATION_KINDS,
            "townships": await deputies.township_names(db),
            "q": q or "",
            "candidates": await service.search_candidates(db, q, station=station) if q else [],
            "eq": eq or "",
            "level_labels": LEVEL_LABELS,
            "elsewhere": await service.search_elsewhere(
                access.tenant, eq, [e.mandate_id for e in detail.external_deputies]
            ),
            **extra,
        }
        return Template("organisation/station.html", context=context, status_code=status)

    @post("/stations", guards=[WRITE])
    async def create_station(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def create() -> Any:
            return await service.create_station(db, access.tenant, _convert(_station_data(data), StationIn))

        return await self._created(request, db, access, "stations", data, create)

    @get("/stations/{station_id:uuid}", guards=[READ])
    async def station(
        self, request: Request, db: AsyncSession, access: TenantAccess, station_id: uuid.UUID
    ) -> Template:
        return await self._station_page(request, db, access, station_id)

    @post("/stations/{station_id:uuid}/edit", guards=[WRITE])
    async def edit_station(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        station_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(station: Any) -> None:
            await service.update_station(db, access.tenant, station, _convert(_station_data(data), StationPatch))

        return await self._detail_action(request, db, access, "stations", station_id, action)

    @post("/stations/{station_id:uuid}/delete", guards=[WRITE])
    async def delete_station(self, db: AsyncSession, access: TenantAccess, station_id: uuid.UUID) -> Redirect:
        await service.delete_station(db, await service.get_station(db, station_id))
        return Redirect(f"/t/{access.tenant.code}/organisation?tab=stations")

    @post("/stations/{station_id:uuid}/deputies", guards=[WRITE])
    async def assign_deputy(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        station_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(station: Any) -> None:
            spec = _convert(form_fields(data, "person_id"), StationAssignmentIn)
            await service.assign_deputy(db, station, spec.person_id)

        return await self._detail_action(request, db, access, "stations", station_id, action)

    @post("/stations/{station_id:uuid}/deputies/{person_id:uuid}/remove", guards=[WRITE])
    async def unassign_deputy(
        self, request: Request, db: AsyncSession, access: TenantAccess, station_id: uuid.UUID, person_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(station: Any) -> None:
            await service.unassign_deputy(db, station, person_id)

        return await self._detail_action(request, db, access, "stations", station_id, action)

    @post("/stations/{station_id:uuid}/external-deputies", guards=[WRITE])
    async def assign_external_deputy(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        station_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action(station: Any) -> None:
            spec = _convert(form_fields(data, "mandate_id"), ExternalDeputyIn)
            await service.assign_external_deputy(db, access.tenant, station, spec.mandate_id)

        return await self._detail_action(request, db, access, "stations", station_id, action)

    @post("/stations/{station_id:uuid}/external-deputies/{mandate_id:uuid}/remove", guards=[WRITE])
    async def unassign_external_deputy(
        self, request: Request, db: AsyncSession, access: TenantAccess, station_id: uuid.UUID, mandate_id: uuid.UUID
    ) -> Template | Redirect:
        async def action(station: Any) -> None:
            await service.unassign_external_deputy(db, station, mandate_id)

        return await self._detail_action(request, db, access, "stations", station_id, action)


PAGES = [OrganisationPages]
