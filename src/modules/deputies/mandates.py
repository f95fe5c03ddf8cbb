"""Mandates and their history: election, corrections, ending, suspension and resumption."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.core.timezone import local_today
from renda.modules.deputies import directory, repository
from renda.modules.deputies.common import claim, clean, insert, office_code, plain, record, term_label
from renda.modules.deputies.models import (
    END_REASONS,
    RESIGNATION_KINDS,
    STATUS_LABELS,
    SUSPENSION_REASONS,
    Mandate,
    MandateEvent,
    MandateStatus,
    Term,
)
from renda.modules.deputies.persons import get_person
from renda.modules.deputies.repository import MandateRow
from renda.modules.deputies.schemas import (
    MandateEndIn,
    MandateIn,
    MandateResumeIn,
    MandateSuspendIn,
    MandateUpdate,
)
from renda.modules.deputies.terms import get_congress, get_term
from renda.tenants.models import Tenant

# The form field each date check is about, so a page shows the message beside it.
DATE_FIELDS = {
    "任职起始日期": "starts_on",
    "终止日期": "ended_on",
    "暂停日期": "suspended_on",
    "恢复日期": "resumed_on",
}


def check_within_term(day: date, term: Term, what: str) -> None:
    if day < term.starts_on or (term.ends_on is not None and day > term.ends_on):
        span = f"{term.starts_on} 至 {term.ends_on or '今'}"
        message = f"{what}({day})不在{term_label(term.number)}任期({span})内"
        raise InvalidInput(message, code="date_outside_term", field=DATE_FIELDS.get(what))


async def get_mandate(session: AsyncSession, mandate_id: uuid.UUID, *, for_update: bool = False) -> Mandate:
    query = select(Mandate).where(Mandate.id == mandate_id)
    if for_update:  # the row may be loaded already (the route's dependency): take the locked state
        query = query.with_for_update().execution_options(populate_existing=True)
    mandate = (await session.execute(query)).scalar_one_or_none()
    if mandate is None:
        raise NotFound("该代表资格不存在", code="mandate_not_found")
    return mandate


async def mandate_detail(session: AsyncSession, mandate_id: uuid.UUID) -> tuple[MandateRow, list[MandateEvent]]:
    row = await repository.mandate_row(session, mandate_id)
    if row is None:
        raise NotFound("该代表资格不存在", code="mandate_not_found")
    return row, await repository.events_of(session, [mandate_id])


async def checked_organised_in(session: AsyncSession, code: str | None) -> str | None:
    """An office on the platform at or beneath this one; None means this office itself."""
    code, own = clean(code), office_code(session)
    if code is None or code == own:
        return None
    async with get_database().platform_session() as platform:
        offices = {
            t.code: t for t in (await platform.execute(select(Tenant).where(Tenant.code.in_([code, own])))).scalars()
        }
    if code not in offices:
        raise InvalidInput(
            f"组织地“{code}”不是平台上的机关,请填写机关的行政区划代码", code="unknown_office", field="organised_in"
        )
    if not offices[code].path.startswith(offices[own].path + "/"):
        raise InvalidInput(
            f"组织地应为本机关或其下级机关,{offices[code].name}不在本机关辖区内",
            code="organised_outside",
            field="organised_in",
        )
    return code


async def _replaced(session: AsyncSession, mandate_id: uuid.UUID, term: Term, starts_on: date) -> Mandate:
    """A by-election fills the seat of an ended mandate of the same term, once."""
    replaced = await session.get(Mandate, mandate_id)
    if replaced is None or replaced.term_id != term.id:
        raise InvalidInput("补选所接替的代表资格应属于同一届次", code="invalid_replacement")
    if replaced.status != MandateStatus.ENDED:
        raise Conflict("所接替的代表资格尚未终止,不能补选", code="replaced_mandate_live")
    if await session.scalar(select(Mandate.id).where(Mandate.replaces_mandate_id == replaced.id)):
        raise Conflict("该缺额已经补选", code="seat_already_filled")
    if replaced.ended_on and starts_on < replaced.ended_on:
        raise InvalidInput(f"补选的任职起始日期不能早于原代表资格终止日期({replaced.ended_on})", code="invalid_dates")
    return replaced


async def create_mandate(session: AsyncSession, data: MandateIn) -> Mandate:
    person = await get_person(session, data.person_id)
    term = await get_term(session, data.term_id, for_update=True)
    congress = await get_congress(session, term.congress_id)
    if not term.is_current:
        raise Conflict(f"{congress.name}{term_label(term.number)}已结束,不能新增代表资格", code="term_closed")
    starts_on = data.starts_on or term.starts_on
    check_within_term(starts_on, term, "任职起始日期")
    replaced = await _replaced(session, data.replaces_mandate_id, term, starts_on) if data.replaces_mandate_id else None
    organised_in = await checked_organised_in(session, data.organised_in)
    exists = Conflict(
        f"“{person.name}”在{congress.name}{term_label(term.number)}已有有效的代表资格", code="mandate_exists"
    )
    live = select(Mandate.id).where(
        Mandate.person_id == person.id, Mandate.term_id == term.id, Mandate.status != MandateStatus.ENDED
    )
    if await session.scalar(live):
        raise exists
    await claim(session, person, [(congress, term.number)])
    by_election = data.by_election or replaced is not None
    mandate = Mandate(
        id=uuid.uuid4(),
        person_id=person.id,
        term_id=term.id,
        level=congress.level,
        constituency=clean(data.constituency),
        electoral_unit=clean(data.electoral_unit),
        delegation=clean(data.delegation),
        organised_in=organised_in,
        starts_on=starts_on,
        status=MandateStatus.ACTIVE,
        by_election=by_election,
        replaces_mandate_id=replaced.id if replaced else None,
    )
    await insert(session, mandate, exists)
    kind = "by_elected" if by_election else "elected"
    record(session, mandate, kind, starts_on, replaces_mandate_id=mandate.replaces_mandate_id)
    await session.flush()
    await directory.mandate_changed(session, office_code(session), mandate.id)
    return mandate


async def update_mandate(session: AsyncSession, mandate_id: uuid.UUID, data: MandateUpdate) -> Mandate:
    """Corrections of a mandate's details; its status changes only through end, suspend and resume."""
    mandate = await get_mandate(session, mandate_id, for_update=True)
    term = await get_term(session, mandate.term_id)
    sent = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if "organised_in" in sent:
        sent["organised_in"] = await checked_organised_in(session, sent["organised_in"])
    for key in ("constituency", "electoral_unit", "delegation"):
        if key in sent:
            sent[key] = clean(sent[key])
    if "starts_on" in sent:
        starts_on = sent["starts_on"]
        check_within_term(starts_on, term, "任职起始日期")
        later = [d for d in (mandate.ended_on, mandate.suspended_on) if d is not None]
        if later and starts_on > min(later):
            raise InvalidInput("任职起始日期不能晚于暂停或终止日期", code="invalid_dates")
    changed = {k: (getattr(mandate, k), v) for k, v in sent.items() if getattr(mandate, k) != v}
    for key, (_, new) in changed.items():
        setattr(mandate, key, new)
    if changed:
        record(session, mandate, "updated", local_today(), **{k: [plain(o), plain(n)] for k, (o, n) in changed.items()})
        await session.flush()
        await directory.mandate_changed(session, office_code(session), mandate.id)
    return mandate


