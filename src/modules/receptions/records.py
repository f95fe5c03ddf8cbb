"""Reception records (接待记录): recording, reading and editing them, conversion to a people's opinion,
and the station register with its Excel export.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.crypto import decrypt, encrypt, lookup_hash, mask_phone, normalize_phone
from renda.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from renda.core.pagination import paginate
from renda.core.timezone import local_today
from renda.modules.organisation import service as organisation
from renda.modules.receptions import repository as repo
from renda.modules.receptions import schedule
from renda.modules.receptions.calendars import is_reception_day
from renda.modules.receptions.common import (
    EARLIEST,
    Caller,
    DeputyKey,
    changes_of,
    clean_text,
    deputy_key,
    deputy_outs,
    flush,
    key_of,
    month_of,
    require_deputy,
    station_in_body,
)
from renda.modules.receptions.models import (
    Reception,
    ReceptionDeputy,
)
from renda.modules.receptions.schemas import (
    CATEGORIES,
    DeputyIn,
    ReceptionFilter,
    ReceptionIn,
    ReceptionOut,
    ReceptionPage,
    ReceptionPatch,
    RegisterSummary,
)
from renda.tenants.scoping import TenantRef

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{9,11}$")  # area code + number, e.g. 0291234567(8)


def category_label(code: str) -> str:
    return CATEGORIES.get(code, code)


def check_category(code: str) -> str:
    if code not in CATEGORIES:
        raise InvalidInput("请选择问题类别", code="invalid_category", details={"allowed": list(CATEGORIES)})
    return code


def clean_phone(value: str | None) -> str | None:
    """A visitor's mobile or landline (with area code), digits only; empty means none given."""
    if not value or not value.strip():
        return None
    phone = normalize_phone(value)
    if not (MOBILE.match(phone) or LANDLINE.match(phone)):
        raise InvalidInput("联系电话应为 11 位手机号码或带区号的固定电话", code="invalid_phone")
    return phone


async def _check_present(session: AsyncSession, tenant: TenantRef, refs: Sequence[DeputyIn]) -> list[DeputyKey]:
    """Deputies present at a reception: persons of this register, or mandates recorded elsewhere that
    are assigned to one of this office's stations or organised in its territory."""
    keys = list(dict.fromkeys(deputy_key(r) for r in refs))
    persons = await repo.persons_by_id(session, [p for p, _ in keys if p])
    for person_id, _ in keys:
        if person_id and person_id not in persons:
            raise InvalidInput("所选代表不在本机关的代表名册中", code="unknown_deputy")
    assigned = await repo.assigned_mandates(session)
    for _, mandate_id in keys:
        if mandate_id and mandate_id not in assigned:
            await organisation.elsewhere_entry(tenant, mandate_id)  # raises not_in_territory
    return keys


# --- reception records ----------------------------------------------------------------------------
async def reception_outs(session: AsyncSession, rows: Sequence[Reception]) -> list[ReceptionOut]:
    present = await repo.deputies_of(session, [r.id for r in rows])
    outs = await deputy_outs(session, [key_of(d) for ds in present.values() for d in ds])
    names = {s.id: s.name for s in await repo.stations(session, list({r.station_id for r in rows}))}
    return [
        ReceptionOut(
            r.id,
            r.station_id,
            names.get(r.station_id, ""),
            r.held_on,
            r.off_schedule,
            "非接待日" if r.off_schedule else "接待日",
            r.visitor_name,
            r.visitor_count,
            r.visitor_phone_masked,
            r.issue,
            r.category,
            category_label(r.category),
            r.place,
            r.handling,
            [outs[key_of(d)] for d in present.get(r.id, [])],
            r.opinion_id,
            r.opinion_ticket,
            r.created_at,
        )
        for r in rows
    ]


def _filter_args(filters: ReceptionFilter, caller: Caller) -> dict[str, Any]:
    start = end = None
    if filters.month:
        start, end = schedule.month_bounds(*month_of(filters.month))
    if filters.category:
        check_category(filters.category)
    person_id = filters.person_id
    if not caller.reads_all:  # a deputy sees the receptions they held, whatever the filter says
        person_id = require_deputy(caller)
        if filters.person_id not in (None, person_id) or filters.mandate_id is not None:
            person_id = uuid.UUID(int=0)  # nobody: another deputy's records are not theirs to read
    return {
        "station_id": filters.station_id,
        "start": start,
        "end": end,
        "category": filters.category,
        "person_id": person_id,
        "mandate_id": filters.mandate_id,
        "q": filters.q,
        "off_schedule": filters.off_schedule,
    }


def filter_params(filters: ReceptionFilter) -> dict[str, Any]:
    """The filters as stored with an export request (JSON: no empty values)."""
    return {k: v for k, v in msgspec.to_builtins(filters).items() if v is not None}


