"""Persons: their validated details, encrypted ID number and mobile, photo and linked user."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.crypto import decrypt, encrypt, lookup_hash, mask_phone, normalize_phone
from renda.core.db import get_database
from renda.core.errors import Conflict, InvalidFields, InvalidInput, NotFound, TooLarge
from renda.core.timezone import local_today
from renda.modules.deputies import directory, idcard, names
from renda.modules.deputies.common import claim, clean, insert, office_code
from renda.modules.deputies.models import (
    Congress,
    Mandate,
    Person,
    Term,
)
from renda.modules.deputies.placements import deletion_checks
from renda.modules.deputies.schemas import (
    EDUCATION_LEVELS,
    ETHNICITIES,
    GENDER_LABELS,
    OCCUPATION_CATEGORIES,
    PARTIES,
    PUBLIC_FIELDS,
    PersonIn,
    PersonUpdate,
)
from renda.tenants.scoping import TenantRef

MOBILE = re.compile(r"^1[3-9]\d{9}$")
PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


# --- persons ---------------------------------------------------------------------------------------
def id_number_key(number: str) -> str:
    """The keyed hash of a normalized ID number: duplicates here, the same person across offices."""
    return lookup_hash(f"id_number:{number}")


def mask_id_number(number: str) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def masked_id_number(person: Person) -> str | None:
    return mask_id_number(decrypt(person.id_number_encrypted)) if person.id_number_encrypted else None


class _Problems:
    """The problems found in a person's fields, each on its field, so the form shows them all at once."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}
        self.codes: list[str] = []

    def add(self, field: str, message: str, code: str) -> None:
        if field not in self.found:
            self.found[field] = message
            self.codes.append(code)

    def raise_any(self) -> None:
        if self.found:
            raise InvalidFields(self.found, code=self.codes[0])


def _choice(
    value: str | None, allowed: Iterable[str], what: str, code: str, field: str, problems: _Problems
) -> str | None:
    value = clean(value)
    if value is not None and value not in allowed:
        problems.add(field, f"{what}“{value}”不在可选范围内:{'、'.join(allowed)}", code)
        return None
    return value


def _years_between(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def validated_person(state: dict[str, Any]) -> dict[str, Any]:
    """Column values (with the ID number and mobile in clear, normalized) from a person's full
    desired state; raises InvalidFields in Chinese naming every field with a problem (its code is the
    first problem's)."""
    problems = _Problems()
    name = clean(state["name"])
    if not name:
        problems.add("name", "请填写姓名", "name_required")
    number = None
    if clean(state["id_number"]):
        try:
            number = idcard.validate(state["id_number"])
        except idcard.InvalidIdNumber as error:
            problems.add("id_number", str(error), "invalid_id_number")
    gender = clean(state["gender"])
    if gender is not None and gender not in GENDER_LABELS:
        problems.add("gender", "性别应为 male(男)或 female(女)", "invalid_gender")
        gender = None
    birth = state["birth_date"]
    if number is not None:
        if gender is not None and gender != idcard.gender(number):
            problems.add("gender", "性别与身份证号码不符,请核对", "id_number_mismatch")
        if birth is not None and birth != idcard.birth_date(number):
            problems.add("birth_date", "出生日期与身份证号码不符,请核对", "id_number_mismatch")
        gender, birth = gender or idcard.gender(number), birth or idcard.birth_date(number)
    if gender is None and "gender" not in problems.found and "id_number" not in problems.found:
        problems.add("gender", "请填写性别,或填写身份证号码由系统识别", "gender_required")
    if birth is not None and not (date(1900, 1, 1) <= birth and _years_between(birth, local_today()) >= 18):
        problems.add("birth_date", "出生日期无效:代表须年满十八周岁", "invalid_birth_date")
    mobile = clean(state["mobile"])
    if mobile is not None:
        mobile = normalize_phone(mobile)
        if not MOBILE.match(mobile):
            problems.add("mobile", "手机号码应为 11 位中国大陆手机号", "invalid_mobile")
    public = state["public_fields"] or ["name", "gender", "levels"]
    unknown = [f for f in public if f not in PUBLIC_FIELDS]
    if unknown:
        problems.add("public_fields", f"公开信息项无效:{'、'.join(unknown)}", "invalid_public_fields")
    ethnicity = _choice(state["ethnicity"], ETHNICITIES, "民族", "invalid_ethnicity", "ethnicity", problems)
    party = _choice(state["party"], PARTIES, "政治面貌", "invalid_party", "party", problems)
    occupation = _choice(
        state["occupation_category"],
        OCCUPATION_CATEGORIES,
        "职业类别",
        "invalid_occupation_category",
        "occupation_category",
        problems,
    )
    education = _choice(state["education"], EDUCATION_LEVELS, "学历", "invalid_education", "education", problems)
    problems.raise_any()
    assert name is not None and gender is not None  # refused above otherwise
    return {
        "name": name,
        "name_pinyin": names.full_pinyin(name),
        "name_initials": names.initials(name),
        "gender": gender,
        "ethnicity": ethnicity or "汉族",
        "birth_date": birth,
        "party": party,
        "occupation_category": occupation,
        "education": education,
        "sector": clean(state["sector"]),
        "workplace": clean(state["workplace"]),
        "position": clean(state["position"]),
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
    await insert(session, person, conflict)
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
            await directory.release(session, office_code(session), old_key)
        held = await session.execute(
            select(Congress, Term.number)
            .join(Term)
            .join(Mandate, Mandate.term_id == Term.id)
            .where(Mandate.person_id == person.id)
        )
        await claim(session, person, held.all())
    # The directory lists the person's name and composition fields with every mandate.
    for mandate_id in await session.scalars(select(Mandate.id).where(Mandate.person_id == person.id)):
        await directory.mandate_changed(session, office_code(session), mandate_id)
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
    for check in deletion_checks():  # records other modules keep of the person (e.g. committee seats)
        if reason := await check(session, person.id):
            raise Conflict(f"“{person.name}”{reason},不能删除", code="person_has_history")
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
