"""Congresses and terms: registering them, and 换届 (closing a term and opening the next)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.db import get_database
from renda.core.errors import Conflict, InvalidInput, NotFound
from renda.modules.deputies import directory
from renda.modules.deputies.common import clean, insert, office_code, record, term_label
from renda.modules.deputies.models import (
    LEVEL_LABELS,
    LEVELS,
    Congress,
    Level,
    Mandate,
    MandateStatus,
    Term,
)
from renda.modules.deputies.schemas import (
    CongressIn,
    TermChangeIn,
    TermIn,
    TermUpdate,
)
from renda.tenants import service as tenants
from renda.tenants.models import Tenant
from renda.tenants.scoping import TenantRef

OFFICE_SUFFIX = re.compile(r"(人大常委会|人大主席团|人大工委)$")


# --- congresses and terms --------------------------------------------------------------------------
async def _platform_office(code: str) -> Tenant | None:
    async with get_database().platform_session() as platform:
        try:
            return await tenants.get_by_code(platform, code)
        except NotFound:
            return None


async def _congress_division(tenant: TenantRef, level: str, given: str | None) -> str:
    """The division code of a congress this office may administer at `level` (issue 4: a mandate
    is recorded by the office that administers it, so nothing is ever recorded twice)."""
    office, given = tenant.code, clean(given)
    not_here = InvalidInput(
        f"{tenant.name}不管理{LEVEL_LABELS[level].removesuffix('代表')}的代表", code="level_not_administered"
    )
    if level == Level.TOWNSHIP and tenant.level == "county":
        code = given or ""
        if not (len(code) == 9 and code.isdigit() and code.startswith(office) and code[6:] != "000"):
            raise InvalidInput(
                f"乡镇的行政区划代码应为 9 位数字,且以本县代码 {office} 开头", code="invalid_division_code"
            )
        township = await _platform_office(code)
        if township is not None:
            raise Conflict(
                f"{township.name}已在平台开通,其乡镇人大代表由该机关记录", code="congress_recorded_elsewhere"
            )
        return code
    if level in (Level.TOWNSHIP, Level.COUNTY):
        if tenant.level != level:
            raise not_here
        expected = office
    else:
        if tenant.level == "township":
            raise not_here
        expected = {Level.CITY: office[:4] + "00", Level.PROVINCIAL: office[:2] + "0000"}.get(level, "100000")
        if tenant.level == "county":
            # Whatever its status: a suspended or archived city still records its deputies, and
            # recording them here too would count each of them twice.
            city = await _platform_office(office[:4] + "00")
            if city is not None:
                raise Conflict(
                    f"{city.name}已在平台开通,{LEVEL_LABELS[level]}由其记录;"
                    f"请其在代表资格中把“组织地”设为{tenant.name}",
                    code="congress_recorded_elsewhere",
                )
    if given and given != expected:
        raise InvalidInput(f"{LEVEL_LABELS[level]}所属人大的行政区划代码应为 {expected}", code="invalid_division_code")
    return expected


def _default_congress_name(tenant: TenantRef, level: str, code: str) -> str | None:
    if level == Level.NATIONAL:
        return "全国人民代表大会"
    if code == tenant.code:
        return OFFICE_SUFFIX.sub("", tenant.name) + "人民代表大会"
    return None


async def create_congress(session: AsyncSession, tenant: TenantRef, data: CongressIn) -> Congress:
    if data.level not in LEVELS:
        raise InvalidInput(f"代表层级“{data.level}”无效", code="invalid_level")
    code = await _congress_division(tenant, data.level, data.division_code)
    name = clean(data.name) or _default_congress_name(tenant, data.level, code)
    if not name:
        raise InvalidInput("请填写人民代表大会的名称,例如“陕西省人民代表大会”", code="name_required")
    exists = await session.scalar(
        select(Congress.id).where(Congress.level == data.level, Congress.division_code == code)
    )
    conflict = Conflict(f"{name}已登记,无需重复添加", code="congress_exists")
    if exists is not None:
        raise conflict
    congress = Congress(level=data.level, name=name, division_code=code)
    await insert(session, congress, conflict)
    return congress


async def list_congresses(session: AsyncSession) -> list[tuple[Congress, list[Term]]]:
    congresses = (await session.execute(select(Congress).order_by(Congress.level, Congress.division_code))).scalars()
    by_rank = sorted(congresses, key=lambda c: (LEVELS.index(c.level), c.division_code))
    terms = (await session.execute(select(Term).order_by(Term.number.desc()))).scalars()
    grouped: dict[uuid.UUID, list[Term]] = {}
    for term in terms:
        grouped.setdefault(term.congress_id, []).append(term)
    return [(c, grouped.get(c.id, [])) for c in by_rank]


async def get_congress(session: AsyncSession, congress_id: uuid.UUID) -> Congress:
    congress = await session.get(Congress, congress_id)
    if congress is None:
        raise NotFound("该人民代表大会不存在", code="congress_not_found")
    return congress


async def terms_of(session: AsyncSession, congress_id: uuid.UUID) -> list[Term]:
    query = select(Term).where(Term.congress_id == congress_id).order_by(Term.number.desc())
    return list((await session.execute(query)).scalars())


async def get_term(session: AsyncSession, term_id: uuid.UUID, *, for_update: bool = False) -> Term:
    query = select(Term).where(Term.id == term_id)
    if for_update:  # the row may be loaded already (the route's dependency): take the locked state
        query = query.with_for_update().execution_options(populate_existing=True)
    term = (await session.execute(query)).scalar_one_or_none()
    if term is None:
        raise NotFound("该届次不存在", code="term_not_found")
    return term


async def current_terms(session: AsyncSession) -> list[tuple[Term, Congress]]:
    """The terms new mandates go into, highest level first."""
    rows = (await session.execute(select(Term, Congress).join(Congress).where(Term.is_current))).all()
    return sorted(rows, key=lambda r: (LEVELS.index(r[1].level), r[1].division_code))


def _check_term_dates(starts_on: date, ends_on: date | None) -> None:
    if ends_on is not None and ends_on <= starts_on:
        raise InvalidInput("届次的结束日期应晚于开始日期", code="invalid_dates")


def _overlaps(term: Term, starts_on: date, ends_on: date | None) -> bool:
    far = date.max
    return term.starts_on < (ends_on or far) and starts_on < (term.ends_on or far)


async def create_term(session: AsyncSession, congress_id: uuid.UUID, data: TermIn) -> Term:
    congress = await get_congress(session, congress_id)
    _check_term_dates(data.starts_on, data.ends_on)
    existing = await terms_of(session, congress.id)
    label = term_label(data.number)
    if any(t.number == data.number for t in existing):
        raise Conflict(f"{congress.name}{label}已登记", code="term_exists")
    current = next((t for t in existing if t.is_current), None)
    if current is not None:
        if data.number > current.number:
            raise Conflict(
                f"本届({term_label(current.number)})尚未结束,请通过“换届”开启{label}", code="use_term_change"
            )
        if data.ends_on is None:  # an earlier term, recorded for the history
            raise InvalidInput("往届须填写结束日期", code="ends_on_required")
    if any(_overlaps(t, data.starts_on, data.ends_on) for t in existing):
        raise Conflict("该届次的起止日期与已登记的届次重叠", code="terms_overlap")
    term = Term(
        congress_id=congress.id,
        number=data.number,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        is_current=current is None,
    )
    await insert(session, term, Conflict(f"{congress.name}{label}已登记", code="term_exists"))
    return term


async def _latest_mandate_date(session: AsyncSession, term_id: uuid.UUID) -> tuple[date | None, date | None]:
    """The earliest start and the latest recorded date of the term's mandates: the term must cover them."""
    latest = func.greatest(Mandate.starts_on, Mandate.ended_on, Mandate.suspended_on)
    row = (
        await session.execute(select(func.min(Mandate.starts_on), func.max(latest)).where(Mandate.term_id == term_id))
    ).one()
    return row[0], row[1]