async def end_mandate(session: AsyncSession, mandate_id: uuid.UUID, data: MandateEndIn) -> Mandate:
    if data.reason == "term_ended":
        raise InvalidInput("任期届满的代表资格在“换届”时统一终止", code="use_term_change")
    if data.reason not in END_REASONS:
        raise InvalidInput(f"终止原因“{data.reason}”无效", code="invalid_end_reason")
    kind = clean(data.resignation_kind)
    if data.reason == "resigned" and kind not in RESIGNATION_KINDS:
        raise InvalidInput("辞职的代表资格须注明辞职方式:本人辞职、劝辞或责令辞职", code="resignation_kind_required")
    if data.reason != "resigned" and kind is not None:
        raise InvalidInput("只有辞职被接受时才填写辞职方式", code="invalid_resignation_kind")
    mandate = await get_mandate(session, mandate_id, for_update=True)
    if mandate.status == MandateStatus.ENDED:
        raise Conflict("该代表资格已经终止", code="mandate_ended")
    term = await get_term(session, mandate.term_id)
    check_within_term(data.ended_on, term, "终止日期")
    if data.ended_on < max(mandate.starts_on, mandate.suspended_on or mandate.starts_on):
        raise InvalidInput("终止日期不能早于任职起始日期或暂停日期", code="invalid_dates")
    mandate.status, mandate.ended_on, mandate.end_reason = MandateStatus.ENDED, data.ended_on, data.reason
    mandate.resignation_kind = kind
    record(session, mandate, "ended", data.ended_on, data.reason, resignation_kind=kind, note=clean(data.note))
    await session.flush()
    await directory.mandate_changed(session, office_code(session), mandate.id)
    return mandate


async def suspend_mandate(session: AsyncSession, mandate_id: uuid.UUID, data: MandateSuspendIn) -> Mandate:
    if data.reason not in SUSPENSION_REASONS:
        raise InvalidInput(f"暂停原因“{data.reason}”无效,应为 custody 或 sentence", code="invalid_suspension_reason")
    mandate = await get_mandate(session, mandate_id, for_update=True)
    if mandate.status != MandateStatus.ACTIVE:
        raise Conflict(f"该代表资格当前为“{STATUS_LABELS[mandate.status]}”,不能暂停", code="mandate_not_active")
    check_within_term(data.suspended_on, await get_term(session, mandate.term_id), "暂停日期")
    if data.suspended_on < mandate.starts_on:
        raise InvalidInput("暂停日期不能早于任职起始日期", code="invalid_dates")
    mandate.status, mandate.suspended_on, mandate.suspension_reason = (
        MandateStatus.SUSPENDED,
        data.suspended_on,
        data.reason,
    )
    record(session, mandate, "suspended", data.suspended_on, data.reason, note=clean(data.note))
    await session.flush()
    await directory.mandate_changed(session, office_code(session), mandate.id)
    return mandate


async def resume_mandate(session: AsyncSession, mandate_id: uuid.UUID, data: MandateResumeIn) -> Mandate:
    mandate = await get_mandate(session, mandate_id, for_update=True)
    if mandate.status != MandateStatus.SUSPENDED or mandate.suspended_on is None:
        raise Conflict("该代表资格没有暂停执行,无需恢复", code="mandate_not_suspended")
    check_within_term(data.resumed_on, await get_term(session, mandate.term_id), "恢复日期")
    if data.resumed_on < mandate.suspended_on:
        raise InvalidInput(f"恢复日期不能早于暂停日期({mandate.suspended_on})", code="invalid_dates")
    suspended_on = mandate.suspended_on
    mandate.status, mandate.suspended_on, mandate.suspension_reason = MandateStatus.ACTIVE, None, None
    record(session, mandate, "resumed", data.resumed_on, suspended_on=suspended_on, note=clean(data.note))
    await session.flush()
    await directory.mandate_changed(session, office_code(session), mandate.id)
    return mandate
