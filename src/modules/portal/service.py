"""The public portal's rules: what an office publishes about its deputies (Deputies Law Art. 58: only
the fields each office chose per deputy, never the ID number or the mobile), where people find them
(stations and their reception days), what they promised (履职承诺), and how to reach them.

Everything public is reached through `published_office`: an unknown, suspended or archived office
has no portal at all. A deputy is public only while holding a live mandate of the office.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput, NotFound
from renda.core.pagination import Page, paginate
from renda.core.timezone import local_today
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import LEVEL_LABELS, LEVELS, Mandate, MandateStatus, Person, Term
from renda.modules.deputies.service import GENDER_LABELS, PUBLIC_FIELDS, RegisterFilter
from renda.modules.organisation import service as organisation
from renda.modules.organisation.models import STATION_KINDS, Station
from renda.modules.portal import repository as repo
from renda.modules.portal.models import DeputyCommitment, PortalSettings
from renda.modules.portal.schemas import (
    COMMITMENT_MAX,
    CommitmentIn,
    CommitmentOut,
    CommitmentPage,
    CommitmentPatch,
    PortalSettingsIn,
    PortalSettingsOut,
)
from renda.modules.receptions import service as receptions
from renda.tenants.scoping import TenantRef
from renda.tenants.service import published_office  # noqa: F401  (the portal pages' entry)

PAGE_SIZE = 40
STATION_PAGE_SIZE = 20
# Public pages take their input from anyone: short searches, and no page beyond any real list.
MAX_QUERY = 50
MAX_PAGE = 500
NEXT_DAYS = 3
TOWNSHIP_CODE = re.compile(r"^\d{9}$")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
OFFICE_SUFFIX = re.compile(r"(人大常委会|人大主席团|人大工委)$")


# --- the office and the bounds of public input ------------------------------------------------------
def check_query(q: str | None) -> str | None:
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise InvalidInput(f"查找内容不能超过 {MAX_QUERY} 个字", code="query_too_long")
    return q or None


def check_page(page: int) -> int:
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"页码应在 1 到 {MAX_PAGE} 之间", code="invalid_page")
    return page


def check_township_filter(code: str | None) -> str | None:
    code = (code or "").strip()
    if code and not TOWNSHIP_CODE.match(code):
        raise InvalidInput("乡镇(街道)筛选条件无效", code="invalid_township")
    return code or None


def deputy_url(public_url: str, office: str, person_id: uuid.UUID | str) -> str:
    """The absolute address a 代表码 encodes: the deputy's public page."""
    return f"{public_url.rstrip('/')}/p/{office}/deputies/{person_id}"


def station_url(public_url: str, office: str, station_id: uuid.UUID | str) -> str:
    return f"{public_url.rstrip('/')}/p/{office}/stations/{station_id}"


def office_short_name(tenant: TenantRef) -> str:
    """铜川市宜君县人大常委会 → 铜川市宜君县: the place, for headings."""
    return OFFICE_SUFFIX.sub("", tenant.name) or tenant.name


# --- deputies as the public sees them ---------------------------------------------------------------
@dataclass(frozen=True)
class PublicDeputy:
    person_id: str
    name: str
    level_labels: list[str]  # empty unless the office publishes the deputy's levels
    fields: dict[str, str]  # label → value, in PUBLIC_FIELDS order (name and levels included)
    has_photo: bool

    @property
    def details(self) -> dict[str, str]:
        """The published fields other than the name and the levels (shown in the page's heading)."""
        skip = {PUBLIC_FIELDS["name"], PUBLIC_FIELDS["levels"]}
        return {label: value for label, value in self.fields.items() if label not in skip and value}


def _value(person: Any, live: list[Any], key: str) -> str:
    if key == "gender":
        return GENDER_LABELS.get(person.gender, "")
    if key == "birth_date":
        return f"{person.birth_date:%Y年%m月}" if person.birth_date else ""
    if key == "levels":
        return "、".join(_level_labels(live))
    if key == "constituency":
        return "、".join(dict.fromkeys(m.constituency for m in live if m.constituency))
    value: Any = getattr(person, key, None)
    return str(value) if value else ""


def _level_labels(live: list[Any]) -> list[str]:
    levels = {m.level for m in live}
    return [LEVEL_LABELS[level] for level in LEVELS if level in levels]


def public_view(person: Any, live: list[Any]) -> PublicDeputy:
    """Exactly what the office chose to publish of this person (the name always). `person` is a
    `Person` or a register row, `live` its live mandates (or their register rows)."""
    chosen = set(person.public_fields or []) | {"name"}
    # The photo is served by its own route (and is a deferred column: never loaded here).
    fields = {label: _value(person, live, key) for key, label in PUBLIC_FIELDS.items() if key in chosen - {"photo"}}
    levels = _level_labels(live) if "levels" in chosen else []
    has_photo = "photo" in chosen and person.photo_type is not None
    return PublicDeputy(str(person.id), person.name, levels, fields, has_photo)


