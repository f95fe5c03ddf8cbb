"""履职档案 (一人一档、一年一归档): one archive per deputy per year.

A deputy of a year is a person of the office's register with a mandate held at some time of that year.
While the year is open their archive is generated from the records on each reading
(`archive_content.generate`); on 1 January the archives of the year just ended are closed: each one's
content is frozen in `duty_archives.content` with `closed_at`. A later change to that year's records
leaves a closed archive as it is: staff add a correction entry, shown with it. A deputy reads their
own archives only and cannot change them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import Page, paginate_rows
from renda.core.timezone import local_today
from renda.modules.deputies.models import Mandate, Person
from renda.modules.duty.archive_content import SECTIONS, generate
from renda.modules.duty.common import DutyCaller, require_manage, require_sees
from renda.modules.duty.models import ARCHIVE_STATUSES, Archive, ArchiveCorrection
from renda.modules.organisation.models import GroupMembership, StationAssignment

FIRST_YEAR = 2000


def check_year(year: int, today: date | None = None) -> int:
    today = today or local_today()
    if not FIRST_YEAR <= year <= today.year:
        raise InvalidInput(f"年度应在{FIRST_YEAR}年至{today.year}年之间", code="invalid_year")
    return year


def _serving(year: int) -> Any:
    """A condition on Person.id: held a mandate of this office at some time of `year`."""
    return exists().where(
        Mandate.person_id == Person.id,
        Mandate.starts_on <= date(year, 12, 31),
        or_(Mandate.ended_on.is_(None), Mandate.ended_on >= date(year, 1, 1)),
    )


@dataclass(frozen=True)
class Scope:
    """Whose archives: a deputy group's members or a station's deputies (or every deputy), by name too."""

    group_id: uuid.UUID | None = None
    station_id: uuid.UUID | None = None
    q: str | None = None


def deputies_query(year: int, scope: Scope = Scope()) -> Select[Any]:
    """The deputies of `year` (in `scope`) with their archive's state: id, name, status, closed_at."""
    query = (
        select(Person.id, Person.name, Archive.status, Archive.closed_at)
        .outerjoin(Archive, and_(Archive.person_id == Person.id, Archive.year == year))
        .where(_serving(year))
        .order_by(Person.name_pinyin, Person.id)
    )
    if scope.group_id is not None:
        query = query.where(
            exists().where(GroupMembership.person_id == Person.id, GroupMembership.group_id == scope.group_id)
        )
    if scope.station_id is not None:
        query = query.where(
            exists().where(StationAssignment.person_id == Person.id, StationAssignment.station_id == scope.station_id)
        )
    if scope.q:
        query = query.where(Person.name.contains(scope.q.strip(), autoescape=True))
    return query


@dataclass
class ArchiveRow:
    person_id: uuid.UUID
    name: str
    year: int
    status: str
    closed_at: datetime | None

    @property
    def status_label(self) -> str:
        return ARCHIVE_STATUSES[self.status]


async def list_archives(
    session: AsyncSession, caller: DutyCaller, year: int, scope: Scope, page: int, page_size: int
) -> Page[ArchiveRow]:
    """The office's deputies of a year and the state of each one's archive (for those who see all)."""
    if not caller.full:
        raise PermissionDenied("只能查看本人的履职档案", code="duty_not_own")
    check_year(year)
    found = await paginate_rows(session, deputies_query(year, scope), page, page_size)
    items = [ArchiveRow(r.id, r.name, year, r.status or "open", r.closed_at) for r in found.items]
    return Page(items, found.total, found.page, found.page_size)


async def persons_in(session: AsyncSession, year: int, scope: Scope) -> list[tuple[uuid.UUID, str]]:
    rows = (await session.execute(deputies_query(year, scope))).all()
    return [(r.id, r.name) for r in rows]


@dataclass
class YearOut:
    year: int
    status: str
    closed_at: datetime | None

    @property
    def status_label(self) -> str:
        return ARCHIVE_STATUSES[self.status]


async def years_of(session: AsyncSession, caller: DutyCaller, person_id: uuid.UUID) -> list[YearOut]:
    """The years a person has an archive for (newest first): those of their mandates up to this year."""
    require_sees(caller, person_id)
    today = local_today()
    mandates = (
        await session.execute(select(Mandate.starts_on, Mandate.ended_on).where(Mandate.person_id == person_id))
    ).all()
    years: set[int] = set()
    for starts_on, ended_on in mandates:
        last = min((ended_on or today).year, today.year)
        years.update(range(max(starts_on.year, FIRST_YEAR), last + 1))
    frozen = select(Archive.year, Archive.closed_at).where(Archive.person_id == person_id, Archive.status == "closed")
    closed = dict((await session.execute(frozen)).all())
    years.update(closed)
    return [YearOut(y, "closed" if y in closed else "open", closed.get(y)) for y in sorted(years, reverse=True)]


