"""`/api/v1/t/{code}/congresses`, `/terms`, `/persons`, `/mandates` and `/deputies` (the register list)."""

from __future__ import annotations

import uuid

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.errors import InvalidInput
from renda.core.permissions import requires
from renda.modules.deputies import directory, service
from renda.modules.deputies.models import (
    END_REASONS,
    LEVEL_LABELS,
    RESIGNATION_KINDS,
    STATUS_LABELS,
    SUSPENSION_REASONS,
    Congress,
    Mandate,
    MandateEvent,
    Person,
    Term,
)
from renda.modules.deputies.register import Profile, RegisterEntry
from renda.modules.deputies.repository import MandateRow
from renda.modules.deputies.schemas import (
    EVENT_LABELS,
    GENDER_LABELS,
    CongressIn,
    CongressOut,
    ElsewhereItem,
    ElsewherePage,
    EventOut,
    MandateBrief,
    MandateEndIn,
    MandateIn,
    MandateOut,
    MandateResumeIn,
    MandateSuspendIn,
    MandateUpdate,
    PersonIn,
    PersonOut,
    PersonUpdate,
    PersonUserIn,
    PlaceOut,
    RegisterFilter,
    RegisterItem,
    RegisterPage,
    TermChangeIn,
    TermChangeOut,
    TermIn,
    TermOut,
    TermUpdate,
)
from renda.tenants.scoping import (
    TENANT_DEPENDENCIES,
    TenantAccess,
    provide_tenant_access,
)
from renda.web.forms import uploaded_file


# The row a path addresses, loaded with the request's session before the body is validated: an id that
# is not in this office is a 404 whatever the body holds (never a 400 that would tell it apart).
async def provide_congress(db: AsyncSession, congress_id: uuid.UUID) -> Congress:
    return await service.get_congress(db, congress_id)


async def provide_term(db: AsyncSession, term_id: uuid.UUID) -> Term:
    return await service.get_term(db, term_id)


async def provide_person(db: AsyncSession, person_id: uuid.UUID) -> Person:
    return await service.get_person(db, person_id)


async def provide_mandate(db: AsyncSession, mandate_id: uuid.UUID) -> Mandate:
    return await service.get_mandate(db, mandate_id)


DEPENDENCIES = {
    **TENANT_DEPENDENCIES,
    "congress": Provide(provide_congress),
    "term": Provide(provide_term),
    "person": Provide(provide_person),
    "mandate": Provide(provide_mandate),
}


# --- converting rows to responses ------------------------------------------------------------------
def term_out(term: Term) -> TermOut:
    return TermOut(
        term.id,
        term.congress_id,
        term.number,
        service.term_label(term.number),
        term.starts_on,
        term.ends_on,
        term.is_current,
    )


def congress_out(congress: Congress, terms: list[Term]) -> CongressOut:
    return CongressOut(
        congress.id,
        congress.level,
        LEVEL_LABELS[congress.level],
        congress.name,
        congress.division_code,
        [term_out(t) for t in terms],
    )


def event_out(event: MandateEvent) -> EventOut:
    reason_label = END_REASONS.get(event.reason or "") or SUSPENSION_REASONS.get(event.reason or "")
    return EventOut(
        event.id,
        event.mandate_id,
        event.kind,
        EVENT_LABELS.get(event.kind, event.kind),
        event.on,
        event.reason,
        reason_label,
        event.detail,
        event.recorded_by.split(":", 2)[-1],
        event.recorded_at,
    )