async def public_deputies(session: AsyncSession, q: str | None, page: int) -> tuple[list[PublicDeputy], int]:
    found = await deputies.search(session, RegisterFilter(q=q or None, status="live"), page, PAGE_SIZE)
    items = []
    for entry in found.items:
        live = [m for m in entry.mandates if m.status != MandateStatus.ENDED]
        items.append(public_view(entry.person, live))
    return items, found.total


async def live_deputy(session: AsyncSession, person_id: uuid.UUID) -> tuple[Person, list[Mandate]]:
    """A person of this office's register holding a live mandate here; anyone else is not found."""
    person = await session.get(Person, person_id)
    live = (await repo.live_mandates(session, [person_id])).get(person_id, []) if person else []
    if person is None or not live:
        raise NotFound("没有找到该代表,或其已不再担任本机关登记的代表", code="deputy_not_found")
    return person, live


async def public_photo(session: AsyncSession, person_id: uuid.UUID) -> tuple[bytes, str]:
    person, _ = await live_deputy(session, person_id)
    if "photo" not in (person.public_fields or []):
        raise NotFound("照片未公开", code="photo_not_public")
    return await deputies.get_photo(session, person_id)


# --- stations as the public sees them ---------------------------------------------------------------
@dataclass(frozen=True)
class DeputyLink:
    """A deputy received at a station: the public name and the page it links to."""

    name: str
    url: str  # relative for this office's deputies, the recording office's portal for the others
    elsewhere: bool = False


@dataclass
class StationCard:
    id: uuid.UUID
    name: str
    kind_label: str
    address: str | None
    township_code: str | None
    township: str | None
    reception_label: str
    opening_rules: str | None
    next_days: list[date] = field(default_factory=list)
    deputies: list[DeputyLink] = field(default_factory=list)


async def _deputy_links(
    session: AsyncSession, office: str, station_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[DeputyLink]]:
    """Per station: its deputies with a live mandate, this office's first, then those recorded elsewhere."""
    own = await repo.station_live_deputies(session, station_ids)
    external_ids = await repo.station_external_mandates(session, station_ids)
    entries = await repo.live_directory_entries(m for ids in external_ids.values() for m in ids)
    links: dict[uuid.UUID, list[DeputyLink]] = {}
    for station_id in station_ids:
        items = [DeputyLink(p.name, f"/p/{office}/deputies/{p.id}") for p in own.get(station_id, [])]
        others = sorted(
            (entries[m] for m in external_ids.get(station_id, []) if m in entries), key=lambda e: e.name_pinyin
        )
        items += [DeputyLink(e.name, f"/p/{e.recorded_by}/deputies/{e.person_id}", True) for e in others]
        links[station_id] = items
    return links


async def station_cards(
    session: AsyncSession, tenant: TenantRef, stations: list[Station], *, people: bool = True
) -> list[StationCard]:
    """Stations with their next reception days and (with `people`) the deputies received there."""
    ids = [s.id for s in stations]
    upcoming = await receptions.next_reception_days(session, ids, local_today(), count=NEXT_DAYS)
    links = await _deputy_links(session, tenant.code, ids) if people else {}
    names = await deputies.township_names(session, {s.township_code for s in stations if s.township_code})
    return [
        StationCard(
            s.id,
            s.name,
            STATION_KINDS.get(s.kind, s.kind),
            s.address,
            s.township_code,
            names.get(s.township_code) if s.township_code else None,
            organisation.reception_label(s.reception_days or []),
            s.opening_rules,
            upcoming.get(s.id, []),
            links.get(s.id, []),
        )
        for s in stations
    ]


async def find_stations(
    session: AsyncSession, tenant: TenantRef, q: str | None, township_code: str | None, page: int
) -> Page[StationCard]:
    """The station finder: active stations matching the name or address, in a township."""
    found = await paginate(session, repo.public_stations_query(q, township_code), page, STATION_PAGE_SIZE)
    return Page(await station_cards(session, tenant, list(found.items)), found.total, found.page, found.page_size)


async def township_choices(session: AsyncSession, tenant: TenantRef) -> dict[str, str]:
    """The townships that have an active station: the finder's filter."""
    return await deputies.township_names(session, await repo.station_townships(session))


async def public_station(session: AsyncSession, tenant: TenantRef, station_id: uuid.UUID) -> StationCard:
    station = await session.get(Station, station_id)
    if station is None or not station.is_active:
        raise NotFound("没有找到该家站室,或其已停用", code="station_not_found")
    (card,) = await station_cards(session, tenant, [station])
    return card


