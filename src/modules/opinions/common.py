"""What every part of the opinions module needs: the categories, tickets, cleaning of the people's text
and phone, who is looking (`Viewer`) and may do what, reading one opinion, and recording a step.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.crypto import lookup_hash, normalize_phone
from renda.core.db import utcnow
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from renda.core.permissions import Role
from renda.modules.deputies.models import Person
from renda.modules.opinions.models import FINAL_STATUSES, STATUSES, STEP_KINDS, Opinion, OpinionStep
from renda.modules.suggestions.service import FULL_ROLES, MANAGE_ROLES
from renda.modules.units import service as units
from renda.tenants.scoping import TenantAccess, TenantRef

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


def actor_of(session: AsyncSession) -> str:
    return str(session.info.get("actor", "system"))


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
        actor=actor or actor_of(session),
        note=note,
        public_note=public_note,
        created_at=now,
    )
    session.add(step)
    return step


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
        unit_ids = await units.unit_ids_of_user(session, user_id)
    if Role.DEPUTY in roles:
        deputy_ids = frozenset((await session.execute(select(Person.id).where(Person.user_id == user_id))).scalars())
    return Viewer(
        user_id,
        full=token or bool(roles & FULL_ROLES),
        manage=access.can("opinions.write") and (token or bool(roles & MANAGE_ROLES)),
        unit_ids=unit_ids,
        deputy_ids=deputy_ids,
    )


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.full:
        return true()
    reach = []
    if viewer.unit_ids:
        reach.append(Opinion.unit_id.in_(viewer.unit_ids))
    if viewer.deputy_ids:
        reach.append(Opinion.deputy_person_id.in_(viewer.deputy_ids))
    return or_(*reach) if reach else false()


def require_manage(viewer: Viewer) -> None:
    if not viewer.manage:
        raise PermissionDenied("只有代表工作人员可以进行此项办理", code="opinions_staff_only")


OPINION_NOT_FOUND = "群众意见不存在"


async def get_opinion(
    session: AsyncSession, viewer: Viewer, opinion_id: uuid.UUID, *, for_update: bool = False
) -> Opinion:
    query = select(Opinion).where(Opinion.id == opinion_id, visible_to(viewer))
    if for_update:
        query = query.with_for_update()
    opinion = (await session.execute(query)).scalar_one_or_none()
    if opinion is None:
        raise NotFound(OPINION_NOT_FOUND, code="opinion_not_found")
    return opinion


def check_open(opinion: Opinion) -> None:
    if opinion.status in FINAL_STATUSES:
        raise Conflict(f"该意见已{STATUSES[opinion.status]},不能再办理", code="opinion_closed")


def is_overdue(opinion: Opinion, today: date) -> bool:
    """Assigned, not answered, and its deadline (a local date) has passed."""
    return opinion.status == "assigned" and opinion.deadline is not None and opinion.deadline < today


def overdue_clause(today: date) -> ColumnElement[bool]:
    return and_(Opinion.status == "assigned", Opinion.deadline < today)


def clean_note(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > 500:
        raise InvalidInput("办理说明不能超过 500 个字", code="note_too_long")
    return text or None


def opinion_link(tenant: TenantRef, opinion: Opinion) -> str:
    return f"/t/{tenant.code}/opinions/{opinion.id}"


def excerpt(value: str, length: int = 30) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


async def deputy_user_of(session: AsyncSession, opinion: Opinion) -> uuid.UUID | None:
    if opinion.deputy_person_id is None:
        return None
    return await session.scalar(select(Person.user_id).where(Person.id == opinion.deputy_person_id))
