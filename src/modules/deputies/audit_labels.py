"""How the audit log names the register's tables, fields and values."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.audit.service import details_format, register_entity, register_reference, uuid_keys
from renda.modules.deputies.common import term_label
from renda.modules.deputies.models import (
    END_REASONS,
    LEVEL_LABELS,
    RESIGNATION_KINDS,
    STATUS_LABELS,
    SUSPENSION_REASONS,
    Congress,
    Mandate,
    Person,
    Term,
)
from renda.modules.deputies.schemas import EVENT_LABELS, GENDER_LABELS, PUBLIC_FIELDS
from renda.modules.deputies.terms import township_names

CONGRESS_LEVELS = {level: label.removesuffix("代表") for level, label in LEVEL_LABELS.items()}
MANDATE_FIELDS = {
    "person_id": "代表",
    "level": "代表层级",
    "constituency": "选区",
    "electoral_unit": "选举单位",
    "delegation": "代表团",
    "organised_in": "组织地",
    "starts_on": "任职起始日期",
    "status": "状态",
    "by_election": "补选产生",
    "replaces_mandate_id": "接替的代表资格",
    "ended_on": "终止日期",
    "end_reason": "终止原因",
    "resignation_kind": "辞职方式",
    "suspended_on": "暂停日期",
    "suspension_reason": "暂停原因",
}
MANDATE_VALUES = {
    "level": LEVEL_LABELS,
    "status": STATUS_LABELS,
    "end_reason": END_REASONS,
    "resignation_kind": RESIGNATION_KINDS,
    "suspension_reason": SUSPENSION_REASONS,
}


async def _townships(session: AsyncSession, codes: Collection[str]) -> Mapping[str, tuple[str, str | None]]:
    return {code: (name, None) for code, name in (await township_names(session, codes)).items()}


async def _terms(session: AsyncSession, ids: Collection[str]) -> Mapping[str, tuple[str, str | None]]:
    """第十九届 of 石泉县人民代表大会: the number in words, as every page writes it."""
    keys = uuid_keys(ids)
    rows = await session.execute(
        select(Term.id, Term.number, Congress.name)
        .join(Congress, Congress.id == Term.congress_id)
        .where(Term.id.in_(keys))
    )
    return {str(term_id): (f"{congress}{term_label(number)}", None) for term_id, number, congress in rows}


register_reference("township", _townships)

register_entity(
    "congresses",
    "人民代表大会",
    fields={"level": "层级", "division_code": "行政区划代码"},
    values={"level": CONGRESS_LEVELS},
    title=Congress.name,
)
register_reference("terms", _terms)
register_entity(
    "terms",
    "届次",
    fields={"congress_id": "人民代表大会", "number": "届次", "is_current": "本届"},
    formats={"number": term_label},
)
register_entity(
    "persons",
    "代表",
    fields={
        "name": "姓名",
        "gender": "性别",
        "ethnicity": "民族",
        "birth_date": "出生日期",
        "party": "政治面貌",
        "occupation_category": "职业类别",
        "sector": "界别/行业",
        "workplace": "工作单位",
        "position": "职务",
        "education": "学历",
        "id_number_encrypted": "身份证号码",
        "mobile_encrypted": "手机号码",
        "mobile_masked": "手机号码(部分隐藏)",
        "photo": "照片",
        "photo_type": "照片格式",
        "public_fields": "公开信息项",
        "user_id": "登录账号",
    },
    values={"gender": GENDER_LABELS, "public_fields": PUBLIC_FIELDS},
    refs={"user_id": "users"},
    hidden={"id_number_hash"},  # the same secret as the ID number, kept to find duplicates
    title=Person.name,
    link="/t/{code}/deputies/{id}",
)
register_entity(
    "mandates",
    "代表资格",
    fields=MANDATE_FIELDS,
    values=MANDATE_VALUES,
    refs={"organised_in": "township"},
    title=func.concat(
        select(Person.name).where(Person.id == Mandate.person_id).scalar_subquery(),
        "(",
        case(LEVEL_LABELS, value=Mandate.level, else_="代表"),
        ")",
    ),
    link="/t/{code}/deputies/{person_id}",
)
register_entity(
    "mandate_events",
    "代表资格变动",
    fields={"mandate_id": "代表资格", "kind": "变动", "on": "日期", "detail": "详情"},
    values={"kind": EVENT_LABELS, "reason": {**END_REASONS, **SUSPENSION_REASONS}},
    formats={
        "detail": details_format(
            {**MANDATE_FIELDS, "note": "说明", "suspended_on": "暂停日期"},
            MANDATE_VALUES,
            hidden={"replaces_mandate_id", "person_id"},
        )
    },
)