async def rostered_names(session: AsyncSession, card: StationCard) -> list[str]:
    """Who receives the people on the station's next reception day (the roster, where there is one)."""
    if not card.next_days:
        return []
    return await receptions.rostered_on(session, card.id, card.next_days[0])


# --- one deputy's page --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PublicCommitment:
    period_label: str
    text: str


@dataclass
class DeputyPage:
    deputy: PublicDeputy
    stations: list[StationCard]
    commitments: list[PublicCommitment]
    contact: PortalSettingsOut | None


async def deputy_page(session: AsyncSession, tenant: TenantRef, person_id: uuid.UUID) -> DeputyPage:
    person, live = await live_deputy(session, person_id)
    stations = await station_cards(session, tenant, await repo.person_stations(session, person.id), people=False)
    commitments = await repo.commitments_of(session, person.id, public_only=True)
    terms = await repo.term_labels(session, [c.term_id for c in commitments if c.term_id])
    return DeputyPage(
        public_view(person, live),
        stations,
        [PublicCommitment(_period_label(c, terms), c.text) for c in commitments],
        await contact(session),
    )


# --- commitments (履职承诺), kept by staff ------------------------------------------------------------
def _period_label(commitment: DeputyCommitment, terms: dict[uuid.UUID, Term]) -> str:
    parts = []
    term = terms.get(commitment.term_id) if commitment.term_id else None
    if term is not None:
        parts.append(f"{deputies.term_label(term.number)}任期")
    if commitment.year is not None:
        parts.append(f"{commitment.year}年度")
    return " · ".join(parts)


def _clean_text(text: str) -> str:
    text = CONTROL.sub("", text.replace("\r\n", "\n")).strip()
    if not text:
        raise InvalidInput("请填写承诺内容", code="text_required")
    if len(text) > COMMITMENT_MAX:
        raise InvalidInput(f"承诺内容不能超过 {COMMITMENT_MAX} 字", code="text_too_long")
    return text


async def _person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise InvalidInput("所选代表不在本机关的代表名册中", code="unknown_person")
    return person


async def _check_period(
    session: AsyncSession, person_id: uuid.UUID, year: int | None, term_id: uuid.UUID | None
) -> None:
    if year is None and term_id is None:
        raise InvalidInput("请填写承诺的年度,或选择届次", code="period_required")
    if term_id is not None and term_id not in {t.id for t in await repo.person_terms(session, person_id)}:
        raise InvalidInput("该代表在所选届次没有代表资格", code="invalid_term")


async def commitments_out(session: AsyncSession, items: list[DeputyCommitment]) -> list[CommitmentOut]:
    terms = await repo.term_labels(session, [c.term_id for c in items if c.term_id])
    persons = await repo.persons_by_id(session, [c.person_id for c in items])
    return [
        CommitmentOut(
            c.id,
            c.person_id,
            persons[c.person_id].name if c.person_id in persons else "",
            c.year,
            c.term_id,
            _period_label(c, terms),
            c.text,
            c.is_public,
            c.position,
            c.updated_at,
        )
        for c in items
    ]


async def commitment_out(session: AsyncSession, commitment: DeputyCommitment) -> CommitmentOut:
    return (await commitments_out(session, [commitment]))[0]


async def list_commitments(
    session: AsyncSession, person_id: uuid.UUID | None, page: int, page_size: int
) -> CommitmentPage:
    found = await paginate(session, repo.commitments_query(person_id), page, page_size)
    return CommitmentPage(await commitments_out(session, list(found.items)), found.total, found.page, found.page_size)


async def commitments_of(session: AsyncSession, person_id: uuid.UUID) -> list[CommitmentOut]:
    """All of a deputy's commitments, published or not, in their order (for staff)."""
    return await commitments_out(session, await repo.commitments_of(session, person_id))


async def get_commitment(session: AsyncSession, commitment_id: uuid.UUID) -> DeputyCommitment:
    commitment = await session.get(DeputyCommitment, commitment_id)
    if commitment is None:
        raise NotFound("该承诺不存在", code="commitment_not_found")
    return commitment


async def create_commitment(session: AsyncSession, data: CommitmentIn) -> DeputyCommitment:
    person = await _person(session, data.person_id)
    text = _clean_text(data.text)
    await _check_period(session, person.id, data.year, data.term_id)
    commitment = DeputyCommitment(
        person_id=person.id,
        term_id=data.term_id,
        year=data.year,
        text=text,
        is_public=data.is_public,
        position=data.position,
    )
    session.add(commitment)
    await session.flush()
    return commitment


