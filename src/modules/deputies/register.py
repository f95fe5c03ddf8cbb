"""Reading the register: search, a person's profile, the filter form's choices, and the Excel export."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput
from renda.core.pagination import Page, paginate_rows
from renda.modules.deputies import directory, repository
from renda.modules.deputies.common import office_code, term_label
from renda.modules.deputies.models import (
    END_REASONS,
    LEVEL_LABELS,
    LEVELS,
    STATUS_LABELS,
    MandateEvent,
    MandateStatus,
    Person,
)
from renda.modules.deputies.persons import get_person, masked_id_number
from renda.modules.deputies.placements import Place, placement
from renda.modules.deputies.repository import MandateRow
from renda.modules.deputies.schemas import (
    GENDER_LABELS,
    RegisterFilter,
)
from renda.modules.deputies.terms import list_congresses
from renda.modules.exports.service import ExportKind, register_export


# --- reading ---------------------------------------------------------------------------------------
@dataclass
class RegisterEntry:
    """One person of the register list: the columns it shows (`repository.REGISTER_COLUMNS`) and
    their mandates' (`repository.mandate_briefs`), as plain rows."""

    person: Row[Any]
    mandates: list[Row[Any]]
    # (level, recording office) of the person's live mandates recorded by other offices
    elsewhere: list[tuple[str, str]] = field(default_factory=list)

    @property
    def elsewhere_labels(self) -> list[str]:
        return [f"{LEVEL_LABELS[level]}({office}登记)" for level, office in self.elsewhere]

    @property
    def live_levels(self) -> list[str]:
        return live_levels(self.mandates)


def live_levels(mandates: Iterable[Any]) -> list[str]:
    """The levels of the live ones among these mandates (anything with `level` and `status`), highest first."""
    live = {m.level for m in mandates if m.status != MandateStatus.ENDED}
    return [level for level in LEVELS if level in live]


async def search(session: AsyncSession, filters: RegisterFilter, page: int, page_size: int) -> Page[RegisterEntry]:
    query = repository.register_query(filters, repository.REGISTER_COLUMNS)
    found = await paginate_rows(session, query, page, page_size)
    mandates = await repository.mandate_briefs(session, (p.id for p in found.items))
    office = office_code(session)
    keys = {p.id: p.id_number_hash or f"{office}:{p.id}" for p in found.items}
    elsewhere = await directory.live_elsewhere_by_person(office, keys.values())
    return Page(
        [RegisterEntry(p, mandates.get(p.id, []), elsewhere.get(keys[p.id], [])) for p in found.items],
        found.total,
        found.page,
        found.page_size,
    )


@dataclass
class Profile:
    person: Person
    id_number_masked: str | None
    mandates: list[MandateRow]
    events: list[MandateEvent]
    groups: list[Place] = field(default_factory=list)
    stations: list[Place] = field(default_factory=list)

    @property
    def has_history(self) -> bool:
        return bool(self.mandates)


async def profile(session: AsyncSession, person_id: uuid.UUID) -> Profile:
    person = await get_person(session, person_id)
    mandates = (await repository.mandates_of(session, [person.id])).get(person.id, [])
    return Profile(
        person,
        masked_id_number(person),
        mandates,
        await repository.events_of(session, [m.id for m, _, _ in mandates]),
        await placement("group").of_person(session, person.id),
        await placement("station").of_person(session, person.id),
    )


async def filter_choices(session: AsyncSession) -> dict[str, Any]:
    """What the register's filter form offers: terms, groups and stations of this office."""
    return {
        "terms": [(t, c) for c, terms in await list_congresses(session) for t in terms],
        "groups": await placement("group").all(session),
        "stations": await placement("station").all(session),
    }


# --- Excel export of any filtered list -------------------------------------------------------------
EXPORT_HEADERS = [
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "政治面貌",
    "职业类别",
    "学历",
    "界别/行业",
    "工作单位",
    "职务",
    "手机号码",
    "代表层级",
    "选区/选举单位",
    "代表资格",
]


def export_row(p: Person, mandates: list[MandateRow]) -> list[Any]:
    districts = {m.constituency or m.electoral_unit for m, _, _ in mandates if m.status != MandateStatus.ENDED}
    return [
        p.name,
        GENDER_LABELS.get(p.gender, p.gender),
        p.ethnicity,
        p.birth_date.isoformat() if p.birth_date else "",
        p.party or "",
        p.occupation_category or "",
        p.education or "",
        p.sector or "",
        p.workplace or "",
        p.position or "",
        p.mobile_masked or "",  # an export file travels: personal data leaves masked
        "、".join(LEVEL_LABELS[level] for level in live_levels(m for m, _, _ in mandates)),
        "、".join(sorted(d for d in districts if d)),
        ";".join(
            f"{c.name}{term_label(t.number)} {STATUS_LABELS[m.status]}"
            + (f"({m.ended_on} {END_REASONS.get(m.end_reason or '', '')})" if m.ended_on else "")
            for m, t, c in mandates
        ),
    ]


def parse_filter(params: dict[str, Any]) -> RegisterFilter:
    try:
        filters = msgspec.convert(params, RegisterFilter, strict=False)
    except msgspec.ValidationError as error:
        raise InvalidInput(f"筛选条件无效:{error}", code="invalid_filter") from None
    repository.register_query(filters)  # raises on an invalid level, status or sort
    return filters


async def export_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    query = repository.register_query(parse_filter(params))
    batch_size = 500
    offset = 0
    while True:
        persons = list((await session.execute(query.limit(batch_size).offset(offset))).scalars())
        mandates = await repository.mandates_of(session, (p.id for p in persons))
        for person in persons:
            yield export_row(person, mandates.get(person.id, []))
        if len(persons) < batch_size:
            return
        offset += batch_size


register_export(ExportKind("deputies_register", "代表名册", EXPORT_HEADERS, export_rows, "deputies.read"))