async def list_receptions(
    session: AsyncSession, caller: Caller, filters: ReceptionFilter, page: int, page_size: int
) -> ReceptionPage:
    result = await paginate(session, repo.receptions_query(**_filter_args(filters, caller)), page, page_size)
    return ReceptionPage(await reception_outs(session, result.items), result.total, result.page, result.page_size)


def may_read_records(caller: Caller) -> bool:
    """Whether the caller reads any records at all (staff: all; a linked deputy: their own)."""
    return caller.reads_all or caller.person_id is not None


async def register_summary(session: AsyncSession, caller: Caller, filters: ReceptionFilter) -> RegisterSummary:
    """The register's totals for the filtered records: receptions, people, off-schedule, converted."""
    query = repo.receptions_query(**_filter_args(filters, caller))
    totals, by_category = await repo.summary(session, query)
    return RegisterSummary(
        totals[0], totals[1], totals[2], totals[3], {category_label(c): n for c, n in by_category.items()}
    )


async def get_reception(session: AsyncSession, caller: Caller, reception_id: uuid.UUID) -> Reception:
    """A record the caller may see: any (staff), or one they were present at (a deputy)."""
    row = await session.get(Reception, reception_id)
    if row is None:
        raise NotFound("接待记录不存在", code="reception_not_found")
    if not caller.reads_all:
        person_id = require_deputy(caller)
        present = (await repo.deputies_of(session, [row.id])).get(row.id, [])
        if all(d.person_id != person_id for d in present):
            raise NotFound("接待记录不存在", code="reception_not_found")
    return row


def _check_held_on(day: date, today: date) -> None:
    if day > today:
        raise InvalidInput("接待日期不能晚于今天", code="invalid_date")
    if day < EARLIEST:
        raise InvalidInput("接待日期不能早于 2000 年", code="invalid_date")


def _set_phone(row: Reception, phone: str | None) -> None:
    row.visitor_phone_encrypted = encrypt(phone) if phone else None
    row.visitor_phone_hash = lookup_hash("mobile:" + phone) if phone else None
    row.visitor_phone_masked = mask_phone(phone) if phone else None


def _with_caller(caller: Caller, refs: Sequence[DeputyIn]) -> list[DeputyIn]:
    """A deputy recording a reception is present at it (first, as its lead, unless listed)."""
    if caller.manages:
        return list(refs)
    person_id = require_deputy(caller)
    if any(r.person_id == person_id for r in refs):
        return list(refs)
    return [DeputyIn(person_id=person_id), *refs]


async def _set_present(session: AsyncSession, row: Reception, keys: Sequence[DeputyKey]) -> None:
    """Replace the deputies present (row by row, so the audit log sees each change)."""
    for old in (await repo.deputies_of(session, [row.id])).get(row.id, []):
        await session.delete(old)
    await session.flush()  # the unique (reception, deputy) constraint: old rows go before new ones come
    session.add_all(
        ReceptionDeputy(reception_id=row.id, position=i, person_id=p, directory_mandate_id=m)
        for i, (p, m) in enumerate(keys)
    )


async def create_reception(
    session: AsyncSession, tenant: TenantRef, caller: Caller, data: ReceptionIn, today: date | None = None
) -> Reception:
    """Record a reception. One held on a day that is not the station's reception day is accepted and
    marked 非接待日 (`off_schedule`). With `to_opinion`, it becomes a 群众意见 in the same transaction."""
    today = today or local_today()
    station = await station_in_body(session, data.station_id)
    if not station.is_active:
        raise InvalidInput(f"{station.name}已停用,不能登记接待", code="station_inactive")
    _check_held_on(data.held_on, today)
    visitor = data.visitor_name.strip()
    issue = data.issue.strip()
    if not visitor or not issue:
        raise InvalidInput("请填写来访群众姓名和反映的问题", code="required")
    phone = clean_phone(data.visitor_phone)
    keys = await _check_present(session, tenant, _with_caller(caller, data.deputies))
    if not keys:
        raise InvalidInput("请至少选择一名接待代表", code="deputies_required")
    row = Reception(
        id=uuid.uuid4(),
        station_id=station.id,
        held_on=data.held_on,
        off_schedule=not await is_reception_day(session, station, data.held_on),
        visitor_name=visitor,
        visitor_count=data.visitor_count,
        issue=issue,
        category=check_category(data.category),
        place=clean_text(data.place) or station.name,
        handling=clean_text(data.handling),
        recorded_by=caller.user_id,
    )
    _set_phone(row, phone)
    session.add(row)
    await flush(session)
    await _set_present(session, row, keys)
    await flush(session)
    if data.to_opinion:
        await convert_to_opinion(session, tenant, caller, row)
    return row


