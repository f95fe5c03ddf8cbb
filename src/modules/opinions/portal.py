"""The public portal: a person's submission (with its robot check and limits), whom a form is addressed
to, and the status page by ticket.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.errors import InvalidInput, NotFound
from renda.modules.deputies import service as deputies
from renda.modules.notifications import service as notifications
from renda.modules.opinions.common import (
    CATEGORIES,
    clean_content,
    clean_name,
    clean_phone,
    deputy_user_of,
    excerpt,
    format_ticket,
    opinion_link,
    parse_ticket,
)
from renda.modules.opinions.intake import intake
from renda.modules.opinions.limits import SUBMIT_PER_IP, SUBMIT_PER_PHONE, check_limits, ip_key, portal_phone_key
from renda.modules.opinions.listing import steps_of
from renda.modules.opinions.models import RATINGS, STATUSES, STEP_KINDS, Opinion
from renda.modules.organisation import service as organisation
from renda.tenants.scoping import TenantRef


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
    deputy_user = await deputy_user_of(session, opinion)
    if deputy_user is not None:
        await notifications.notify(
            session,
            kind="opinion_received",
            event_key=f"opinion-received:{opinion.id}",
            recipients=[deputy_user],
            variables={"ticket": format_ticket(opinion.ticket), "summary": excerpt(opinion.content)},
            link=opinion_link(tenant, opinion),
        )
    return opinion
