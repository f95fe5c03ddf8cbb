"""The rules of the people's opinions: the closed loop 受理→分析→交办→督办→反馈→评价.

Every change of an opinion writes an `OpinionStep` (who, when, what) in the same transaction, so the
timeline is exactly what happened. Other modules call `intake` (a reception or a contact raised an
issue) and read `CATEGORIES`.

Who sees what (`Viewer`): staff, committee members, viewers and office API tokens see every opinion
of the office; a handling unit's users see the opinions assigned to their unit; a deputy sees the
opinions addressed to them. Only staff (and the office administrator) take the loop's decisions;
a unit answers its own.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, and_, delete, false, func, insert, or_, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.crypto import decrypt, encrypt, lookup_hash, mask_phone, normalize_phone
from renda.core.db import get_database, utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TooManyRequests
from renda.core.pagination import Page, paginate
from renda.core.permissions import Role
from renda.core.timezone import LOCAL_TZ, local_today, to_local
from renda.modules.accounts import service as accounts
from renda.modules.deputies import service as deputies
from renda.modules.deputies.models import Person
from renda.modules.members import service as members
from renda.modules.notifications import service as notifications
from renda.modules.opinions.models import (
    FINAL_STATUSES,
    RATING_SCORES,
    RATINGS,
    SOURCES,
    STATUSES,
    STEP_KINDS,
    HandlingUnit,
    HandlingUnitUser,
    Opinion,
    OpinionSms,
    OpinionStep,
    PortalRateHit,
)
from renda.modules.opinions.schemas import (
    OpinionDetail,
    OpinionOut,
    SimilarOut,
    StepOut,
    UnitIn,
    UnitOut,
    UnitPatch,
    UnitUserOut,
)
from renda.modules.organisation import service as organisation
from renda.modules.organisation.models import Station
from renda.modules.suggestions import service as suggestions
from renda.tenants.scoping import TenantAccess, TenantRef
from renda.workers.outbox import enqueue

CATEGORIES: dict[str, str] = {
    "urban_construction": "城乡建设",
    "education": "教育",
    "health": "医疗卫生",
    "social_security": "社会保障",
    "transport": "交通出行",
    "environment": "生态环境",
    "agriculture": "农业农村",
    "governance": "社会治理",
    "employment": "就业创业",
    "economy": "经济发展",
    "culture": "文化体育",
    "other": "其他",
}
MAX_CONTENT = 1000
MAX_NAME = 50
MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Markup: an HTML/XML tag or comment opening, an entity, or a script URL. The people's own text has
# no use for them, and refusing them keeps every page and export that shows the text plain.
MARKUP = re.compile(r"<\s*[A-Za-z!/?]|&#?[A-Za-z0-9]+;|javascript\s*:|\[/?(url|img|link)\b", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Tickets: 12 characters of a 29-letter alphabet without look-alikes (0/O, 1/I/L, U/V), about 58 bits:
# short enough to read out over the phone, far too many to guess one of somebody else's.
TICKET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
TICKET_LENGTH = 12


def _actor(session: AsyncSession) -> str:
    return str(session.info.get("actor", "system"))


# --- tickets -------------------------------------------------------------------------------------
def new_ticket() -> str:
    return "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))


def format_ticket(ticket: str) -> str:
    """`K7QF3MZP9XDA` → `K7QF-3MZP-9XDA`, as printed and read out."""
    return "-".join(ticket[i : i + 4] for i in range(0, len(ticket), 4))


def parse_ticket(value: str) -> str | None:
    """What a person typed (any case, dashes or spaces) → the stored form, or None if it cannot be one."""
    cleaned = re.sub(r"[\s\-—_]", "", value or "").upper()
    if len(cleaned) != TICKET_LENGTH or any(ch not in TICKET_ALPHABET for ch in cleaned):
        return None
    return cleaned


# --- validation ----------------------------------------------------------------------------------
def check_plain(value: str, what: str) -> None:
    if MARKUP.search(value):
        raise InvalidInput(f"{what}中不能包含网页代码或标记(如 <、>、&#…;),请只填写文字", code="markup_not_allowed")


def clean_content(value: str | None) -> str:
    text = CONTROL.sub("", (value or "").replace("\r\n", "\n")).strip()
    if not text:
        raise InvalidInput("请填写意见内容", code="content_required")
    if len(text) > MAX_CONTENT:
        raise InvalidInput(
            f"意见内容不能超过 {MAX_CONTENT} 个字(现为 {len(text)} 个字),请精简后再提交", code="content_too_long"
        )
    check_plain(text, "意见内容")
    return text


def clean_name(value: str | None) -> str | None:
    name = " ".join(CONTROL.sub("", value or "").split())
    if not name:
        return None
    if len(name) > MAX_NAME:
        raise InvalidInput(f"姓名不能超过 {MAX_NAME} 个字", code="name_too_long")
    check_plain(name, "姓名")
    return name


def clean_phone(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    phone = normalize_phone(value)
    if not MOBILE.match(phone):
        raise InvalidInput("手机号码应为 11 位中国大陆手机号", code="invalid_mobile")
    return phone


def phone_key(phone: str) -> str:
    return lookup_hash("mobile:" + normalize_phone(phone))


def check_category(category: str | None) -> str | None:
    if category in (None, ""):
        return None
    if category not in CATEGORIES:
        raise InvalidInput("意见类别无效", code="invalid_category", details={"allowed": list(CATEGORIES)})
    return category


async def _check_deputy(session: AsyncSession, person_id: uuid.UUID | None) -> None:
    if person_id is None:
        return
    try:
        await deputies.get_person(session, person_id)
    except NotFound:
        raise InvalidInput("所选代表不在本机关的代表名册中", code="unknown_deputy") from None


async def _check_station(session: AsyncSession, station_id: uuid.UUID | None) -> None:
    if station_id is None:
        return
    try:
        await organisation.get_station(session, station_id)
    except NotFound:
        raise InvalidInput("所选家站室不是本机关的家站室", code="unknown_station") from None


# --- steps ---------------------------------------------------------------------------------------
def add_step(
    session: AsyncSession,
    opinion: Opinion,
    kind: str,
    *,
    note: str | None = None,
    public_note: str | None = None,
    actor: str | None = None,
) -> OpinionStep:
    """Record one step of the loop; the caller's transaction decides whether it happened."""
    assert kind in STEP_KINDS
    # Steps of one transaction get strictly increasing times, so the timeline keeps their order.
    now = utcnow()
    last = session.info.get("opinion_step_clock")
    if last is not None and now <= last:
        now = last + timedelta(microseconds=1)
    session.info["opinion_step_clock"] = now
    step = OpinionStep(
        opinion_id=opinion.id,
        kind=kind,
        actor=actor or _actor(session),
        note=note,
        public_note=public_note,
        created_at=now,
    )
    session.add(step)
    return step