def mandate_out(row: MandateRow, events: list[MandateEvent] | None = None) -> MandateOut:
    m, term, congress = row
    return MandateOut(
        m.id,
        m.person_id,
        term.id,
        service.term_label(term.number),
        congress.id,
        congress.name,
        m.level,
        LEVEL_LABELS[m.level],
        m.constituency,
        m.electoral_unit,
        m.delegation,
        m.organised_in,
        m.starts_on,
        m.status,
        STATUS_LABELS[m.status],
        m.by_election,
        m.replaces_mandate_id,
        m.ended_on,
        m.end_reason,
        END_REASONS.get(m.end_reason) if m.end_reason else None,
        m.resignation_kind,
        RESIGNATION_KINDS.get(m.resignation_kind) if m.resignation_kind else None,
        m.suspended_on,
        m.suspension_reason,
        SUSPENSION_REASONS.get(m.suspension_reason) if m.suspension_reason else None,
        None if events is None else [event_out(e) for e in events if e.mandate_id == m.id],
    )


def person_out(person: Person, profile: Profile | None = None) -> PersonOut:
    out = PersonOut(
        person.id,
        person.name,
        person.name_pinyin,
        person.gender,
        GENDER_LABELS[person.gender],
        person.ethnicity,
        person.birth_date,
        person.party,
        person.occupation_category,
        person.education,
        person.sector,
        person.workplace,
        person.position,
        person.mobile_masked,
        service.masked_id_number(person),
        person.photo_type is not None,
        person.public_fields,
        person.created_at,
        person.updated_at,
        person.user_id,
    )
    if profile is not None:
        out.mandates = [mandate_out(row, profile.events) for row in profile.mandates]
        out.groups = [PlaceOut(g.id, g.name, g.kind, g.kind_label) for g in profile.groups]
        out.stations = [PlaceOut(s.id, s.name, s.kind, s.kind_label) for s in profile.stations]
    return out


def register_item(entry: RegisterEntry) -> RegisterItem:
    p = entry.person
    return RegisterItem(
        p.id,
        p.name,
        GENDER_LABELS[p.gender],
        p.ethnicity,
        p.birth_date,
        p.party,
        p.sector,
        p.workplace,
        p.position,
        p.mobile_masked,
        entry.live_levels,
        [LEVEL_LABELS[level] for level in entry.live_levels],
        [
            MandateBrief(
                m.id,
                m.level,
                LEVEL_LABELS[m.level],
                m.congress_name,
                service.term_label(m.term_number),
                m.status,
                STATUS_LABELS[m.status],
                m.constituency,
                m.starts_on,
                m.ended_on,
            )
            for m in entry.mandates
        ],
        entry.elsewhere_labels,
    )


async def _mandate(db: AsyncSession, mandate_id: uuid.UUID) -> MandateOut:
    row, events = await service.mandate_detail(db, mandate_id)
    return mandate_out(row, events)


# --- controllers -----------------------------------------------------------------------------------
class CongressController(Controller):
    path = "/api/v1/t/{code:str}"
    tags = ["代表名册:人大与届次"]
    dependencies = DEPENDENCIES

    @get("/congresses", guards=[requires("deputies.read")])
    async def list_congresses(self, db: AsyncSession) -> list[CongressOut]:
        return [congress_out(c, terms) for c, terms in await service.list_congresses(db)]

    @post("/congresses", guards=[requires("deputies.write")], status_code=201)
    async def create_congress(self, db: AsyncSession, access: TenantAccess, data: CongressIn) -> CongressOut:
        return congress_out(await service.create_congress(db, access.tenant, data), [])

    @get("/congresses/{congress_id:uuid}", guards=[requires("deputies.read")])
    async def show_congress(self, db: AsyncSession, congress_id: uuid.UUID) -> CongressOut:
        congress = await service.get_congress(db, congress_id)
        return congress_out(congress, await service.terms_of(db, congress.id))

    @post(
        "/congresses/{congress_id:uuid}/terms",
        guards=[requires("deputies.write")],
        status_code=201,
    )
    async def create_term(self, congress: Congress, db: AsyncSession, congress_id: uuid.UUID, data: TermIn) -> TermOut:
        return term_out(await service.create_term(db, congress_id, data))

    @get("/terms/{term_id:uuid}", guards=[requires("deputies.read")])
    async def show_term(self, db: AsyncSession, term_id: uuid.UUID) -> TermOut:
        return term_out(await service.get_term(db, term_id))

    @patch("/terms/{term_id:uuid}", guards=[requires("deputies.write")])
    async def update_term(self, term: Term, db: AsyncSession, term_id: uuid.UUID, data: TermUpdate) -> TermOut:
        return term_out(await service.update_term(db, term_id, data))

    @post(
        "/terms/{term_id:uuid}/change",
        guards=[requires("deputies.write")],
        status_code=200,
    )
    async def change_term(self, term: Term, db: AsyncSession, term_id: uuid.UUID, data: TermChangeIn) -> TermChangeOut:
        """换届: ends the current term's live mandates with the term, opens the next term."""
        change = await service.change_term(db, term_id, data)
        return TermChangeOut(term_out(change.closed), term_out(change.opened), change.ended)