async def _check_may_edit(session: AsyncSession, caller: Caller, row: Reception) -> None:
    """Staff edit any record; a deputy only one they were present at (`get_reception` checked that
    they may see it; seeing is being present for a deputy)."""
    if caller.manages:
        return
    person_id = require_deputy(caller)
    present = (await repo.deputies_of(session, [row.id])).get(row.id, [])
    if all(d.person_id != person_id for d in present):
        raise PermissionDenied("只能修改自己参加的接待记录", code="not_your_reception")


async def update_reception(
    session: AsyncSession, tenant: TenantRef, caller: Caller, row: Reception, patch: ReceptionPatch
) -> Reception:
    await _check_may_edit(session, caller, row)
    changes = changes_of(patch)
    if "held_on" in changes:
        _check_held_on(changes["held_on"], local_today())
        station = await organisation.get_station(session, row.station_id)
        row.off_schedule = not await is_reception_day(session, station, changes["held_on"])
        row.held_on = changes["held_on"]
    for key in ("visitor_name", "issue"):
        if key in changes:
            value = changes[key].strip()
            if not value:
                raise InvalidInput("请填写来访群众姓名和反映的问题", code="required")
            setattr(row, key, value)
    if "category" in changes:
        row.category = check_category(changes["category"])
    if "visitor_count" in changes:
        row.visitor_count = changes["visitor_count"]
    if "visitor_phone" in changes:
        _set_phone(row, clean_phone(changes["visitor_phone"]))
    for key in ("place", "handling"):
        if key in changes:
            setattr(row, key, clean_text(changes[key]))
    if "deputies" in changes:
        keys = await _check_present(session, tenant, _with_caller(caller, changes["deputies"]))
        if not keys:
            raise InvalidInput("请至少选择一名接待代表", code="deputies_required")
        await _set_present(session, row, keys)
    await flush(session)
    return row


async def delete_reception(session: AsyncSession, caller: Caller, row: Reception) -> None:
    await _check_may_edit(session, caller, row)
    if row.opinion_id is not None:
        raise Conflict("该接待记录已转为群众意见,不能删除", code="converted")
    await session.delete(row)
    await flush(session)


async def convert_to_opinion(session: AsyncSession, tenant: TenantRef, caller: Caller, row: Reception) -> Reception:
    """转为群众意见: the opinions module takes the issue in (受理) with the visitor's name and phone,
    the first deputy present of this register and the station; the record keeps the opinion's id."""
    from renda.modules.opinions import service as opinions

    await _check_may_edit(session, caller, row)
    if row.opinion_id is not None:
        raise Conflict(f"该接待记录已转为群众意见(编号 {row.opinion_ticket})", code="already_converted")
    present = (await repo.deputies_of(session, [row.id])).get(row.id, [])
    phone = decrypt(row.visitor_phone_encrypted) if row.visitor_phone_encrypted else None
    opinion = await opinions.intake(
        session,
        tenant,
        source="reception",
        content=row.issue,
        category=row.category,
        submitter_name=row.visitor_name,
        submitter_phone=phone if phone and MOBILE.match(phone) else None,  # the opinion's SMS needs a mobile
        deputy_person_id=next((d.person_id for d in present if d.person_id), None),
        station_id=row.station_id,
        source_id=row.id,
    )
    row.opinion_id, row.opinion_ticket = opinion.id, opinion.ticket
    await flush(session)
    return row


# --- the register's Excel export (registered in tasks.py) -----------------------------------------
REGISTER_EXPORT_HEADERS = [
    "接待日期",
    "家站室",
    "是否接待日",
    "接待代表",
    "来访群众",
    "人数",
    "联系电话",
    "问题类别",
    "反映问题",
    "接待地点",
    "处理情况",
    "群众意见编号",
]
EXPORT_PAGE = 500


async def export_register_rows(session: AsyncSession, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
    """The register as filtered on its page (exports are requested by staff, who read every record)."""
    try:
        filters = msgspec.convert(params or {}, ReceptionFilter, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"导出条件无效:{exc}", code="invalid_export_params") from exc
    everyone = Caller(uuid.UUID(int=0), manages=False, reads_all=True, person_id=None)
    query = repo.receptions_query(**_filter_args(filters, everyone))
    offset = 0
    while True:
        rows = list((await session.execute(query.limit(EXPORT_PAGE).offset(offset))).scalars())
        for out in await reception_outs(session, rows):
            yield [
                out.held_on,
                out.station_name,
                out.schedule_label,
                "、".join(d.name for d in out.deputies),
                out.visitor_name,
                out.visitor_count,
                out.visitor_phone_masked or "",  # an export file travels: the phone leaves masked
                out.category_label,
                out.issue,
                out.place or "",
                out.handling or "",
                out.opinion_ticket or "",
            ]
        if len(rows) < EXPORT_PAGE:
            return
        offset += EXPORT_PAGE