# --- one archive ---------------------------------------------------------------------------------
@dataclass
class CorrectionOut:
    id: uuid.UUID
    section: str
    section_label: str
    content: str
    reason: str
    created_by: str
    created_at: datetime


@dataclass
class ArchiveView:
    person_id: uuid.UUID
    year: int
    status: str
    closed_at: datetime | None
    content: dict[str, Any]
    corrections: list[CorrectionOut] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return ARCHIVE_STATUSES[self.status]

    @property
    def name(self) -> str:
        return str(self.content["person"]["name"])


async def _archive_row(session: AsyncSession, person_id: uuid.UUID, year: int) -> Archive | None:
    query = select(Archive).where(Archive.person_id == person_id, Archive.year == year)
    return (await session.execute(query)).scalar_one_or_none()


async def read_archive(
    session: AsyncSession, caller: DutyCaller, office: str, person_id: uuid.UUID, year: int
) -> ArchiveView:
    """A person's archive of a year: as frozen if closed (with its corrections), else as the records
    say now."""
    require_sees(caller, person_id)
    check_year(year)
    return await archive_of(session, office, person_id, year)


async def archive_of(session: AsyncSession, office: str, person_id: uuid.UUID, year: int) -> ArchiveView:
    """The archive without the caller's checks (the batch job and the closing read as the office)."""
    row = await _archive_row(session, person_id, year)
    if row is not None and row.status == "closed" and row.content is not None:
        return ArchiveView(person_id, year, "closed", row.closed_at, row.content, await _corrections(session, row.id))
    served = await session.scalar(select(_serving(year)).select_from(Person).where(Person.id == person_id))
    if not served:
        if await session.get(Person, person_id) is None:
            raise NotFound("代表不存在", code="person_not_found")
        raise NotFound(f"该代表{year}年度不在任,没有该年度的履职档案", code="archive_not_found")
    return ArchiveView(person_id, year, "open", None, await generate(session, office, person_id, year))


async def _corrections(session: AsyncSession, archive_id: uuid.UUID) -> list[CorrectionOut]:
    query = (
        select(ArchiveCorrection)
        .where(ArchiveCorrection.archive_id == archive_id)
        .order_by(ArchiveCorrection.created_at, ArchiveCorrection.id)
    )
    return [_correction_out(c) for c in (await session.execute(query)).scalars()]


def _correction_out(c: ArchiveCorrection) -> CorrectionOut:
    label = SECTIONS.get(c.section, c.section)
    return CorrectionOut(c.id, c.section, label, c.content, c.reason, c.created_by.split(":", 2)[-1], c.created_at)


# --- closing a year and correcting it afterwards --------------------------------------------------
async def close_year(session: AsyncSession, office: str, year: int, today: date | None = None) -> int:
    """Freeze the archive of every deputy of `year` (a year that has ended) not closed yet; returns how
    many were closed. Run twice, or by hand after the job, it closes nothing more (unless a deputy of
    that year was recorded since). Closings of one office run one at a time."""
    today = today or local_today()
    if year >= today.year:
        raise InvalidInput("只能归档已经结束的年度", code="year_not_over")
    check_year(year, today)
    schema = str(session.info.get("tenant_schema", ""))
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"duty_archives:{schema}"), year)))
    # The states only: a closed archive's content is not read again.
    states = dict((await session.execute(select(Archive.person_id, Archive.status).where(Archive.year == year))).all())
    now, closed = utcnow(), 0
    for person_id, _ in await persons_in(session, year, Scope()):
        if states.get(person_id) == "closed":
            continue
        content = await generate(session, office, person_id, year)
        row = await _archive_row(session, person_id, year) if person_id in states else None
        if row is None:
            row = Archive(person_id=person_id, year=year)
            session.add(row)
        row.status, row.content, row.closed_at = "closed", content, now
        closed += 1
    await session.flush()
    return closed


async def add_correction(
    session: AsyncSession,
    caller: DutyCaller,
    person_id: uuid.UUID,
    year: int,
    section: str,
    content: str,
    reason: str,
) -> CorrectionOut:
    """A correction entry of a closed archive (staff only): the frozen content stays as it was."""
    require_manage(caller)
    check_year(year)
    if section not in SECTIONS:
        raise InvalidInput("请选择要更正的档案部分", code="invalid_section")
    content, reason = content.strip(), reason.strip()
    if not content:
        raise InvalidInput("请填写更正内容", code="empty_correction")
    if not reason:
        raise InvalidInput("请填写更正原因", code="empty_reason")
    row = await _archive_row(session, person_id, year)
    if row is None or row.status != "closed":
        if await session.get(Person, person_id) is None:
            raise NotFound("代表不存在", code="person_not_found")
        raise Conflict("该年度档案尚未归档:记录修改后档案随之更新,无需更正", code="archive_open")
    correction = ArchiveCorrection(
        archive_id=row.id, section=section, content=content, reason=reason, created_by=caller.actor
    )
    session.add(correction)
    await session.flush()
    return _correction_out(correction)