class PersonController(Controller):
    path = "/api/v1/t/{code:str}"
    tags = ["代表名册:代表"]
    dependencies = DEPENDENCIES

    @get("/deputies", guards=[requires("deputies.read")])
    async def register(
        self,
        db: AsyncSession,
        q: str | None = None,
        level: str | None = None,
        status: str | None = None,
        term_id: uuid.UUID | None = None,
        constituency: str | None = None,
        sector: str | None = None,
        group_id: uuid.UUID | None = None,
        station_id: uuid.UUID | None = None,
        sort: str = "name",
        page: int = 1,
        page_size: int = 20,
    ) -> RegisterPage:
        """The register: each person once, with all their mandates; filters match one mandate."""
        filters = RegisterFilter(q, level, status, term_id, constituency, sector, group_id, station_id, sort)
        found = await service.search(db, filters, page, page_size)
        return RegisterPage(
            [register_item(e) for e in found.items], found.total, found.page, found.page_size, found.pages
        )

    @post("/persons", guards=[requires("deputies.write")], status_code=201)
    async def create_person(self, db: AsyncSession, data: PersonIn) -> PersonOut:
        return person_out(await service.create_person(db, data))

    @get("/persons/{person_id:uuid}", guards=[requires("deputies.read")])
    async def show_person(self, db: AsyncSession, person_id: uuid.UUID) -> PersonOut:
        profile = await service.profile(db, person_id)
        return person_out(profile.person, profile)

    @patch("/persons/{person_id:uuid}", guards=[requires("deputies.write")])
    async def update_person(
        self, person: Person, db: AsyncSession, person_id: uuid.UUID, data: PersonUpdate
    ) -> PersonOut:
        return person_out(await service.update_person(db, person_id, data))

    @delete("/persons/{person_id:uuid}", guards=[requires("deputies.write")], status_code=204)
    async def delete_person(self, db: AsyncSession, person_id: uuid.UUID) -> None:
        await service.delete_person(db, person_id)

    @put(
        "/persons/{person_id:uuid}/user",
        guards=[requires("deputies.write")],
    )
    async def link_user(
        self, person: Person, db: AsyncSession, access: TenantAccess, person_id: uuid.UUID, data: PersonUserIn
    ) -> PersonOut:
        """Link the office member who signs in as this deputy (null unlinks)."""
        return person_out(await service.link_user(db, access.tenant, person_id, data.user_id))

    @get("/persons/{person_id:uuid}/photo", guards=[requires("deputies.read")], media_type="image/*")
    async def photo(self, db: AsyncSession, person_id: uuid.UUID) -> Response[bytes]:
        content, media_type = await service.get_photo(db, person_id)
        return Response(content, media_type=media_type, headers={"Cache-Control": "private, no-store"})

    @put(
        "/persons/{person_id:uuid}/photo",
        guards=[requires("deputies.write")],
    )
    async def upload_photo(
        self,
        request: Request,
        person: Person,
        db: AsyncSession,
    ) -> PersonOut:
        """Multipart field `data`: a JPG or PNG of at most 2 MB."""
        upload = await uploaded_file(request, "data", InvalidInput("请选择照片文件", code="invalid_photo"))
        return person_out(await service.set_photo(db, person.id, await upload.read()))

    @delete("/persons/{person_id:uuid}/photo", guards=[requires("deputies.write")], status_code=204)
    async def delete_photo(self, db: AsyncSession, person_id: uuid.UUID) -> None:
        await service.clear_photo(db, person_id)


