"""Staff UI of the register: the list, a deputy's profile, the forms, congresses and terms (换届)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.errors import AppError, InvalidInput
from renda.core.permissions import requires
from renda.core.timezone import local_today
from renda.modules.deputies import directory, repository, service
from renda.modules.deputies.models import (
    END_REASONS,
    LEVEL_LABELS,
    LEVELS,
    RESIGNATION_KINDS,
    STATUS_LABELS,
    SUSPENSION_REASONS,
    Congress,
    Mandate,
    Person,
    Term,
)
from renda.modules.deputies.routes import DEPENDENCIES, elsewhere_item
from renda.modules.deputies.schemas import (
    EDUCATION_LEVELS,
    ETHNICITIES,
    EVENT_LABELS,
    GENDER_LABELS,
    OCCUPATION_CATEGORIES,
    PARTIES,
    PUBLIC_FIELDS,
    SORTS,
    STATUS_FILTERS,
    CongressIn,
    MandateEndIn,
    MandateIn,
    MandateResumeIn,
    MandateSuspendIn,
    PersonIn,
    PersonUpdate,
    RegisterFilter,
    TermChangeIn,
    TermIn,
    TermUpdate,
)
from renda.modules.exports import service as exports
from renda.modules.members import service as members
from renda.tenants.scoping import TenantAccess
from renda.web.actions import refusal
from renda.web.forms import PAGE_FIELDS, convert_form, uploaded_file
from renda.web.pages import shell_context

T = TypeVar("T")
Form = dict[str, Any]
EXPORT_KIND = "deputies_register"
PAGE_SIZE = 30
FIELD_LABELS = {
    "name": "姓名",
    "gender": "性别",
    "ethnicity": "民族",
    "birth_date": "出生日期",
    "party": "政治面貌",
    "occupation_category": "职业类别",
    "education": "学历",
    "public_fields": "公开信息项",
    "mobile": "手机号码",
    "id_number": "身份证号码",
    "sector": "界别/行业",
    "workplace": "工作单位",
    "position": "职务",
    "level": "层级",
    "number": "届次",
    "starts_on": "开始日期",
    "ends_on": "结束日期",
    "closes_on": "本届结束日期",
    "next_starts_on": "新一届开始日期",
    "next_ends_on": "新一届结束日期",
    "next_number": "新一届届次",
    "term_id": "届次",
    "constituency": "选区",
    "electoral_unit": "选举单位",
    "delegation": "代表团",
    "organised_in": "组织地",
    "replaces_mandate_id": "接替的代表资格",
    "ended_on": "终止日期",
    "reason": "原因",
    "suspended_on": "暂停日期",
    "resumed_on": "恢复日期",
    "note": "说明",
}
# What the edit form shows again; the ID number and the mobile are never shown in clear.
PERSON_FORM_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "party",
    "occupation_category",
    "education",
    "sector",
    "workplace",
    "position",
    "public_fields",
)
LABELS: dict[str, Any] = {
    "level_labels": LEVEL_LABELS,
    "status_labels": STATUS_LABELS,
    "status_filters": STATUS_FILTERS,
    "end_reasons": {k: v for k, v in END_REASONS.items() if k != "term_ended"},
    "all_end_reasons": END_REASONS,
    "resignation_kinds": RESIGNATION_KINDS,
    "suspension_reasons": SUSPENSION_REASONS,
    "gender_labels": GENDER_LABELS,
    "event_labels": EVENT_LABELS,
    "public_field_labels": PUBLIC_FIELDS,
    "ethnicities": ETHNICITIES,
    "parties": PARTIES,
    "occupation_categories": OCCUPATION_CATEGORIES,
    "education_levels": EDUCATION_LEVELS,
    "sorts": SORTS,
    "term_label": service.term_label,
}


def form_struct(form: Form, struct: type[T], lists: tuple[str, ...] = ()) -> T:
    """A form's fields as `struct`: blank fields are left out, so they take the struct's default."""
    values: dict[str, Any] = {}
    for key, value in form.items():
        if key in PAGE_FIELDS:
            continue
        if key in lists:
            values[key] = value if isinstance(value, list) else [value]
            continue
        value = value[-1] if isinstance(value, list) else value
        if isinstance(value, str) and value.strip():
            values[key] = value.strip()
    return convert_form(values, struct, FIELD_LABELS)


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        raise InvalidInput("筛选条件无效", code="invalid_filter") from None


def _register_filter(params: dict[str, Any]) -> RegisterFilter:
    """The list's filters from the query (or the export form); the list shows serving deputies
    unless the clerk asks for every status ("all")."""
    status = params.get("status", "live") or "live"
    return RegisterFilter(
        q=params.get("q") or None,
        level=params.get("level") or None,
        status=None if status == "all" else status,
        term_id=_uuid(params.get("term_id")),
        constituency=params.get("constituency") or None,
        sector=params.get("sector") or None,
        group_id=_uuid(params.get("group_id")),
        station_id=_uuid(params.get("station_id")),
        sort=params.get("sort") or "name",
    )


FILTER_KEYS = ("q", "level", "status", "term_id", "constituency", "sector", "group_id", "station_id", "sort")


class DeputyPages(Controller):
    path = "/t/{code:str}/deputies"
    include_in_schema = False
    dependencies = DEPENDENCIES

    async def _render(
        self, request: Request, access: TenantAccess, template: str, status: int = 200, **context: Any
    ) -> Template:
        return Template(
            f"deputies/{template}",
            context={**await shell_context(request, access), **LABELS, **context},
            status_code=status,
        )

    async def _failed(self, db: AsyncSession, error: AppError) -> int:
        await db.rollback()
        return error.status_code

    async def _profile_action(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        person_id: uuid.UUID,
        action: Callable[[], Awaitable[Any]],
        done: str = "",
        **extra: Any,
    ) -> Template | Redirect:
        """A form on a deputy's profile: `done` (else the profile), or the profile again with the reason."""
        try:
            await action()
        except AppError as error:
            status = await self._failed(db, error)
            return await self._profile(
                request, db, access, person_id, status, error=await refusal(error, request), **extra
            )
        return Redirect(done or f"/t/{access.tenant.code}/deputies/{person_id}")

    # --- the register ------------------------------------------------------------------------------
    @get("/", guards=[requires("deputies.read")])
    async def register(self, request: Request, db: AsyncSession, access: TenantAccess, page: int = 1) -> Template:
        params = {k: v for k, v in request.query_params.items() if k in FILTER_KEYS}
        filters = _register_filter(params)
        found = await service.search(db, filters, page, PAGE_SIZE)
        recent = []
        if access.can("exports.read"):
            recent = [e for e in (await exports.list_exports(db, 1, 50)).items if e.kind == EXPORT_KIND][:5]
        return await self._render(
            request,
            access,
            "register.html",
            page=found,
            filters=filters,
            status_param=params.get("status", "live") or "live",
            query=urlencode({k: v for k, v in params.items() if v}),
            params=params,
            choices=await service.filter_choices(db),
            exports=recent,
        )

    @get("/elsewhere", guards=[requires("deputies.read")])
    async def elsewhere(
        self, request: Request, access: TenantAccess, level: str | None = None, q: str | None = None, page: int = 1
    ) -> Template:
        async with get_database().platform_session() as session:
            found, total = await directory.recorded_elsewhere(
                session, access.tenant, level=level or None, q=q, page=page, page_size=PAGE_SIZE
            )
        pages = max(1, -(-total // PAGE_SIZE))
        items = [elsewhere_item(f) for f in found]
        return await self._render(
            request, access, "elsewhere.html", items=items, total=total, page=page, pages=pages, level=level, q=q or ""
        )

    @post("/export", guards=[requires("exports.write")])
    async def export(
        self, db: AsyncSession, access: TenantAccess, data: Form = Body(media_type=RequestEncodingType.URL_ENCODED)
    ) -> Redirect:
        params = {k: str(v) for k, v in data.items() if k in FILTER_KEYS and v}
        filters = _register_filter(params)
        as_params = {k: str(v) for k, v in msgspec.to_builtins(filters).items() if v is not None}
        await exports.request_export(db, access, EXPORT_KIND, as_params)
        return Redirect(f"/t/{access.tenant.code}/deputies?{urlencode(params)}#exports")

    # --- persons -----------------------------------------------------------------------------------
    @get("/new", guards=[requires("deputies.write")])
    async def new_person(self, request: Request, access: TenantAccess) -> Template:
        return await self._render(request, access, "person_form.html", person=None, form={})

    @post("/new", guards=[requires("deputies.write")])
    async def create_person(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        try:
            person = await service.create_person(db, form_struct(data, PersonIn, lists=("public_fields",)))
        except AppError as error:
            status = await self._failed(db, error)
            return await self._render(
                request, access, "person_form.html", status, person=None, form=data, error=await refusal(error, request)
            )
        return Redirect(f"/t/{access.tenant.code}/deputies/{person.id}")

    async def _profile(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        person_id: uuid.UUID,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        profile = await service.profile(db, person_id)
        async with get_database().platform_session() as platform:  # who may sign in as this deputy
            office_users = {u.id: u.display_name for _, u in await members.list_members(platform, access.tenant)}
        mandate_labels = {
            m.id: f"{LEVEL_LABELS[m.level]}({c.name}{service.term_label(t.number)})" for m, t, c in profile.mandates
        }
        return await self._render(
            request,
            access,
            "person.html",
            status,
            profile=profile,
            p=profile.person,
            mandate_labels=mandate_labels,
            current_terms=await service.current_terms(db),
            vacancies=await repository.vacancies(db),
            today=local_today(),
            office_users=office_users,
            organised_choices=await service.office_options(db),  # the 组织地 picker
            **extra,
        )

    @get("/{person_id:uuid}", guards=[requires("deputies.read")])
    async def person(self, request: Request, db: AsyncSession, access: TenantAccess, person_id: uuid.UUID) -> Template:
        return await self._profile(request, db, access, person_id)

    @get("/{person_id:uuid}/edit", guards=[requires("deputies.write")])
    async def edit_person(
        self, request: Request, db: AsyncSession, access: TenantAccess, person_id: uuid.UUID
    ) -> Template:
        person = await service.get_person(db, person_id)
        form = {k: getattr(person, k) for k in PERSON_FORM_FIELDS}
        return await self._render(
            request, access, "person_form.html", person=person, form=form, id_masked=service.masked_id_number(person)
        )

    @post(
        "/{person_id:uuid}/edit",
        guards=[requires("deputies.write")],
    )
    async def update_person(
        self,
        person: Person,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        person_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        try:
            full = form_struct(data, PersonIn, lists=("public_fields",))
            sent = msgspec.structs.asdict(full)
            # The page never shows the ID number or mobile in clear (only what was just typed, when refused):
            # left blank, they stay as they are.
            for key in ("id_number", "mobile"):
                if sent[key] is None:
                    sent[key] = msgspec.UNSET
            await service.update_person(db, person_id, PersonUpdate(**sent))
        except AppError as error:
            status = await self._failed(db, error)
            person = await service.get_person(db, person_id)
            return await self._render(
                request,
                access,
                "person_form.html",
                status,
                person=person,
                form=data,
                error=await refusal(error, request),
                id_masked=service.masked_id_number(person),
            )
        return Redirect(f"/t/{access.tenant.code}/deputies/{person_id}")

    @post(
        "/{person_id:uuid}/delete",
        guards=[requires("deputies.write")],
    )
    async def delete_person(
        self, person: Person, request: Request, db: AsyncSession, access: TenantAccess, person_id: uuid.UUID
    ) -> Template | Redirect:
        async def action() -> None:
            await service.delete_person(db, person_id)

        return await self._profile_action(request, db, access, person_id, action, f"/t/{access.tenant.code}/deputies")

    @post(
        "/{person_id:uuid}/user",
        guards=[requires("deputies.write")],
    )
    async def link_user(
        self,
        person: Person,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        person_id: uuid.UUID,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> None:
            raw = str(data.get("user_id") or "").strip()
            try:
                user_id = uuid.UUID(raw) if raw else None
            except ValueError:
                raise InvalidInput("所选用户无效", code="invalid_user") from None
            await service.link_user(db, access.tenant, person_id, user_id)

        return await self._profile_action(request, db, access, person_id, action)

    @get("/{person_id:uuid}/photo", guards=[requires("deputies.read")])
    async def photo(self, db: AsyncSession, person_id: uuid.UUID) -> Response[bytes]:
        content, media_type = await service.get_photo(db, person_id)
        return Response(content, media_type=media_type, headers={"Cache-Control": "private, no-store"})

    @post(
        "/{person_id:uuid}/photo",
        guards=[requires("deputies.write")],
    )
    async def upload_photo(
        self,
        person: Person,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        person_id: uuid.UUID,
    ) -> Template | Redirect:
        async def action() -> None:
            upload = await uploaded_file(request, "photo", InvalidInput("请选择照片文件", code="invalid_photo"))
            await service.set_photo(db, person_id, await upload.read())

        return await self._profile_action(request, db, access, person_id, action)

    # --- mandates ----------------------------------------------------------------------------------
    @post(
        "/{person_id:uuid}/mandates",
        guards=[requires("deputies.write")],
    )
    async def add_mandate(
        self,
        person: Person,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        person_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> None:
            values = {**data, "person_id": str(person_id)}
            values["by_election"] = "true" if data.get("replaces_mandate_id") or data.get("by_election") else "false"
            await service.create_mandate(db, form_struct(values, MandateIn))

        return await self._profile_action(request, db, access, person_id, action, mandate_form=data)

    async def _mandate_action(
        self, request: Request, db: AsyncSession, access: TenantAccess, mandate_id: uuid.UUID, action: Any
    ) -> Template | Redirect:
        person_id = (await service.get_mandate(db, mandate_id)).person_id
        return await self._profile_action(request, db, access, person_id, action)

    @post(
        "/mandates/{mandate_id:uuid}/end",
        guards=[requires("deputies.write")],
    )
    async def end_mandate(
        self,
        mandate: Mandate,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        mandate_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> None:
            values = dict(data)
            if values.get("reason") != "resigned":
                values.pop("resignation_kind", None)
            await service.end_mandate(db, mandate_id, form_struct(values, MandateEndIn))

        return await self._mandate_action(request, db, access, mandate_id, action)

    @post(
        "/mandates/{mandate_id:uuid}/suspend",
        guards=[requires("deputies.write")],
    )
    async def suspend_mandate(
        self,
        mandate: Mandate,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        mandate_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> None:
            await service.suspend_mandate(db, mandate_id, form_struct(data, MandateSuspendIn))

        return await self._mandate_action(request, db, access, mandate_id, action)

    @post(
        "/mandates/{mandate_id:uuid}/resume",
        guards=[requires("deputies.write")],
    )
    async def resume_mandate(
        self,
        mandate: Mandate,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        mandate_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> None:
            await service.resume_mandate(db, mandate_id, form_struct(data, MandateResumeIn))

        return await self._mandate_action(request, db, access, mandate_id, action)

    # --- congresses and terms ----------------------------------------------------------------------
    async def _congresses(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        return await self._render(
            request,
            access,
            "congresses.html",
            status,
            congresses=await service.list_congresses(db),
            live_counts=await repository.live_counts_by_term(db),
            levels=LEVELS,
            townships=await service.township_names(db),  # the township congress's picker
            **extra,
        )

    async def _congress_action(
        self, request: Request, db: AsyncSession, access: TenantAccess, action: Any, form: Form
    ) -> Template | Redirect:
        try:
            notice = await action()
        except AppError as error:
            status = await self._failed(db, error)
            return await self._congresses(request, db, access, status, error=await refusal(error, request), form=form)
        return Redirect(f"/t/{access.tenant.code}/deputies/congresses?{urlencode({'done': notice})}")

    @get("/congresses", guards=[requires("deputies.read")])
    async def congresses(
        self, request: Request, db: AsyncSession, access: TenantAccess, done: str | None = None
    ) -> Template:
        return await self._congresses(request, db, access, notice=done)

    @post("/congresses", guards=[requires("deputies.write")])
    async def add_congress(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> str:
            congress = await service.create_congress(db, access.tenant, form_struct(data, CongressIn))
            return f"已添加{congress.name}"

        return await self._congress_action(request, db, access, action, data)

    @post(
        "/congresses/{congress_id:uuid}/terms",
        guards=[requires("deputies.write")],
    )
    async def add_term(
        self,
        congress: Congress,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        congress_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> str:
            term = await service.create_term(db, congress_id, form_struct(data, TermIn))
            return f"已添加{service.term_label(term.number)}"

        return await self._congress_action(request, db, access, action, data)

    @post("/terms/{term_id:uuid}/edit", guards=[requires("deputies.write")])
    async def edit_term(
        self,
        term: Term,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        term_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> str:
            update = form_struct(data, TermUpdate)
            if not str(data.get("ends_on") or "").strip():  # a blank end date clears it
                update.ends_on = None
            term = await service.update_term(db, term_id, update)
            return f"已修改{service.term_label(term.number)}的起止日期"

        return await self._congress_action(request, db, access, action, data)

    @post("/terms/{term_id:uuid}/change", guards=[requires("deputies.write")])
    async def change_term(
        self,
        term: Term,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        term_id: uuid.UUID,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        async def action() -> str:
            change = await service.change_term(db, term_id, form_struct(data, TermChangeIn))
            return (
                f"换届完成:{service.term_label(change.closed.number)}已结束,"
                f"{change.ended} 名代表的代表资格随任期届满终止;{service.term_label(change.opened.number)}已成为本届"
            )

        return await self._congress_action(request, db, access, action, data)


PAGES = [DeputyPages]