# --- intake (受理) --------------------------------------------------------------------------------
async def intake(
    session: AsyncSession,
    tenant: TenantRef,
    *,
    source: str,
    content: str,
    category: str | None = None,
    submitter_name: str | None = None,
    submitter_phone: str | None = None,
    deputy_person_id: uuid.UUID | None = None,
    station_id: uuid.UUID | None = None,
    source_id: uuid.UUID | None = None,
) -> Opinion:
    """Take in one opinion (from a reception, a contact, the portal or staff) in the caller's
    transaction; it gets its ticket and its first step."""
    if source not in SOURCES:
        raise InvalidInput("意见来源无效", code="invalid_source", details={"allowed": list(SOURCES)})
    text = clean_content(content)
    name = clean_name(submitter_name)
    phone = clean_phone(submitter_phone)
    category = check_category(category)
    await _check_deputy(session, deputy_person_id)
    await _check_station(session, station_id)
    opinion = Opinion(
        id=uuid.uuid4(),
        source=source,
        source_id=source_id,
        content=text,
        category=category,
        submitter_name=name,
        submitter_phone_encrypted=encrypt(phone) if phone else None,
        submitter_phone_hash=phone_key(phone) if phone else None,
        submitter_phone_masked=mask_phone(phone) if phone else None,
        deputy_person_id=deputy_person_id,
        station_id=station_id,
        status="received",
    )
    await _insert_with_ticket(session, opinion)
    add_step(
        session,
        opinion,
        "intake",
        note=f"来源:{SOURCES[source]}" + (f";类别:{CATEGORIES[category]}" if category else ""),
        public_note=f"已受理({SOURCES[source]})",
    )
    await session.flush()
    return opinion


async def _insert_with_ticket(session: AsyncSession, opinion: Opinion) -> None:
    """Insert with a fresh ticket; a taken one (about one in 10^17 per pair) draws another. Two
    concurrent draws of the same ticket would still meet the unique constraint."""
    for _ in range(5):
        ticket = new_ticket()
        if await session.scalar(select(Opinion.id).where(Opinion.ticket == ticket)) is None:
            opinion.ticket = ticket
            session.add(opinion)
            await session.flush()
            return
    raise RuntimeError("could not draw a free ticket")  # pragma: no cover - five collisions in a row


def opinions_for_source(source: str, source_id: uuid.UUID) -> Select[tuple[Opinion]]:
    """The opinions a reception or contact record raised (for that module's detail page)."""
    return select(Opinion).where(Opinion.source == source, Opinion.source_id == source_id).order_by(Opinion.created_at)


async def opinions_from(session: AsyncSession, source: str, source_id: uuid.UUID) -> list[Opinion]:
    return list((await session.execute(opinions_for_source(source, source_id))).scalars())


# --- who is looking ------------------------------------------------------------------------------
FULL_ROLES = frozenset({Role.OFFICE_ADMIN, Role.STAFF, Role.COMMITTEE_MEMBER, Role.VIEWER})
MANAGE_ROLES = frozenset({Role.OFFICE_ADMIN, Role.STAFF})
WORKER_ACTOR = "system:worker:群众意见"
PUBLIC_ACTOR = "public:群众"


@dataclass(frozen=True)
class Viewer:
    """What one caller may see and do with the office's opinions."""

    user_id: uuid.UUID | None
    full: bool  # sees every opinion of the office
    manage: bool  # staff decisions: entry, analysis, duplicates, assignment, escalation, closing, units
    unit_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    deputy_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    def sees(self, opinion: Opinion) -> bool:
        return self.full or opinion.unit_id in self.unit_ids or opinion.deputy_person_id in self.deputy_ids

    def may_answer(self, opinion: Opinion) -> bool:
        return self.manage or (opinion.unit_id is not None and opinion.unit_id in self.unit_ids)


SYSTEM_VIEWER = Viewer(None, full=True, manage=True)


async def viewer_for(session: AsyncSession, access: TenantAccess) -> Viewer:
    token = access.scopes is not None
    roles = access.roles
    user_id = access.principal.user_id
    unit_ids: frozenset[uuid.UUID] = frozenset()
    deputy_ids: frozenset[uuid.UUID] = frozenset()
    if Role.HANDLING_UNIT in roles:
        found = await session.execute(select(HandlingUnitUser.unit_id).where(HandlingUnitUser.user_id == user_id))
        unit_ids = frozenset(found.scalars())
    if Role.DEPUTY in roles:
        deputy_ids = frozenset((await session.execute(select(Person.id).where(Person.user_id == user_id))).scalars())
    return Viewer(
        user_id,
        full=token or bool(roles & FULL_ROLES),
        manage=access.can("opinions.write") and (token or bool(roles & MANAGE_ROLES)),
        unit_ids=unit_ids,
        deputy_ids=deputy_ids,
    )