class MandateController(Controller):
    path = "/api/v1/t/{code:str}/mandates"
    tags = ["代表名册:代表资格"]
    dependencies = DEPENDENCIES

    @post("/", guards=[requires("deputies.write")], status_code=201)
    async def create_mandate(self, db: AsyncSession, data: MandateIn) -> MandateOut:
        return await _mandate(db, (await service.create_mandate(db, data)).id)

    @get("/{mandate_id:uuid}", guards=[requires("deputies.read")])
    async def show_mandate(self, db: AsyncSession, mandate_id: uuid.UUID) -> MandateOut:
        return await _mandate(db, mandate_id)

    @patch("/{mandate_id:uuid}", guards=[requires("deputies.write")])
    async def update_mandate(
        self, mandate: Mandate, db: AsyncSession, mandate_id: uuid.UUID, data: MandateUpdate
    ) -> MandateOut:
        await service.update_mandate(db, mandate_id, data)
        return await _mandate(db, mandate_id)

    @post(
        "/{mandate_id:uuid}/end",
        guards=[requires("deputies.write")],
        status_code=200,
    )
    async def end_mandate(
        self, mandate: Mandate, db: AsyncSession, mandate_id: uuid.UUID, data: MandateEndIn
    ) -> MandateOut:
        await service.end_mandate(db, mandate_id, data)
        return await _mandate(db, mandate_id)

    @post(
        "/{mandate_id:uuid}/suspend",
        guards=[requires("deputies.write")],
        status_code=200,
    )
    async def suspend_mandate(
        self, mandate: Mandate, db: AsyncSession, mandate_id: uuid.UUID, data: MandateSuspendIn
    ) -> MandateOut:
        await service.suspend_mandate(db, mandate_id, data)
        return await _mandate(db, mandate_id)

    @post(
        "/{mandate_id:uuid}/resume",
        guards=[requires("deputies.write")],
        status_code=200,
    )
    async def resume_mandate(
        self, mandate: Mandate, db: AsyncSession, mandate_id: uuid.UUID, data: MandateResumeIn
    ) -> MandateOut:
        await service.resume_mandate(db, mandate_id, data)
        return await _mandate(db, mandate_id)


def elsewhere_item(found: directory.ElsewhereEntry) -> ElsewhereItem:
    e = found.entry
    return ElsewhereItem(
        e.mandate_id,
        e.person_name,
        GENDER_LABELS.get(e.gender, e.gender),
        e.level,
        LEVEL_LABELS[e.level],
        e.congress_name,
        e.term_number,
        e.constituency,
        STATUS_LABELS[e.status],
        e.recorded_by,
        found.recorded_by_name,
        e.organised_in,
    )


class TerritoryController(Controller):
    path = "/api/v1/t/{code:str}/deputies/elsewhere"
    tags = ["代表名册"]
    dependencies = {"access": Provide(provide_tenant_access, sync_to_thread=False)}

    @get("/", guards=[requires("deputies.read")])
    async def recorded_elsewhere(
        self, access: TenantAccess, level: str | None = None, q: str | None = None, page: int = 1, page_size: int = 50
    ) -> ElsewherePage:
        """Deputies active in this office's territory whose mandates another office records."""
        async with get_database().platform_session() as session:
            found, total = await directory.recorded_elsewhere(
                session, access.tenant, level=level, q=q, page=page, page_size=page_size
            )
        return ElsewherePage([elsewhere_item(f) for f in found], total, page, page_size)


ROUTES = [CongressController, PersonController, MandateController, TerritoryController]