async def update_term(session: AsyncSession, term_id: uuid.UUID, data: TermUpdate) -> Term:
    term = await get_term(session, term_id, for_update=True)
    starts_on = term.starts_on if data.starts_on is msgspec.UNSET else data.starts_on
    ends_on = term.ends_on if data.ends_on is msgspec.UNSET else data.ends_on
    _check_term_dates(starts_on, ends_on)
    if ends_on is None and not term.is_current:
        raise InvalidInput("往届须填写结束日期", code="ends_on_required")
    others = [t for t in await terms_of(session, term.congress_id) if t.id != term.id]
    if any(_overlaps(t, starts_on, ends_on) for t in others):
        raise Conflict("该届次的起止日期与已登记的届次重叠", code="terms_overlap")
    first, last = await _latest_mandate_date(session, term.id)
    if (first and first < starts_on) or (last and ends_on and last > ends_on):
        raise InvalidInput(
            f"本届已有代表资格的日期在 {first} 至 {last} 之间,届次起止日期须包含这些日期", code="term_excludes_mandates"
        )
    term.starts_on, term.ends_on = starts_on, ends_on
    await session.flush()
    return term


@dataclass(frozen=True)
class TermChange:
    closed: Term
    opened: Term
    ended: int


async def change_term(session: AsyncSession, term_id: uuid.UUID, data: TermChangeIn) -> TermChange:
    """换届: end every live mandate of the current term with the term's end, close it, open the next
    one as current, and tell later modules (through the outbox) so they carry open work over."""
    from renda.modules.deputies.tasks import term_changed
    from renda.workers.outbox import enqueue

    term = await get_term(session, term_id, for_update=True)
    if not term.is_current:
        raise Conflict("只能对本届(当前届次)办理换届", code="term_not_current")
    closes_on = data.closes_on or term.ends_on
    if closes_on is None:
        raise InvalidInput("请填写本届的结束日期", code="closes_on_required")
    if closes_on <= term.starts_on:
        raise InvalidInput("本届的结束日期应晚于其开始日期", code="invalid_dates")
    if data.next_starts_on < closes_on:
        raise InvalidInput("新一届的开始日期不能早于本届的结束日期", code="invalid_dates")
    _check_term_dates(data.next_starts_on, data.next_ends_on)
    number = data.next_number or term.number + 1
    if number <= term.number:
        raise InvalidInput(f"新一届的届次应大于{term_label(term.number)}", code="invalid_term_number")
    if await session.scalar(select(Term.id).where(Term.congress_id == term.congress_id, Term.number == number)):
        raise Conflict(f"{term_label(number)}已登记", code="term_exists")
    _, last = await _latest_mandate_date(session, term.id)
    if last and last > closes_on:
        raise InvalidInput(
            f"本届有代表资格记录的日期晚于 {closes_on}(最晚 {last}),请核对结束日期", code="invalid_dates"
        )

    live = (
        (
            await session.execute(
                select(Mandate)
                .where(Mandate.term_id == term.id, Mandate.status != MandateStatus.ENDED)
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    for mandate in live:
        mandate.status, mandate.ended_on, mandate.end_reason = MandateStatus.ENDED, closes_on, "term_ended"
        record(session, mandate, "ended", closes_on, "term_ended")
    term.ends_on, term.is_current = closes_on, False
    await session.flush()  # the old term stops being current before the next one becomes current
    opened = Term(
        congress_id=term.congress_id,
        number=number,
        starts_on=data.next_starts_on,
        ends_on=data.next_ends_on,
        is_current=True,
    )
    await insert(session, opened, Conflict(f"{term_label(number)}已登记", code="term_exists"))
    enqueue(session, term_changed, office_code(session), str(term.id), str(opened.id))
    for mandate in live:
        await directory.mandate_changed(session, office_code(session), mandate.id)
    return TermChange(term, opened, len(live))


# --- townships by name -----------------------------------------------------------------------------
def _without_place(name: str, office: str) -> str:
    """宜君县宜阳街道 under 铜川市宜君县 → 宜阳街道: drop the longest tail of the office's place it starts with."""
    for start in range(len(office) - 1):
        if name.startswith(office[start:]):
            return name[len(office) - start :] or name
    return name


async def township_names(session: AsyncSession, codes: Iterable[str] | None = None) -> dict[str, str]:
    """Names of the townships in the office's territory, for every page and export that shows one:
    the name of the township congress the office records (610922100 → 城关镇), else the name of the
    township office on the platform (石泉县城关镇人大主席团 → 城关镇). Every township known so, or
    exactly `codes`, each known by neither mapping to itself."""
    rows = await session.execute(select(Congress.division_code, Congress.name).where(Congress.level == Level.TOWNSHIP))
    names = {code: name.removesuffix("人民代表大会").removesuffix("人大") for code, name in rows.all()}
    async with get_database().platform_session() as platform:
        office = await tenants.get_by_code(platform, office_code(session))
        beneath = await platform.execute(
            select(Tenant.code, Tenant.name).where(
                Tenant.level == "township", Tenant.path.startswith(office.path + "/", autoescape=True)
            )
        )
        place = OFFICE_SUFFIX.sub("", office.name)
        for code, name in beneath.all():
            names.setdefault(code, _without_place(OFFICE_SUFFIX.sub("", name), place))
    return names if codes is None else {code: names.get(code, code) for code in codes}