async def update_commitment(
    session: AsyncSession, commitment: DeputyCommitment, patch: CommitmentPatch
) -> DeputyCommitment:
    changes = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}
    if "text" in changes:
        changes["text"] = _clean_text(changes["text"])
    year = changes.get("year", commitment.year)
    term_id = changes.get("term_id", commitment.term_id)
    if "year" in changes or "term_id" in changes:
        await _check_period(session, commitment.person_id, year, term_id)
    for key, value in changes.items():
        setattr(commitment, key, value)
    await session.flush()
    return commitment


async def delete_commitment(session: AsyncSession, commitment: DeputyCommitment) -> None:
    await session.delete(commitment)
    await session.flush()


async def person_terms(session: AsyncSession, person_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The terms a commitment of this person may name: (id, "第十九届")."""
    return [(t.id, deputies.term_label(t.number)) for t in await repo.person_terms(session, person_id)]


# --- the office's public contact ------------------------------------------------------------------------
def _settings_out(row: PortalSettings | None) -> PortalSettingsOut:
    if row is None:
        return PortalSettingsOut(None, None, None, None)
    return PortalSettingsOut(row.contact_phone, row.contact_address, row.contact_hours, row.notice)


async def contact(session: AsyncSession) -> PortalSettingsOut | None:
    """The office's public contact, or nothing when it has not published one."""
    out = _settings_out(await repo.portal_settings(session))
    return out if any(msgspec.structs.astuple(out)) else None


async def get_settings(session: AsyncSession) -> PortalSettingsOut:
    return _settings_out(await repo.portal_settings(session))


async def update_settings(session: AsyncSession, data: PortalSettingsIn) -> PortalSettingsOut:
    row = await repo.portal_settings(session)
    if row is None:
        row = PortalSettings(id=1)
        session.add(row)
    for key, value in msgspec.structs.asdict(data).items():
        if value is msgspec.UNSET:
            continue
        cleaned = CONTROL.sub("", value or "").strip() or None
        setattr(row, key, cleaned)
    await session.flush()
    return _settings_out(row)


# --- staff: the deputies and stations whose codes they print ---------------------------------------------
@dataclass(frozen=True)
class CodeRow:
    person_id: uuid.UUID
    name: str
    levels_label: str
    public_fields: int
    has_photo: bool
    commitments: int


async def code_rows(session: AsyncSession, q: str | None, page: int, page_size: int) -> Page[CodeRow]:
    """Deputies with a live mandate and how much of them is public, for 代表码管理."""
    found = await deputies.search(session, RegisterFilter(q=q or None, status="live"), page, page_size)
    counts = await repo.commitment_counts(session, [e.person.id for e in found.items])
    rows = []
    for entry in found.items:
        live = [m for m in entry.mandates if m.status != MandateStatus.ENDED]
        chosen = set(entry.person.public_fields or []) | {"name"}
        rows.append(
            CodeRow(
                entry.person.id,
                entry.person.name,
                "、".join(_level_labels(live)),
                len(chosen),
                "photo" in chosen and entry.person.photo_type is not None,
                counts.get(entry.person.id, 0),
            )
        )
    return Page(rows, found.total, found.page, found.page_size)


async def staff_stations(session: AsyncSession, tenant: TenantRef) -> list[StationCard]:
    return await station_cards(session, tenant, await repo.active_stations(session))


@dataclass(frozen=True)
class SheetCard:
    """One card of a station's printable sheet: only what the deputy's public page shows."""

    name: str
    level_labels: list[str]
    url: str
    photo: tuple[bytes, str] | None = None


async def sheet_cards(session: AsyncSession, tenant: TenantRef, station: Station, public_url: str) -> list[SheetCard]:
    """The deputies received at a station with a live mandate: this office's, then those recorded elsewhere."""
    own = (await repo.station_live_deputies(session, [station.id])).get(station.id, [])
    live = await repo.live_mandates(session, [p.id for p in own])
    cards = []
    for person in own:
        view = public_view(person, live.get(person.id, []))
        photo = await deputies.get_photo(session, person.id) if view.has_photo else None
        cards.append(SheetCard(person.name, view.level_labels, deputy_url(public_url, tenant.code, person.id), photo))
    external = (await repo.station_external_mandates(session, [station.id])).get(station.id, [])
    entries = sorted((await repo.live_directory_entries(external)).values(), key=lambda e: e.name_pinyin)
    cards += [SheetCard(e.name, [], deputy_url(public_url, e.recorded_by, e.person_id)) for e in entries]
    return cards


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> Station:
    station = await session.get(Station, station_id)
    if station is None:
        raise NotFound("家站室不存在", code="station_not_found")
    return station