def _visible(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.full:
        return true()
    reach = []
    if viewer.unit_ids:
        reach.append(Opinion.unit_id.in_(viewer.unit_ids))
    if viewer.deputy_ids:
        reach.append(Opinion.deputy_person_id.in_(viewer.deputy_ids))
    return or_(*reach) if reach else false()


def _require_manage(viewer: Viewer) -> None:
    if not viewer.manage:
        raise PermissionDenied("只有代表工作人员可以进行此项办理", code="opinions_staff_only")


OPINION_NOT_FOUND = "群众意见不存在"


async def get_opinion(
    session: AsyncSession, viewer: Viewer, opinion_id: uuid.UUID, *, for_update: bool = False
) -> Opinion:
    query = select(Opinion).where(Opinion.id == opinion_id, _visible(viewer))
    if for_update:
        query = query.with_for_update()
    opinion = (await session.execute(query)).scalar_one_or_none()
    if opinion is None:
        raise NotFound(OPINION_NOT_FOUND, code="opinion_not_found")
    return opinion


def _check_open(opinion: Opinion) -> None:
    if opinion.status in FINAL_STATUSES:
        raise Conflict(f"该意见已{STATUSES[opinion.status]},不能再办理", code="opinion_closed")


# --- overdue --------------------------------------------------------------------------------------
def is_overdue(opinion: Opinion, today: date) -> bool:
    """Assigned, not answered, and its deadline (a local date) has passed."""
    return opinion.status == "assigned" and opinion.deadline is not None and opinion.deadline < today


def overdue_clause(today: date) -> ColumnElement[bool]:
    return and_(Opinion.status == "assigned", Opinion.deadline < today)


# --- lists and details ---------------------------------------------------------------------------
@dataclass(frozen=True)
class OpinionFilter:
    status: str | None = None  # a status, "open" (not ended) or "final"
    category: str | None = None
    source: str | None = None
    overdue: bool = False
    q: str | None = None
    unit_id: uuid.UUID | None = None
    deputy_person_id: uuid.UUID | None = None
    station_id: uuid.UUID | None = None


STATUS_FILTERS = {"open": "办理中", **STATUSES, "final": "已结束"}


def parse_filter(params: dict[str, Any]) -> OpinionFilter:
    """Query parameters (a page's or an export's) → a filter; unknown values are refused."""

    def ident(key: str) -> uuid.UUID | None:
        value = params.get(key)
        if not value:
            return None
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise InvalidInput("筛选条件无效", code="invalid_filter") from None

    status, category, source = (
        params.get("status") or None,
        params.get("category") or None,
        params.get("source") or None,
    )
    if status is not None and status not in STATUS_FILTERS:
        raise InvalidInput("状态筛选无效", code="invalid_filter")
    if category is not None and category not in CATEGORIES:
        raise InvalidInput("类别筛选无效", code="invalid_filter")
    if source is not None and source not in SOURCES:
        raise InvalidInput("来源筛选无效", code="invalid_filter")
    overdue = str(params.get("overdue") or "").lower() in ("1", "true", "yes", "on")
    q = str(params.get("q") or "").strip()[:100] or None
    return OpinionFilter(
        status, category, source, overdue, q, ident("unit_id"), ident("deputy_person_id"), ident("station_id")
    )


def _search(q: str) -> ColumnElement[bool]:
    like = f"%{q}%"
    found: list[ColumnElement[bool]] = [Opinion.content.ilike(like), Opinion.submitter_name.ilike(like)]
    if (ticket := parse_ticket(q)) is not None:
        found.append(Opinion.ticket == ticket)
    phone = normalize_phone(q)
    if MOBILE.match(phone):
        found.append(Opinion.submitter_phone_hash == phone_key(phone))
    return or_(*found)


def list_query(viewer: Viewer, filters: OpinionFilter, today: date) -> Select[tuple[Opinion]]:
    query = select(Opinion).where(_visible(viewer))
    if filters.status == "open":
        query = query.where(Opinion.status.not_in(FINAL_STATUSES))
    elif filters.status == "final":
        query = query.where(Opinion.status.in_(FINAL_STATUSES))
    elif filters.status:
        query = query.where(Opinion.status == filters.status)
    if filters.category:
        query = query.where(Opinion.category == filters.category)
    if filters.source:
        query = query.where(Opinion.source == filters.source)
    if filters.overdue:
        query = query.where(overdue_clause(today))
    if filters.unit_id:
        query = query.where(Opinion.unit_id == filters.unit_id)
    if filters.deputy_person_id:
        query = query.where(Opinion.deputy_person_id == filters.deputy_person_id)
    if filters.station_id:
        query = query.where(Opinion.station_id == filters.station_id)
    if filters.q:
        query = query.where(_search(filters.q))
    return query.order_by(Opinion.created_at.desc(), Opinion.id)


@dataclass
class Names:
    persons: dict[uuid.UUID, str]
    stations: dict[uuid.UUID, str]
    units: dict[uuid.UUID, str]


async def _names(session: AsyncSession, opinions: Sequence[Opinion]) -> Names:
    person_ids = {o.deputy_person_id for o in opinions if o.deputy_person_id}
    station_ids = {o.station_id for o in opinions if o.station_id}
    unit_ids = {o.unit_id for o in opinions if o.unit_id}
    persons = stations = units = {}
    if person_ids:
        persons = dict((await session.execute(select(Person.id, Person.name).where(Person.id.in_(person_ids)))).all())
    if station_ids:
        query = select(Station.id, Station.name).where(Station.id.in_(station_ids))
        stations = dict((await session.execute(query)).all())
    if unit_ids:
        query = select(HandlingUnit.id, HandlingUnit.name).where(HandlingUnit.id.in_(unit_ids))
        units = dict((await session.execute(query)).all())
    return Names(persons, stations, units)  # type: ignore[arg-type]


def _out(o: Opinion, names: Names, today: date) -> OpinionOut:
    return OpinionOut(
        id=o.id,
        ticket=format_ticket(o.ticket),
        source=o.source,
        source_label=SOURCES[o.source],
        content=o.content,
        category=o.category,
        category_label=CATEGORIES.get(o.category) if o.category else None,
        status=o.status,
        status_label=STATUSES[o.status],
        submitter_name=o.submitter_name,
        submitter_phone_masked=o.submitter_phone_masked,
        deputy_person_id=o.deputy_person_id,
        deputy_name=names.persons.get(o.deputy_person_id) if o.deputy_person_id else None,
        station_id=o.station_id,
        station_name=names.stations.get(o.station_id) if o.station_id else None,
        unit_id=o.unit_id,
        unit_name=names.units.get(o.unit_id) if o.unit_id else None,
        deadline=o.deadline,
        overdue=is_overdue(o, today),
        answer=o.answer,
        rating=o.rating,
        rating_label=RATINGS.get(o.rating) if o.rating else None,
        duplicate_of_id=o.duplicate_of_id,
        suggestion_draft_id=o.suggestion_draft_id,
        created_at=o.created_at,
        assigned_at=o.assigned_at,
        answered_at=o.answered_at,
        rated_at=o.rated_at,
        closed_at=o.closed_at,
    )


async def outs(session: AsyncSession, opinions: Sequence[Opinion], today: date | None = None) -> list[OpinionOut]:
    names = await _names(session, opinions)
    today = today or local_today()
    return [_out(o, names, today) for o in opinions]


async def list_opinions(
    session: AsyncSession,
    viewer: Viewer,
    filters: OpinionFilter,
    page: int = 1,
    page_size: int = 20,
    today: date | None = None,
) -> Page[OpinionOut]:
    today = today or local_today()
    found = await paginate(session, list_query(viewer, filters, today), page, page_size)
    return Page(await outs(session, found.items, today), found.total, found.page, found.page_size)


def step_out(step: OpinionStep) -> StepOut:
    return StepOut(step.kind, STEP_KINDS[step.kind], step.actor, step.note, step.created_at)


async def steps_of(session: AsyncSession, opinion_id: uuid.UUID) -> list[OpinionStep]:
    query = select(OpinionStep).where(OpinionStep.opinion_id == opinion_id)
    return list((await session.execute(query.order_by(OpinionStep.created_at, OpinionStep.id))).scalars())


async def opinion_detail(
    session: AsyncSession, viewer: Viewer, opinion_id: uuid.UUID, today: date | None = None
) -> OpinionDetail:
    today = today or local_today()
    opinion = await get_opinion(session, viewer, opinion_id)
    children = (await session.execute(select(Opinion).where(Opinion.duplicate_of_id == opinion.id))).scalars()
    similar = []
    if viewer.manage and opinion.status not in FINAL_STATUSES:
        similar = [
            SimilarOut(o.id, format_ticket(o.ticket), o.content, STATUSES[o.status], round(score, 2), o.created_at)
            for o, score in await similar_opinions(session, opinion)
        ]
    [main, *duplicates] = await outs(session, [opinion, *children], today)
    return OpinionDetail(
        opinion=main,
        steps=[step_out(s) for s in await steps_of(session, opinion.id)],
        duplicates=duplicates,
        similar=similar,
        can_manage=viewer.manage,
        can_answer=viewer.may_answer(opinion) and opinion.status == "assigned",
    )


# --- analysis: category and duplicates (分析) ------------------------------------------------------
SIMILAR_WINDOW = timedelta(days=90)
SIMILAR_SCAN = 1000  # most recent opinions compared, at most
SIMILAR_THRESHOLD = 0.3
SIMILAR_SHOWN = 5


def _pairs(value: str) -> set[str]:
    """Adjacent character pairs of the letters and digits: Chinese has no spaces between words, and
    two texts about the same thing share most of their two-character words (道路, 积水, 修补)."""
    chars = [ch.lower() for ch in value if ch.isalnum()]
    return {a + b for a, b in pairwise(chars)}


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the character pairs: 1 for the same text, 0 for nothing in common."""
    first, second = _pairs(a), _pairs(b)
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))


async def similar_opinions(
    session: AsyncSession, opinion: Opinion, *, limit: int = SIMILAR_SHOWN
) -> list[tuple[Opinion, float]]:
    """Likely duplicates: opinions of the 90 days around this one whose text is alike. Compared in
    Python over at most the 1000 nearest, so it works on every PostgreSQL (no pg_trgm needed, whose
    trigrams of Chinese depend on the database's locale)."""
    query = (
        select(Opinion)
        .where(
            Opinion.id != opinion.id,
            Opinion.status != "duplicate",
            Opinion.created_at.between(opinion.created_at - SIMILAR_WINDOW, opinion.created_at + SIMILAR_WINDOW),
        )
        .order_by(Opinion.created_at.desc())
        .limit(SIMILAR_SCAN)
    )
    scored = [(other, similarity(opinion.content, other.content)) for other in (await session.execute(query)).scalars()]
    found = sorted((pair for pair in scored if pair[1] >= SIMILAR_THRESHOLD), key=lambda pair: -pair[1])
    return found[:limit]


async def analyse(
    session: AsyncSession, viewer: Viewer, opinion: Opinion, *, category: str, note: str | None = None
) -> Opinion:
    _require_manage(viewer)
    _check_open(opinion)
    checked = check_category(category)
    if checked is None:
        raise InvalidInput("请选择意见类别", code="category_required")
    note = _note(note)
    previous = opinion.category
    opinion.category = checked
    changed = f"由“{CATEGORIES[previous]}”改为" if previous and previous != checked else ""
    add_step(
        session,
        opinion,
        "analysis",
        note=f"类别{changed}“{CATEGORIES[checked]}”" + (f";{note}" if note else ""),
        public_note=f"已分析归类:{CATEGORIES[checked]}",
    )
    await session.flush()
    return opinion


def _note(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > 500:
        raise InvalidInput("办理说明不能超过 500 个字", code="note_too_long")
    return text or None


async def mark_duplicate(
    session: AsyncSession, viewer: Viewer, opinion: Opinion, *, duplicate_of_id: uuid.UUID, note: str | None = None
) -> Opinion:
    """Close `opinion` as a duplicate of another, linked to it (to the first of a chain of duplicates):
    the other one's handling answers both."""
    _require_manage(viewer)
    _check_open(opinion)
    note = _note(note)
    if duplicate_of_id == opinion.id:
        raise InvalidInput("不能将意见标记为与其自身重复", code="duplicate_of_itself")
    try:
        target = await get_opinion(session, viewer, duplicate_of_id)
    except NotFound:
        raise InvalidInput("所选的重复意见不存在", code="unknown_duplicate") from None
    while target.status == "duplicate" and target.duplicate_of_id is not None:
        target = await get_opinion(session, viewer, target.duplicate_of_id)
    if target.id == opinion.id:
        raise InvalidInput("不能将意见标记为与其自身重复", code="duplicate_of_itself")
    now = utcnow()
    opinion.status, opinion.duplicate_of_id, opinion.closed_at = "duplicate", target.id, now
    # Duplicates of this one now belong to the one that is handled.
    await session.execute(
        update(Opinion).where(Opinion.duplicate_of_id == opinion.id).values(duplicate_of_id=target.id)
    )
    add_step(
        session,
        opinion,
        "duplicate",
        note=f"与意见 {format_ticket(target.ticket)} 反映的问题相同,合并办理" + (f";{note}" if note else ""),
        public_note="与其他群众反映的同一问题合并办理,办理情况见下方",
    )
    add_step(session, target, "duplicate", note=f"合并了重复意见 {format_ticket(opinion.ticket)}")
    await session.flush()
    return opinion


# --- assignment and escalation (交办) --------------------------------------------------------------
DEFAULT_DEADLINE_DAYS = 15
MAX_DEADLINE_DAYS = 365


def _link(tenant: TenantRef, opinion: Opinion) -> str:
    return f"/t/{tenant.code}/opinions/{opinion.id}"


async def unit_user_ids(session: AsyncSession, unit_id: uuid.UUID) -> list[uuid.UUID]:
    query = select(HandlingUnitUser.user_id).where(HandlingUnitUser.unit_id == unit_id)
    return list((await session.execute(query)).scalars())


def excerpt(value: str, length: int = 30) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


async def assign(
    session: AsyncSession,
    viewer: Viewer,
    tenant: TenantRef,
    opinion: Opinion,
    *,
    unit_id: uuid.UUID,
    deadline: date | None = None,
    note: str | None = None,
    today: date | None = None,
) -> Opinion:
    """交办: hand the opinion to a handling unit with a deadline (again, to change either)."""
    _require_manage(viewer)
    _check_open(opinion)
    if opinion.status not in ("received", "assigned"):
        raise Conflict("承办单位已答复的意见不能再交办", code="cannot_assign")
    today = today or local_today()
    note = _note(note)
    try:
        unit = await get_unit(session, unit_id)
    except NotFound:
        raise InvalidInput("所选承办单位不存在", code="unknown_unit") from None
    if not unit.is_active:
        raise InvalidInput(f"承办单位“{unit.name}”已停用", code="unit_inactive")
    deadline = deadline or today + timedelta(days=DEFAULT_DEADLINE_DAYS)
    if deadline < today:
        raise InvalidInput("办理期限不能早于今天", code="invalid_deadline")
    if deadline > today + timedelta(days=MAX_DEADLINE_DAYS):
        raise InvalidInput("办理期限不能超过一年", code="invalid_deadline")
    again = opinion.status == "assigned"
    now = utcnow()
    opinion.unit_id, opinion.deadline, opinion.assigned_at, opinion.status = unit.id, deadline, now, "assigned"
    add_step(
        session,
        opinion,
        "assignment",
        note=f"{'改为交办' if again else '交办'}{unit.name},办理期限 {deadline:%Y-%m-%d}"
        + (f";{note}" if note else ""),
        public_note=f"已交办{unit.name}办理,办理期限{deadline:%Y年%m月%d日}",
    )
    await notifications.notify(
        session,
        kind="opinion_assigned",
        event_key=f"opinion-assigned:{opinion.id}:{now.isoformat()}",
        recipients=await unit_user_ids(session, unit.id),
        variables={
            "unit": unit.name,
            "ticket": format_ticket(opinion.ticket),
            "summary": excerpt(opinion.content),
            "deadline": f"{deadline:%Y年%m月%d日}",
        },
        link=_link(tenant, opinion),
    )
    await session.flush()
    return opinion


def default_title(opinion: Opinion) -> str:
    first = re.split(r"[。!?!?\n]", opinion.content, maxsplit=1)[0]
    return f"关于{excerpt(first, 40)}的建议"


async def escalate(
    session: AsyncSession,
    viewer: Viewer,
    tenant: TenantRef,
    opinion: Opinion,
    *,
    title: str | None = None,
    note: str | None = None,
) -> Opinion:
    """转为代表建议: a suggestion draft for the deputy the opinion was addressed to; the opinion ends
    here and the suggestion loop takes over."""
    _require_manage(viewer)
    _check_open(opinion)
    if opinion.status not in ("received", "assigned"):
        raise Conflict("承办单位已答复的意见不能再转为建议", code="cannot_escalate")
    note = _note(note)
    provenance = f"\n\n(来源:群众意见 {format_ticket(opinion.ticket)},{to_local(opinion.created_at):%Y年%m月%d日}受理)"
    draft = await suggestions.create_draft(
        session,
        tenant,
        deputy_person_id=opinion.deputy_person_id,
        title=(title or "").strip() or default_title(opinion),
        content=opinion.content + provenance,
        source="opinion",
        source_id=opinion.id,
    )
    opinion.status, opinion.suggestion_draft_id, opinion.closed_at = "escalated", draft.id, utcnow()
    add_step(
        session,
        opinion,
        "escalation",
        note=f"转为代表建议草稿《{draft.title}》" + (f";{note}" if note else ""),
        public_note="已转为人大代表建议,按代表建议办理程序交有关部门办理",
    )
    deputy_user = await _deputy_user(session, opinion)
    if deputy_user is not None:
        await notifications.notify(
            session,
            kind="opinion_escalated",
            event_key=f"opinion-escalated:{opinion.id}",
            recipients=[deputy_user],
            variables={"ticket": format_ticket(opinion.ticket), "title": draft.title},
            link=f"/t/{tenant.code}/suggestions/{draft.id}",
        )
    await session.flush()
    return opinion


async def _deputy_user(session: AsyncSession, opinion: Opinion) -> uuid.UUID | None:
    if opinion.deputy_person_id is None:
        return None
    return await session.scalar(select(Person.user_id).where(Person.id == opinion.deputy_person_id))


# --- the unit's answer and the feedback to the person (答复、反馈) -----------------------------------
MAX_ANSWER = 2000
RATING_TOKEN_BYTES = 16  # 22 characters in the link, 128 bits


def token_hash(token: str) -> str:
    """Rating links carry 128 random bits, so a plain SHA-256 suffices (and survives a key rotation)."""
    return hashlib.sha256(token.encode()).hexdigest()


def rating_path(tenant: TenantRef, token: str) -> str:
    return f"/p/{tenant.code}/opinions/rate/{token}"


async def answer(session: AsyncSession, viewer: Viewer, tenant: TenantRef, opinion: Opinion, *, text: str) -> Opinion:
    """承办单位答复, then the feedback: the deputy in the inbox, the person by SMS with a rating link
    (sent by a worker after commit, exactly once)."""
    if not viewer.may_answer(opinion):
        raise PermissionDenied("只有承办该意见的单位或代表工作人员可以答复", code="not_assigned_to_you")
    if opinion.status != "assigned":
        raise Conflict("只有已交办、尚未答复的意见可以答复", code="cannot_answer")
    reply = CONTROL.sub("", (text or "").replace("\r\n", "\n")).strip()
    if not reply:
        raise InvalidInput("请填写答复内容", code="answer_required")
    if len(reply) > MAX_ANSWER:
        raise InvalidInput(f"答复内容不能超过 {MAX_ANSWER} 个字", code="answer_too_long")
    opinion.answer, opinion.answered_at, opinion.status = reply, utcnow(), "answered"
    unit_name = (await get_unit(session, opinion.unit_id)).name if opinion.unit_id else "承办单位"
    deputy_user = await _deputy_user(session, opinion)
    add_step(
        session,
        opinion,
        "answer",
        note=f"{unit_name}答复" + (";已通知代表" if deputy_user else ""),
        public_note=f"{unit_name}已答复",
    )
    if deputy_user is not None:
        await notifications.notify(
            session,
            kind="opinion_answered",
            event_key=f"opinion-answered:{opinion.id}",
            recipients=[deputy_user],
            variables={"ticket": format_ticket(opinion.ticket), "unit": unit_name, "summary": excerpt(opinion.content)},
            link=_link(tenant, opinion),
        )
    await _feedback_to_person(session, tenant, opinion, unit_name)
    await session.flush()
    return opinion


async def _feedback_to_person(session: AsyncSession, tenant: TenantRef, opinion: Opinion, unit_name: str) -> None:
    if opinion.submitter_phone_encrypted is None:
        add_step(
            session,
            opinion,
            "feedback",
            note="反映人未留手机号码,未发短信;可电话或当面回访后由工作人员记录评价",
            public_note="办理结果已反馈,可凭编号查看答复",
        )
        return
    if await session.scalar(select(OpinionSms.id).where(OpinionSms.opinion_id == opinion.id)) is not None:
        return  # already told (the loop never answers twice, but a message must never go twice)
    from renda.modules.notifications.channels import channel_setup
    from renda.modules.opinions.tasks import send_opinion_sms

    token = secrets.token_urlsafe(RATING_TOKEN_BYTES)
    opinion.rating_token_hash = token_hash(token)
    url = channel_setup().public_url + rating_path(tenant, token)
    body = (
        f"您反映的问题(编号{format_ticket(opinion.ticket)})已由{excerpt(unit_name, 20)}答复。"
        f"请查看答复并评价办理结果:{url}"
    )
    sms = OpinionSms(
        id=uuid.uuid4(),
        opinion_id=opinion.id,
        purpose="feedback",
        text_encrypted=encrypt(body),
        address_masked=opinion.submitter_phone_masked,
        status="pending",
    )
    session.add(sms)
    await session.flush()
    enqueue(session, send_opinion_sms, tenant.code, str(sms.id))


SMS_TITLE = "意见办理答复"
SMS_LEASE = timedelta(minutes=5)
SMS_MAX_ATTEMPTS = 6


class SendSmsLater(Exception):
    """The message broker should try again (a temporary refusal, or another worker holds the lease)."""


async def send_feedback_sms(tenant: TenantRef, sms_id: uuid.UUID, *, last_try: bool) -> str:
    """Send one feedback SMS at most once per attempt, never after it was sent: the row is locked and
    marked `sending` under a lease (committed) before the gateway is called, and `sent` after. A second
    delivery of the message finds it sent and does nothing. Returns the row's final status."""
    from renda.modules.notifications.channels import ChannelUnavailable, Outgoing, TransportError, channel_setup
    from renda.tenants.scoping import tenant_session

    now = utcnow()
    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        query = select(OpinionSms).where(OpinionSms.id == sms_id).with_for_update()
        sms = (await session.execute(query)).scalar_one_or_none()
        if sms is None or sms.status in ("sent", "failed", "skipped"):
            return sms.status if sms else "missing"
        if sms.status == "sending" and sms.lease_until and sms.lease_until > now:
            raise SendSmsLater("another worker is sending this message")
        opinion = await session.get(Opinion, sms.opinion_id)
        assert opinion is not None and opinion.submitter_phone_encrypted is not None
        address, body = decrypt(opinion.submitter_phone_encrypted), decrypt(sms.text_encrypted)
        sms.status, sms.lease_until, sms.attempts = "sending", now + SMS_LEASE, sms.attempts + 1
        await session.commit()
    channel = channel_setup().channels["sms"]
    outcome, error = "sent", None
    try:
        await channel.send(Outgoing(key=str(sms_id), address=address, title=SMS_TITLE, body=body, link=None))
    except ChannelUnavailable as exc:
        outcome, error = "skipped", str(exc)
    except TransportError as exc:
        outcome, error = ("failed" if exc.permanent or last_try else "pending"), str(exc)
    await _record_sms_outcome(tenant, sms_id, outcome, error)
    if outcome == "pending":
        raise SendSmsLater(error)
    return outcome


async def _record_sms_outcome(tenant: TenantRef, sms_id: uuid.UUID, outcome: str, error: str | None) -> None:
    from renda.tenants.scoping import tenant_session

    async with tenant_session(tenant, actor=WORKER_ACTOR) as session:
        sms = (await session.execute(select(OpinionSms).where(OpinionSms.id == sms_id).with_for_update())).scalar_one()
        sms.status, sms.last_error, sms.lease_until = outcome, error, None
        opinion = await session.get(Opinion, sms.opinion_id)
        assert opinion is not None
        if outcome == "sent":
            sms.sent_at = utcnow()
            add_step(
                session,
                opinion,
                "feedback",
                note=f"已向反映人 {sms.address_masked} 发送答复短信(含评价链接)",
                public_note="办理结果已短信告知反映人",
                actor=WORKER_ACTOR,
            )
        elif outcome in ("failed", "skipped"):
            add_step(
                session,
                opinion,
                "feedback",
                note=f"答复短信未能发送:{error};请电话回访反映人并记录评价",
                actor=WORKER_ACTOR,
            )
        await session.commit()


# --- the person's rating (评价) and closing ----------------------------------------------------------
def _record_rating(session: AsyncSession, opinion: Opinion, rating: str, *, actor: str, note: str | None) -> None:
    now = utcnow()
    opinion.rating, opinion.rated_at, opinion.status, opinion.closed_at = rating, now, "closed", now
    add_step(
        session,
        opinion,
        "rating",
        note=f"评价:{RATINGS[rating]}" + (f";{note}" if note else ""),
        public_note=f"反映人评价:{RATINGS[rating]}",
        actor=actor,
    )
    add_step(session, opinion, "close", note="评价后办结", public_note="已办结", actor=actor)


async def opinion_by_rating_token(session: AsyncSession, token: str, *, for_update: bool = False) -> Opinion:
    if not token or len(token) > 64:
        raise NotFound("评价链接无效或已失效", code="rating_link_invalid")
    query = select(Opinion).where(Opinion.rating_token_hash == token_hash(token))
    opinion = (await session.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
    if opinion is None:
        raise NotFound("评价链接无效或已失效", code="rating_link_invalid")
    return opinion


async def rate_by_token(session: AsyncSession, token: str, rating: str) -> tuple[Opinion, bool]:
    """The person's one-step rating from the SMS link. Recorded once: a second click (or a second
    rating) finds the first and changes nothing. Returns the opinion and whether this call rated it."""
    if rating not in RATINGS:
        raise InvalidInput("请选择“已解决”“部分解决”或“未解决”", code="invalid_rating")
    opinion = await opinion_by_rating_token(session, token, for_update=True)
    if opinion.rating is not None:
        return opinion, False
    if opinion.status != "answered":
        raise Conflict("该意见已办结,不能再评价", code="rating_closed")
    _record_rating(session, opinion, rating, actor=PUBLIC_ACTOR + "(短信评价链接)", note=None)
    await session.flush()
    return opinion, True


async def rate_on_behalf(
    session: AsyncSession, viewer: Viewer, opinion: Opinion, *, rating: str, note: str | None = None
) -> Opinion:
    """Staff record the rating the person gave by phone or in person (回访)."""
    _require_manage(viewer)
    if rating not in RATINGS:
        raise InvalidInput("请选择“已解决”“部分解决”或“未解决”", code="invalid_rating")
    if opinion.status != "answered" or opinion.rating is not None:
        raise Conflict("只有已答复、尚未评价的意见可以记录评价", code="cannot_rate")
    note = _note(note)
    _record_rating(session, opinion, rating, actor=_actor(session), note="回访记录" + (f":{note}" if note else ""))
    await session.flush()
    return opinion


async def close(session: AsyncSession, viewer: Viewer, opinion: Opinion, *, note: str | None = None) -> Opinion:
    """办结 an answered opinion the person did not rate (no phone, no answer to the call-back)."""
    _require_manage(viewer)
    if opinion.status != "answered":
        raise Conflict("只有已答复的意见可以办结", code="cannot_close")
    note = _note(note)
    opinion.status, opinion.closed_at = "closed", utcnow()
    add_step(
        session, opinion, "close", note="未评价,由工作人员办结" + (f";{note}" if note else ""), public_note="已办结"
    )
    await session.flush()
    return opinion


# --- the public status page -----------------------------------------------------------------------
@dataclass(frozen=True)
class PublicStep:
    at: datetime
    label: str
    note: str


@dataclass(frozen=True)
class PublicStatus:
    """What anyone holding the ticket may see: never a name, a phone or a staff member."""

    ticket: str
    received_at: datetime
    status_label: str
    category_label: str | None
    content: str
    steps: list[PublicStep]
    answer: str | None
    answered_at: datetime | None
    rating_label: str | None
    merged: PublicStatus | None = None  # the opinion it was merged into, for a duplicate


async def _public(session: AsyncSession, opinion: Opinion, *, with_content: bool) -> PublicStatus:
    steps = [
        PublicStep(s.created_at, STEP_KINDS[s.kind], s.public_note)
        for s in await steps_of(session, opinion.id)
        if s.public_note
    ]
    return PublicStatus(
        ticket=format_ticket(opinion.ticket),
        received_at=opinion.created_at,
        status_label=STATUSES[opinion.status],
        category_label=CATEGORIES.get(opinion.category) if opinion.category else None,
        content=opinion.content if with_content else "",
        steps=steps,
        answer=opinion.answer,
        answered_at=opinion.answered_at,
        rating_label=RATINGS.get(opinion.rating) if opinion.rating else None,
    )


async def public_status(session: AsyncSession, ticket: str) -> PublicStatus:
    """The status by ticket; another person's content is never shown, not even a merged one's."""
    parsed = parse_ticket(ticket)
    opinion = None
    if parsed is not None:
        opinion = (await session.execute(select(Opinion).where(Opinion.ticket == parsed))).scalar_one_or_none()
    if opinion is None:
        raise NotFound("没有找到该编号的意见,请核对编号后重试", code="ticket_not_found")
    status = await _public(session, opinion, with_content=True)
    if opinion.status == "duplicate" and opinion.duplicate_of_id:
        root = await session.get(Opinion, opinion.duplicate_of_id)
        if root is not None:
            merged = await _public(session, root, with_content=False)
            status = PublicStatus(**{**status.__dict__, "merged": merged})
    return status


# --- the public portal and its abuse protection ---------------------------------------------------
@dataclass(frozen=True)
class Limit:
    scope: str
    window: timedelta
    count: int
    rule: str  # Chinese, for the message


SUBMIT_PER_IP = Limit("submit_ip", timedelta(hours=1), 5, "同一网络每小时最多提交 5 条意见")
SUBMIT_PER_PHONE = Limit("submit_phone", timedelta(days=1), 3, "同一手机号码每天最多提交 3 条意见")
LOOKUP_MISSES_PER_IP = Limit("lookup_ip", timedelta(hours=1), 30, "同一网络每小时最多输错 30 次查询编号")
LONGEST_WINDOW = timedelta(days=1)


def ip_key(ip: str) -> str:
    return lookup_hash("portal-ip:" + ip)


def portal_phone_key(phone: str) -> str:
    return lookup_hash("portal-phone:" + normalize_phone(phone))


async def _lock_keys(session: AsyncSession, checks: Sequence[tuple[Limit, str]]) -> None:
    """Serialise concurrent submissions of one IP or phone (any process) until the transaction ends,
    always in the same order, so two of them cannot both take the last place."""
    for limit, key in checks:
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"{limit.scope}:{key}"}
        )


async def _retry_at(session: AsyncSession, limit: Limit, key: str, now: datetime) -> datetime | None:
    """When the window will have room again, or None if it has room now."""
    query = (
        select(PortalRateHit.at)
        .where(PortalRateHit.scope == limit.scope, PortalRateHit.key_hash == key, PortalRateHit.at > now - limit.window)
        .order_by(PortalRateHit.at)
    )
    times = list((await session.execute(query)).scalars())
    if len(times) < limit.count:
        return None
    return times[len(times) - limit.count] + limit.window


def _limited(limit: Limit, retry_at: datetime, now: datetime) -> TooManyRequests:
    local = to_local(retry_at)
    minutes = max(1, -(-int((retry_at - now).total_seconds()) // 60))
    when = f"{local:%H:%M}" if local.date() == to_local(now).date() else f"{local:%m月%d日 %H:%M}"
    return TooManyRequests(
        f"提交过于频繁:{limit.rule}。请在 {when} 之后再试(约 {minutes} 分钟后)。"
        "情况紧急的,可直接到代表联络站或拨打人大常委会电话反映。",
        code="too_many_requests",
        details={"retry_after": int((retry_at - now).total_seconds()) + 1, "rule": limit.rule},
    )


async def check_limits(
    session: AsyncSession, office_code: str, checks: Sequence[tuple[Limit, str]], *, now: datetime | None = None
) -> None:
    """Refuse with 429 if any limit is reached, else count this request against each (in the caller's
    transaction: a refused or rolled-back request counts for nothing)."""
    now = now or utcnow()
    await _lock_keys(session, checks)
    for limit, key in checks:
        retry_at = await _retry_at(session, limit, key, now)
        if retry_at is not None:
            raise _limited(limit, retry_at, now)
    await session.execute(
        insert(PortalRateHit),
        [{"scope": limit.scope, "key_hash": key, "office_code": office_code, "at": now} for limit, key in checks],
    )


async def check_lookup_allowed(session: AsyncSession, ip: str, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    retry_at = await _retry_at(session, LOOKUP_MISSES_PER_IP, ip_key(ip), now)
    if retry_at is not None:
        raise _limited(LOOKUP_MISSES_PER_IP, retry_at, now)


async def record_lookup_miss(session: AsyncSession, office_code: str, ip: str) -> None:
    await session.execute(
        insert(PortalRateHit).values(scope=LOOKUP_MISSES_PER_IP.scope, key_hash=ip_key(ip), office_code=office_code)
    )


async def purge_rate_hits(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Forget hits older than the longest window (kept a day more, for a look at what happened)."""
    cutoff = (now or utcnow()) - LONGEST_WINDOW - timedelta(days=1)
    deleted = await session.execute(delete(PortalRateHit).where(PortalRateHit.at < cutoff))
    return deleted.rowcount or 0


@dataclass(frozen=True)
class PortalTarget:
    """Whom a public submission is addressed to: the office, a deputy or a station."""

    deputy_person_id: uuid.UUID | None = None
    deputy_name: str | None = None
    station_id: uuid.UUID | None = None
    station_name: str | None = None


async def portal_target(
    session: AsyncSession, deputy_person_id: uuid.UUID | None, station_id: uuid.UUID | None
) -> PortalTarget:
    """The deputy or station of this office a form is for; one of another office is not found."""
    deputy_name = station_name = None
    if deputy_person_id is not None:
        deputy_name = (await deputies.get_person(session, deputy_person_id)).name
    if station_id is not None:
        station = await organisation.get_station(session, station_id)
        if not station.is_active:
            raise NotFound("该家站室已停用", code="station_not_found")
        station_name = station.name
    return PortalTarget(deputy_person_id, deputy_name, station_id, station_name)


async def portal_submit(
    session: AsyncSession,
    tenant: TenantRef,
    *,
    ip: str,
    content: str | None,
    submitter_name: str | None = None,
    submitter_phone: str | None = None,
    category: str | None = None,
    deputy_person_id: uuid.UUID | None = None,
    station_id: uuid.UUID | None = None,
    honeypot: str | None = None,
    now: datetime | None = None,
) -> Opinion:
    """A submission from the public portal: refused when it is a robot's (the hidden field filled
    in), malformed or over a limit; nothing is stored then."""
    if honeypot:
        raise InvalidInput("提交未被受理,请刷新页面后重新填写(请勿填写隐藏的栏目)", code="rejected_as_automated")
    clean_content(content)  # refuse bad input before it counts against the limits
    clean_name(submitter_name)
    phone = clean_phone(submitter_phone)
    checks = [(SUBMIT_PER_IP, ip_key(ip))] + ([(SUBMIT_PER_PHONE, portal_phone_key(phone))] if phone else [])
    await check_limits(session, tenant.code, checks, now=now)
    opinion = await intake(
        session,
        tenant,
        source="portal",
        content=content or "",
        category=category or None,
        submitter_name=submitter_name,
        submitter_phone=phone,
        deputy_person_id=deputy_person_id,
        station_id=station_id,
    )
    deputy_user = await _deputy_user(session, opinion)
    if deputy_user is not None:
        await notifications.notify(
            session,
            kind="opinion_received",
            event_key=f"opinion-received:{opinion.id}",
            recipients=[deputy_user],
            variables={"ticket": format_ticket(opinion.ticket), "summary": excerpt(opinion.content)},
            link=_link(tenant, opinion),
        )
    return opinion


# --- supervision: overdue reminders (督办) ---------------------------------------------------------
async def office_staff_user_ids(tenant: TenantRef) -> list[uuid.UUID]:
    async with get_database().platform_session() as platform:
        return [u.id for m, u in await members.list_members(platform, tenant) if Role.STAFF in (m.roles or [])]


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


async def remind_overdue(session: AsyncSession, tenant: TenantRef, day: date) -> int:
    """Remind the unit's users and the office's staff of every opinion overdue on `day`, once per
    opinion and day (a reminder step of that day means done); returns how many were reminded."""
    overdue = list(
        (await session.execute(select(Opinion).where(overdue_clause(day)).order_by(Opinion.deadline))).scalars()
    )
    if not overdue:
        return 0
    reminded_today = set(
        (
            await session.execute(
                select(OpinionStep.opinion_id).where(
                    OpinionStep.kind == "reminder",
                    OpinionStep.opinion_id.in_([o.id for o in overdue]),
                    OpinionStep.created_at >= _local_midnight(day),
                    OpinionStep.created_at < _local_midnight(day + timedelta(days=1)),
                )
            )
        ).scalars()
    )
    staff = await office_staff_user_ids(tenant)
    units = {u.id: u.name for u in (await session.execute(select(HandlingUnit))).scalars()}
    count = 0
    for opinion in overdue:
        if opinion.id in reminded_today:
            continue
        assert opinion.deadline is not None and opinion.unit_id is not None
        days = (day - opinion.deadline).days
        unit = units.get(opinion.unit_id, "承办单位")
        await notifications.notify(
            session,
            kind="opinion_overdue",
            event_key=f"opinion-overdue:{opinion.id}:{day.isoformat()}",
            recipients=[*await unit_user_ids(session, opinion.unit_id), *staff],
            variables={
                "unit": unit,
                "ticket": format_ticket(opinion.ticket),
                "summary": excerpt(opinion.content),
                "deadline": f"{opinion.deadline:%Y年%m月%d日}",
                "days": str(days),
            },
            link=_link(tenant, opinion),
        )
        add_step(
            session,
            opinion,
            "reminder",
            note=f"已超过办理期限 {days} 天,已提醒{unit}及代表工作人员",
            actor=WORKER_ACTOR,
        )
        count += 1
    await session.flush()
    return count


# --- handling units (承办单位) ---------------------------------------------------------------------
async def get_unit(session: AsyncSession, unit_id: uuid.UUID) -> HandlingUnit:
    unit = await session.get(HandlingUnit, unit_id)
    if unit is None:
        raise NotFound("承办单位不存在", code="unit_not_found")
    return unit


async def _user_names(user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    async with get_database().platform_session() as platform:
        found = await accounts.contacts_of(platform, wanted)
    return {user_id: found[user_id].display_name if user_id in found else "(已删除的用户)" for user_id in wanted}


async def list_units(session: AsyncSession, today: date | None = None) -> list[UnitOut]:
    today = today or local_today()
    units = list(
        (
            await session.execute(select(HandlingUnit).order_by(HandlingUnit.is_active.desc(), HandlingUnit.name))
        ).scalars()
    )
    links = (await session.execute(select(HandlingUnitUser.unit_id, HandlingUnitUser.user_id))).all()
    names = await _user_names(user_id for _, user_id in links)
    counts = dict(
        (
            await session.execute(
                select(Opinion.unit_id, func.count()).where(Opinion.status == "assigned").group_by(Opinion.unit_id)
            )
        ).all()
    )
    overdue = dict(
        (
            await session.execute(
                select(Opinion.unit_id, func.count()).where(overdue_clause(today)).group_by(Opinion.unit_id)
            )
        ).all()
    )
    return [
        UnitOut(
            id=u.id,
            name=u.name,
            contact_name=u.contact_name,
            note=u.note,
            is_active=u.is_active,
            users=sorted(
                (UnitUserOut(user_id, names[user_id]) for unit_id, user_id in links if unit_id == u.id),
                key=lambda x: x.display_name,
            ),
            open_count=counts.get(u.id, 0),
            overdue_count=overdue.get(u.id, 0),
        )
        for u in units
    ]


async def unit_out(session: AsyncSession, unit: HandlingUnit) -> UnitOut:
    return next(u for u in await list_units(session) if u.id == unit.id)


def _unit_name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise InvalidInput("请填写承办单位名称", code="name_required")
    if len(name) > 100:
        raise InvalidInput("承办单位名称不能超过 100 个字", code="name_too_long")
    return name


async def _check_unit_name(session: AsyncSession, name: str, unit_id: uuid.UUID | None) -> None:
    query = select(HandlingUnit.id).where(HandlingUnit.name == name)
    if unit_id is not None:
        query = query.where(HandlingUnit.id != unit_id)
    if await session.scalar(query) is not None:
        raise Conflict(f"已有名为“{name}”的承办单位", code="duplicate_name")


async def create_unit(session: AsyncSession, viewer: Viewer, data: UnitIn) -> HandlingUnit:
    _require_manage(viewer)
    name = _unit_name(data.name)
    await _check_unit_name(session, name, None)
    unit = HandlingUnit(name=name, contact_name=_note(data.contact_name), note=_note(data.note), is_active=True)
    session.add(unit)
    await session.flush()
    return unit


async def update_unit(session: AsyncSession, viewer: Viewer, unit: HandlingUnit, patch: UnitPatch) -> HandlingUnit:
    _require_manage(viewer)
    changes = {
        k: v for k, v in {f: getattr(patch, f) for f in patch.__struct_fields__}.items() if v is not msgspec.UNSET
    }
    if "name" in changes:
        changes["name"] = _unit_name(changes["name"])
        await _check_unit_name(session, changes["name"], unit.id)
    for key in ("contact_name", "note"):
        if key in changes:
            changes[key] = _note(changes[key])
    for key, value in changes.items():
        setattr(unit, key, value)
    await session.flush()
    return unit


async def delete_unit(session: AsyncSession, viewer: Viewer, unit: HandlingUnit) -> None:
    _require_manage(viewer)
    if await session.scalar(select(Opinion.id).where(Opinion.unit_id == unit.id).limit(1)) is not None:
        raise Conflict("该承办单位已有交办记录,不能删除;不再承办时请改为停用", code="unit_in_use")
    await session.delete(unit)
    await session.flush()


async def unit_candidates(tenant: TenantRef) -> list[tuple[uuid.UUID, str]]:
    """Members of this office with the handling unit role: who can answer for a unit."""
    async with get_database().platform_session() as platform:
        return [
            (u.id, u.display_name)
            for m, u in await members.list_members(platform, tenant)
            if Role.HANDLING_UNIT in (m.roles or [])
        ]


async def add_unit_user(
    session: AsyncSession, viewer: Viewer, tenant: TenantRef, unit: HandlingUnit, user_id: uuid.UUID
) -> None:
    _require_manage(viewer)
    if user_id not in dict(await unit_candidates(tenant)):
        raise InvalidInput("所选用户不是本机关“承办单位”角色的成员,请先在“成员与邀请”中邀请", code="invalid_unit_user")
    query = select(HandlingUnitUser.id).where(HandlingUnitUser.unit_id == unit.id, HandlingUnitUser.user_id == user_id)
    if await session.scalar(query) is not None:
        raise Conflict("该用户已是本承办单位的经办人", code="already_member")
    session.add(HandlingUnitUser(unit_id=unit.id, user_id=user_id))
    await session.flush()


async def remove_unit_user(session: AsyncSession, viewer: Viewer, unit: HandlingUnit, user_id: uuid.UUID) -> None:
    _require_manage(viewer)
    query = select(HandlingUnitUser).where(HandlingUnitUser.unit_id == unit.id, HandlingUnitUser.user_id == user_id)
    link = (await session.execute(query)).scalar_one_or_none()
    if link is None:
        raise NotFound("该用户不是本承办单位的经办人", code="unit_user_not_found")
    await session.delete(link)
    await session.flush()


# --- staff entry and export ----------------------------------------------------------------------
async def staff_intake(session: AsyncSession, viewer: Viewer, tenant: TenantRef, **fields: Any) -> Opinion:
    _require_manage(viewer)
    if fields.get("source") == "portal":
        raise InvalidInput("网上提交的意见由群众在公开页面提交", code="invalid_source")
    return await intake(session, tenant, **fields)


EXPORT_HEADERS = [
    "编号",
    "受理时间",
    "来源",
    "类别",
    "意见内容",
    "反映人",
    "联系电话",
    "代表",
    "家站室",
    "状态",
    "承办单位",
    "办理期限",
    "是否逾期",
    "答复",
    "评价",
    "办结时间",
]


def _local_text(value: datetime | None) -> str:
    return f"{to_local(value):%Y-%m-%d %H:%M}" if value else ""


async def export_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """The list as filtered, for everyone who may export (they all see the whole office); an export
    file travels, so the phone number leaves masked."""
    today = local_today()
    found = list((await session.execute(list_query(SYSTEM_VIEWER, parse_filter(params), today))).scalars())
    for start in range(0, len(found), 500):
        chunk = found[start : start + 500]
        for row in await outs(session, chunk, today):
            yield [
                row.ticket,
                _local_text(row.created_at),
                row.source_label,
                row.category_label or "",
                row.content,
                row.submitter_name or "",
                row.submitter_phone_masked or "",
                row.deputy_name or "",
                row.station_name or "",
                row.status_label,
                row.unit_name or "",
                f"{row.deadline:%Y-%m-%d}" if row.deadline else "",
                "是" if row.overdue else "",
                row.answer or "",
                row.rating_label or "",
                _local_text(row.closed_at),
            ]


RATING_SCORE = RATING_SCORES  # re-exported for the metrics


async def find_by_ticket(session: AsyncSession, viewer: Viewer, ticket: str) -> Opinion:
    """An opinion of this office by its ticket (as staff type it), within what the viewer sees."""
    parsed = parse_ticket(ticket)
    opinion = None
    if parsed is not None:
        query = select(Opinion).where(Opinion.ticket == parsed, _visible(viewer))
        opinion = (await session.execute(query)).scalar_one_or_none()
    if opinion is None:
        raise InvalidInput("没有找到该编号的意见,请核对编号", code="ticket_not_found")
    return opinion
