"""How one entry's values read: local times, 是/否, 空, enum names, (已隐藏), names of what ids point to,
and who acted (a person by name, 系统 for the system's jobs)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from renda.modules.audit import labels as registry
from renda.modules.audit.models import AuditLog
from renda.modules.audit.readable import (
    Actor,
    Shown,
    actor_of,
    details_format,
    format_value,
    readable,
    table_of,
    wanted_names,
)


def value(entity: str, field: str, stored: object, names: dict | None = None) -> str:
    labels = registry.entity(entity)
    return format_value(labels, table_of(labels), field, stored, names).text


def test_values_read_as_people_write_them() -> None:
    # Stored in UTC, shown in Asia/Shanghai (eight hours ahead, across midnight here).
    assert value("duty_activities", "starts_at", "2026-12-04 19:30:29.098415+00:00") == "2026-12-05 03:30"
    assert value("duty_activities", "starts_at", "2026-12-12 09:00:00+08:00") == "2026-12-12 09:00"
    assert value("terms", "starts_on", "2026-10-01") == "2026-10-01"
    assert value("stations", "is_active", True) == "是"
    assert value("stations", "is_active", False) == "否"
    assert value("stations", "address", None) == "空"
    assert value("persons", "gender", "female") == "女"
    assert value("persons", "public_fields", ["name", "gender", "levels"]) == "姓名、性别、代表层级"
    assert value("mandates", "status", "suspended") == "暂停执行职务"
    assert value("duty_activities", "hours", "6.0") == "6"
    assert value("notification_settings", "quiet_start", "22:00:00") == "22:00"
    assert value("stations", "reception_days", [10, 20, 30]) == "10日、20日、30日"
    assert value("contact_records", "recorded_by", f"user:{uuid.uuid4()}:陈明") == "陈明"
    assert value("contact_records", "recorded_by", "system:demo:演示数据") == "系统"


def test_redacted_fields_and_ids_are_never_shown_as_stored() -> None:
    assert value("persons", "mobile_encrypted", "***") == "(已隐藏)"
    assert value("persons", "photo", "***") == "(已隐藏)"
    # A field that is not redacted keeps whatever a person typed, stars included.
    assert value("persons", "workplace", "***") == "***"
    person = str(uuid.uuid4())
    names = {("persons", person): Shown("王建国", f"/t/610922/deputies/{person}")}
    assert format_value(
        registry.entity("mandates"), table_of(registry.entity("mandates")), "person_id", person, names
    ) == (Shown("王建国", f"/t/610922/deputies/{person}"))
    # An id whose object is gone, or that names nothing declared, reads as gone, never as the id.
    assert value("mandates", "person_id", str(uuid.uuid4()), names) == "(已不存在)"
    assert value("suggestion_drafts", "source_id", str(uuid.uuid4())) == "(已不存在)"


def test_who_acted() -> None:
    assert actor_of(f"user:{uuid.uuid4()}:张敏(演示)") == Actor("张敏(演示)")
    assert actor_of("system:worker:导出服务") == Actor("系统", True, "导出服务")
    assert actor_of("system:duty-rating") == Actor("系统", True, None)  # no English shown
    assert actor_of("system") == Actor("系统", True, None)
    assert actor_of("public:群众") == Actor("群众")
    assert actor_of("public:群众(短信评价链接)").name == "群众"
    assert actor_of("anonymous").name == "未登录的访问者"


def test_an_update_reads_field_old_to_new_in_column_order() -> None:
    entry = AuditLog(
        at=datetime(2026, 12, 4, 2, 0, tzinfo=UTC),
        actor=f"user:{uuid.uuid4()}:张敏",
        action="update",
        entity="mandates",
        entity_id=str(uuid.uuid4()),
        changes={"status": ["active", "ended"], "ended_on": [None, "2026-12-01"], "end_reason": [None, "resigned"]},
    )
    shown = readable(entry, {})
    assert shown.actor.name == "张敏" and shown.action == "修改" and shown.entity == "代表资格"
    assert shown.as_text().splitlines() == [
        "状态: 在任 → 已终止",
        "终止日期: 空 → 2026-12-01",
        "终止原因: 空 → 辞职被接受",
    ]


def test_a_creation_lists_its_fields_without_ids_or_empty_ones() -> None:
    person, term = str(uuid.uuid4()), str(uuid.uuid4())
    entry = AuditLog(
        at=datetime(2026, 12, 4, 2, 0, tzinfo=UTC),
        actor="system:demo:演示数据",
        action="create",
        entity="mandates",
        entity_id=str(uuid.uuid4()),
        changes={
            "id": str(uuid.uuid4()),
            "person_id": person,
            "term_id": term,
            "level": "county",
            "by_election": False,
        },
    )
    assert wanted_names([entry]) == {"mandates": {entry.entity_id}, "persons": {person}, "terms": {term}}
    names = {("persons", person): Shown("王建国"), ("terms", term): Shown("石泉县人民代表大会第十九届")}
    assert readable(entry, names).as_text().splitlines() == [
        "代表: 王建国",
        "届次: 石泉县人民代表大会第十九届",
        "代表层级: 县人大代表",
        "补选产生: 否",
    ]


def test_details_read_by_their_labels() -> None:
    detail = details_format({"status": "状态", "note": "说明"}, {"status": {"active": "在任", "ended": "已终止"}})
    assert detail({"status": ["active", "ended"], "note": "本人申请", "replaces": str(uuid.uuid4())}) == (
        "状态: 在任 → 已终止;说明: 本人申请"
    )
    assert detail({}) == "空"
