"""The rules of the register: congresses and terms, persons, mandates and their history.

Every write function takes the tenant session and reads the actor and the office from
`session.info` (set by `tenant_session`), records a `MandateEvent` for every change to a mandate,
and asks the platform's mandate directory to republish what changed once the transaction commits.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.crypto import decrypt, encrypt, lookup_hash, mask_phone, normalize_phone
from renda.core.db import get_database
from renda.core.errors import AppError, Conflict, InvalidInput, NotFound, TooLarge
from renda.core.pagination import Page, paginate
from renda.core.timezone import local_today
from renda.modules.deputies import directory, idcard, names, repository
from renda.modules.deputies.models import (
    END_REASONS,
    LEVEL_LABELS,
    LEVELS,
    RESIGNATION_KINDS,
    STATUS_LABELS,
    SUSPENSION_REASONS,
    Congress,
    Level,
    Mandate,
    MandateEvent,
    MandateStatus,
    Person,
    Term,
)
from renda.modules.deputies.repository import MandateRow
from renda.modules.deputies.schemas import (
    EDUCATION_LEVELS,
    ETHNICITIES,
    GENDER_LABELS,
    OCCUPATION_CATEGORIES,
    PARTIES,
    PUBLIC_FIELDS,
    CongressIn,
    MandateEndIn,
    MandateIn,
    MandateResumeIn,
    MandateSuspendIn,
    MandateUpdate,
    PersonIn,
    PersonUpdate,
    RegisterFilter,
    TermChangeIn,
    TermIn,
    TermUpdate,
)
from renda.modules.exports.registry import ExportKind, register_export
from renda.modules.organisation.models import CommitteeMember
from renda.tenants import service as tenants
from renda.tenants.models import Tenant
from renda.tenants.scoping import TenantRef

MOBILE = re.compile(r"^1[3-9]\d{9}$")
PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
OFFICE_SUFFIX = re.compile(r"(人大常委会|人大主席团|人大工委)$")
_CN_DIGITS = "零一二三四五六七八九"


def _actor(session: AsyncSession) -> str:
    return str(session.info.get("actor", "system"))


def _office(session: AsyncSession) -> str:
    return str(session.info["tenant_code"])


def chinese_number(n: int) -> str:
    if not 0 <= n < 100:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def term_label(number: int) -> str:
    return f"第{chinese_number(number)}届"


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


async def _insert(session: AsyncSession, row: Any, error: AppError) -> None:
    """Insert in a savepoint: a unique index a concurrent writer won becomes `error`, and the
    caller's transaction (e.g. an import going row by row) stays usable."""
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise error from None


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
    office, given = tenant.code, _clean(given)
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
    name = _clean(data.name) or _default_congress_name(tenant, data.level, code)
    if not name:
        raise InvalidInput("请填写人民代表大会的名称,例如“陕西省人民代表大会”", code="name_required")
    exists = await session.scalar(
        select(Congress.id).where(Congress.level == data.level, Congress.division_code == code)
    )
    conflict = Conflict(f"{name}已登记,无需重复添加", code="congress_exists")
    if exists is not None:
        raise conflict
    congress = Congress(level=data.level, name=name, division_code=code)
    await _insert(session, congress, conflict)
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
    term = (await session.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
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
    await _insert(session, term, Conflict(f"{congress.name}{label}已登记", code="term_exists"))
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
        _record(session, mandate, "ended", closes_on, "term_ended")
    term.ends_on, term.is_current = closes_on, False
    await session.flush()  # the old term stops being current before the next one becomes current
    opened = Term(
        congress_id=term.congress_id,
        number=number,
        starts_on=data.next_starts_on,
        ends_on=data.next_ends_on,
        is_current=True,
    )
    await _insert(session, opened, Conflict(f"{term_label(number)}已登记", code="term_exists"))
    enqueue(session, term_changed, _office(session), str(term.id), str(opened.id))
    for mandate in live:
        await directory.mandate_changed(session, _office(session), mandate.id)
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
        office = await tenants.get_by_code(platform, _office(session))
        beneath = await platform.execute(
            select(Tenant.code, Tenant.name).where(
                Tenant.level == "township", Tenant.path.startswith(office.path + "/", autoescape=True)
            )
        )
        place = OFFICE_SUFFIX.sub("", office.name)
        for code, name in beneath.all():
            names.setdefault(code, _without_place(OFFICE_SUFFIX.sub("", name), place))
    return names if codes is None else {code: names.get(code, code) for code in codes}


# --- persons ---------------------------------------------------------------------------------------
def id_number_key(number: str) -> str:
    """The keyed hash of a normalized ID number: duplicates here, the same person across offices."""
    return lookup_hash(f"id_number:{number}")


def mask_id_number(number: str) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def masked_id_number(person: Person) -> str | None:
    return mask_id_number(decrypt(person.id_number_encrypted)) if person.id_number_encrypted else None


def _choice(value: str | None, allowed: Iterable[str], what: str, code: str) -> str | None:
    value = _clean(value)
    if value is not None and value not in allowed:
        raise InvalidInput(f"{what}“{value}”不在可选范围内:{'、'.join(allowed)}", code=code)
    return value


def _years_between(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def validated_person(state: dict[str, Any]) -> dict[str, Any]:
    """Column values (with the ID number and mobile in clear, normalized) from a person's full
    desired state; raises InvalidInput in Chinese on the first problem."""
    name = _clean(state["name"])
    if not name:
        raise InvalidInput("请填写姓名", code="name_required")
    number = None
    if _clean(state["id_number"]):
        try:
            number = idcard.validate(state["id_number"])
        except idcard.InvalidIdNumber as error:
            raise InvalidInput(str(error), code="invalid_id_number") from None
    gender = _clean(state["gender"])
    if gender is not None and gender not in GENDER_LABELS:
        raise InvalidInput("性别应为 male(男)或 female(女)", code="invalid_gender")
    birth = state["birth_date"]
    if number is not None:
        if gender is not None and gender != idcard.gender(number):
            raise InvalidInput("性别与身份证号码不符,请核对", code="id_number_mismatch")
        if birth is not None and birth != idcard.birth_date(number):
            raise InvalidInput("出生日期与身份证号码不符,请核对", code="id_number_mismatch")
        gender, birth = gender or idcard.gender(number), birth or idcard.birth_date(number)
    if gender is None:
        raise InvalidInput("请填写性别,或填写身份证号码由系统识别", code="gender_required")
    if birth is not None and not (date(1900, 1, 1) <= birth and _years_between(birth, local_today()) >= 18):
        raise InvalidInput("出生日期无效:代表须年满十八周岁", code="invalid_birth_date")
    mobile = _clean(state["mobile"])
    if mobile is not None:
        mobile = normalize_phone(mobile)
        if not MOBILE.match(mobile):
            raise InvalidInput("手机号码应为 11 位中国大陆手机号", code="invalid_mobile")
    public = state["public_fields"] or ["name", "gender", "levels"]
    unknown = [f for f in public if f not in PUBLIC_FIELDS]
    if unknown:
        raise InvalidInput(f"公开信息项无效:{'、'.join(unknown)}", code="invalid_public_fields")
    return {
        "name": name,
        "name_pinyin": names.full_pinyin(name),
        "name_initials": names.initials(name),
        "gender": gender,
        "ethnicity": _choice(state["ethnicity"], ETHNICITIES, "民族", "invalid_ethnicity") or "汉族",
        "birth_date": birth,
        "party": _choice(state["party"], PARTIES, "政治面貌", "invalid_party"),
        "occupation_category": _choice(
            state["occupation_category"], OCCUPATION_CATEGORIES, "职业类别", "invalid_occupation_category"
        ),
        "education": _choice(state["education"], EDUCATION_LEVELS, "学历", "invalid_education"),
        "sector": _clean(state["sector"]),
        "workplace": _clean(state["workplace"]),
        "position": _clean(state["position"]),
        # The name is always public; the order is the form's.
        "public_fields": [f for f in PUBLIC_FIELDS if f in public or f == "name"],
        "id_number": number,
        "mobile": mobile,
    }


async def _check_unique_id_number(session: AsyncSession, key: str, person_id: uuid.UUID | None) -> None:
    query = select(Person.name).where(Person.id_number_hash == key)
    if person_id is not None:
        query = query.where(Person.id != person_id)
    other = await session.scalar(query)
    if other is not None:
        raise Conflict(f"该身份证号码已登记在代表“{other}”名下", code="person_exists")


def _apply(person: Person, values: dict[str, Any], old_number: str | None, old_mobile: str | None) -> None:
    """Set only what changed: ciphertexts differ on every encryption, so an unchanged ID number or
    mobile is not rewritten (and not logged as a change)."""
    number, mobile = values.pop("id_number"), values.pop("mobile")
    for key, value in values.items():
        if getattr(person, key) != value:
            setattr(person, key, value)
    if number != old_number:
        person.id_number_encrypted = encrypt(number) if number else None
        person.id_number_hash = id_number_key(number) if number else None
    if mobile != old_mobile:
        person.mobile_encrypted = encrypt(mobile) if mobile else None
        person.mobile_masked = mask_phone(mobile) if mobile else None


async def create_person(session: AsyncSession, data: PersonIn) -> Person:
    values = validated_person(msgspec.structs.asdict(data))
    conflict = Conflict("该身份证号码已登记", code="person_exists")
    if values["id_number"]:
        await _check_unique_id_number(session, id_number_key(values["id_number"]), None)
    person = Person()
    _apply(person, values, None, None)
    await _insert(session, person, conflict)
    return person


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound("该代表不存在", code="person_not_found")
    return person


async def update_person(session: AsyncSession, person_id: uuid.UUID, data: PersonUpdate) -> Person:
    person = await get_person(session, person_id)
    old_number = decrypt(person.id_number_encrypted) if person.id_number_encrypted else None
    old_mobile = decrypt(person.mobile_encrypted) if person.mobile_encrypted else None
    state = {key: getattr(person, key) for key in msgspec.structs.asdict(data) if hasattr(person, key)}
    state |= {"id_number": old_number, "mobile": old_mobile}
    sent = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if sent.get("id_number"):  # a new number brings its own gender and birth date unless both are sent
        state |= {key: None for key in ("gender", "birth_date") if key not in sent}
    state |= sent
    values = validated_person(state)
    if values["id_number"] and values["id_number"] != old_number:
        await _check_unique_id_number(session, id_number_key(values["id_number"]), person.id)
    old_key = person.id_number_hash
    try:
        async with session.begin_nested():
            _apply(person, values, old_number, old_mobile)
    except IntegrityError:
        raise Conflict("该身份证号码已登记", code="person_exists") from None
    if person.id_number_hash != old_key:  # the person's mandates are claimed under the new number
        if old_key:
            await directory.release(session, _office(session), old_key)
        held = await session.execute(
            select(Congress, Term)
            .join(Term)
            .join(Mandate, Mandate.term_id == Term.id)
            .where(Mandate.person_id == person.id)
        )
        await _claim(session, person, held.all())
    # The directory lists the person's name and composition fields with every mandate.
    for mandate_id in await session.scalars(select(Mandate.id).where(Mandate.person_id == person.id)):
        await directory.mandate_changed(session, _office(session), mandate_id)
    return person


async def link_user(
    session: AsyncSession, tenant: TenantRef, person_id: uuid.UUID, user_id: uuid.UUID | None
) -> Person:
    """Link the platform user who signs in as this deputy (reminders and invitations reach them),
    or unlink with None. The user must be a member of this office and stand for one deputy only."""
    from renda.modules.accounts.service import memberships_of

    person = await get_person(session, person_id)
    if user_id is not None and user_id != person.user_id:
        async with get_database().platform_session() as platform:
            codes = {m.tenant_code for m in await memberships_of(platform, user_id)}
        if tenant.code not in codes:
            raise InvalidInput("所选用户不是本机关的成员,请先在“成员与邀请”中添加", code="invalid_user")
        taken = (await session.execute(select(Person.name).where(Person.user_id == user_id))).scalar_one_or_none()
        if taken is not None:
            raise Conflict(f"该用户已关联代表“{taken}”", code="user_already_linked")
    try:
        async with session.begin_nested():  # a concurrent link of the same user meets the unique index
            person.user_id = user_id
    except IntegrityError:
        raise Conflict("该用户已关联其他代表", code="user_already_linked") from None
    return person


async def user_ids_of(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """person id → the platform user who signs in as that deputy, for those linked."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Person.id, Person.user_id).where(Person.id.in_(wanted), Person.user_id.is_not(None))
    )
    return {person_id: user_id for person_id, user_id in rows.all()}


async def person_of_user(session: AsyncSession, user_id: uuid.UUID) -> Person | None:
    """The deputy a signed-in user stands for in this office, if any."""
    return (await session.execute(select(Person).where(Person.user_id == user_id))).scalar_one_or_none()


async def delete_person(session: AsyncSession, person_id: uuid.UUID) -> None:
    """Only a person entered by mistake, without any mandate or office, can be deleted."""
    person = await get_person(session, person_id)
    if await session.scalar(select(Mandate.id).where(Mandate.person_id == person.id).limit(1)):
        raise Conflict(
            f"“{person.name}”已有代表资格记录,不能删除;如其不再担任代表,请终止其代表资格", code="person_has_history"
        )
    if await session.scalar(select(CommitteeMember.id).where(CommitteeMember.person_id == person.id).limit(1)):
        raise Conflict(f"“{person.name}”有常委会组成人员任职记录,不能删除", code="person_has_history")
    try:
        async with session.begin_nested():
            await session.delete(person)
    except IntegrityError:
        raise Conflict(f"“{person.name}”已有关联记录,不能删除", code="person_has_history") from None


def photo_type(content: bytes) -> str:
    """Trust the bytes, not the file name or the declared type."""
    for magic, media_type in PHOTO_TYPES.items():
        if content.startswith(magic):
            return media_type
    raise InvalidInput("照片应为 JPG 或 PNG 格式的图片", code="invalid_photo")


async def set_photo(session: AsyncSession, person_id: uuid.UUID, content: bytes) -> Person:
    person = await get_person(session, person_id)
    if len(content) > PHOTO_MAX_BYTES:
        raise TooLarge("照片不能超过 2 MB", code="photo_too_large")
    if not content:
        raise InvalidInput("请选择照片文件", code="invalid_photo")
    person.photo, person.photo_type = content, photo_type(content)
    await session.flush()
    return person


async def clear_photo(session: AsyncSession, person_id: uuid.UUID) -> None:
    person = await get_person(session, person_id)
    person.photo, person.photo_type = None, None
    await session.flush()


async def get_photo(session: AsyncSession, person_id: uuid.UUID) -> tuple[bytes, str]:
    row = (await session.execute(select(Person.photo, Person.photo_type).where(Person.id == person_id))).first()
    if row is None:
        raise NotFound("该代表不存在", code="person_not_found")
    if row.photo is None:
        raise NotFound("该代表没有照片", code="photo_not_found")
    return row.photo, row.photo_type


# --- mandates --------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, (date, uuid.UUID)) else value


def _record(
    session: AsyncSession, mandate: Mandate, kind: str, on: date, reason: str | None = None, **detail: Any
) -> None:
    session.add(
        MandateEvent(
            mandate_id=mandate.id,
            kind=kind,
            on=on,
            reason=reason,
            detail={k: _plain(v) for k, v in detail.items() if v is not None},
            recorded_by=_actor(session),
        )
    )


def check_within_term(day: date, term: Term, what: str) -> None:
    if day < term.starts_on or (term.ends_on is not None and day > term.ends_on):
        span = f"{term.starts_on} 至 {term.ends_on or '今'}"
        raise InvalidInput(f"{what}({day})不在{term_label(term.number)}任期({span})内", code="date_outside_term")


async def get_mandate(session: AsyncSession, mandate_id: uuid.UUID, *, for_update: bool = False) -> Mandate:
    query = select(Mandate).where(Mandate.id == mandate_id)
    mandate = (await session.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
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
    code, own = _clean(code), _office(session)
    if code is None or code == own:
        return None
    async with get_database().platform_session() as platform:
        offices = {
            t.code: t for t in (await platform.execute(select(Tenant).where(Tenant.code.in_([code, own])))).scalars()
        }
    if code not in offices:
        raise InvalidInput(f"组织地“{code}”不是平台上的机关,请填写机关的行政区划代码", code="unknown_office")
    if not offices[code].path.startswith(offices[own].path + "/"):
        raise InvalidInput(
            f"组织地应为本机关或其下级机关,{offices[code].name}不在本机关辖区内", code="organised_outside"
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


Seat = directory.Seat


def seat_of(person_key: str, congress: Congress, term_number: int) -> Seat:
    return Seat(person_key, congress.level, congress.division_code, term_number)


async def seats_recorded_elsewhere(session: AsyncSession, seats: Iterable[Seat]) -> dict[Seat, str]:
    """Of these seats, those another office records, with its name."""
    return await directory.claimed_elsewhere(session, _office(session), seats)


async def claim_seats(session: AsyncSession, seats: Iterable[Seat]) -> dict[Seat, str]:
    """Claim the seats for this office in the session's transaction; returns those another office holds."""
    return await directory.claim(session, _office(session), seats)


def recorded_elsewhere_message(name: str, congress: Congress, term_number: int, office_name: str) -> str:
    return f"“{name}”在{congress.name}{term_label(term_number)}的代表资格已由{office_name}登记,不能重复登记"


async def _claim(session: AsyncSession, person: Person, seats: Iterable[tuple[Congress, Term]]) -> None:
    """One office records a person's mandate in a congress term (directory.claim); 409 otherwise."""
    if not person.id_number_hash:
        return
    wanted = {seat_of(person.id_number_hash, congress, term.number): congress for congress, term in seats}
    taken = await claim_seats(session, wanted)
    for seat, office_name in taken.items():
        raise Conflict(
            recorded_elsewhere_message(person.name, wanted[seat], seat.term_number, office_name),
            code="mandate_recorded_elsewhere",
        )


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
    await _claim(session, person, [(congress, term)])
    by_election = data.by_election or replaced is not None
    mandate = Mandate(
        id=uuid.uuid4(),
        person_id=person.id,
        term_id=term.id,
        level=congress.level,
        constituency=_clean(data.constituency),
        electoral_unit=_clean(data.electoral_unit),
        delegation=_clean(data.delegation),
        organised_in=organised_in,
        starts_on=starts_on,
        status=MandateStatus.ACTIVE,
        by_election=by_election,
        replaces_mandate_id=replaced.id if replaced else None,
    )
    await _insert(session, mandate, exists)
    kind = "by_elected" if by_election else "elected"
    _record(session, mandate, kind, starts_on, replaces_mandate_id=mandate.replaces_mandate_id)
    await session.flush()
    await directory.mandate_changed(session, _office(session), mandate.id)
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
            sent[key] = _clean(sent[key])
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
        _record(
            session, mandate, "updated", local_today(), **{k: [_plain(o), _plain(n)] for k, (o, n) in changed.items()}
        )
        await session.flush()
        await directory.mandate_changed(session, _office(session), mandate.id)
    return mandate


async def end_mandate(session: AsyncSession, mandate_id: uuid.UUID, data: MandateEndIn) -> Mandate:
    if data.reason == "term_ended":
        raise InvalidInput("任期届满的代表资格在“换届”时统一终止", code="use_term_change")
    if data.reason not in END_REASONS:
        raise InvalidInput(f"终止原因“{data.reason}”无效", code="invalid_end_reason")
    kind = _clean(data.resignation_kind)
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
    _record(session, mandate, "ended", data.ended_on, data.reason, resignation_kind=kind, note=_clean(data.note))
    await session.flush()
    await directory.mandate_changed(session, _office(session), mandate.id)
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
    _record(session, mandate, "suspended", data.suspended_on, data.reason, note=_clean(data.note))
    await session.flush()
    await directory.mandate_changed(session, _office(session), mandate.id)
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
    _record(session, mandate, "resumed", data.resumed_on, suspended_on=suspended_on, note=_clean(data.note))
    await session.flush()
    await directory.mandate_changed(session, _office(session), mandate.id)
    return mandate


# --- reading ---------------------------------------------------------------------------------------
@dataclass
class RegisterEntry:
    person: Person
    mandates: list[MandateRow]
    # (level, recording office) of the person's live mandates recorded by other offices
    elsewhere: list[tuple[str, str]] = field(default_factory=list)

    @property
    def elsewhere_labels(self) -> list[str]:
        return [f"{LEVEL_LABELS[level]}({office}登记)" for level, office in self.elsewhere]

    @property
    def live_levels(self) -> list[str]:
        live = {m.level for m, _, _ in self.mandates if m.status != MandateStatus.ENDED}
        return [level for level in LEVELS if level in live]


async def search(session: AsyncSession, filters: RegisterFilter, page: int, page_size: int) -> Page[RegisterEntry]:
    found = await paginate(session, repository.register_query(filters), page, page_size)
    mandates = await repository.mandates_of(session, (p.id for p in found.items))
    office = _office(session)
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
    groups: list[Any] = field(default_factory=list)
    stations: list[Any] = field(default_factory=list)

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
        await repository.groups_of(session, person.id),
        await repository.stations_of(session, person.id),
    )


async def filter_choices(session: AsyncSession) -> dict[str, Any]:
    """What the register's filter form offers: terms, groups and stations of this office."""
    return {
        "terms": [(t, c) for c, terms in await list_congresses(session) for t in terms],
        "groups": await repository.all_groups(session),
        "stations": await repository.all_stations(session),
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


def export_row(entry: RegisterEntry) -> list[Any]:
    p = entry.person
    districts = {m.constituency or m.electoral_unit for m, _, _ in entry.mandates if m.status != MandateStatus.ENDED}
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
        "、".join(LEVEL_LABELS[level] for level in entry.live_levels),
        "、".join(sorted(d for d in districts if d)),
        ";".join(
            f"{c.name}{term_label(t.number)} {STATUS_LABELS[m.status]}"
            + (f"({m.ended_on} {END_REASONS.get(m.end_reason or '', '')})" if m.ended_on else "")
            for m, t, c in entry.mandates
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
            yield export_row(RegisterEntry(person, mandates.get(person.id, [])))
        if len(persons) < batch_size:
            return
        offset += batch_size


register_export(ExportKind("deputies_register", "代表名册", EXPORT_HEADERS, export_rows, "deputies.read"))
