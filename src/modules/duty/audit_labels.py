"""How the audit log names activities, evidence, points, ratings, the store and the archives."""

from __future__ import annotations

from sqlalchemy import case, cast, func, select
from sqlalchemy.types import String

from renda.modules.audit.service import register_entity
from renda.modules.deputies.models import Person
from renda.modules.duty.archive_content import SECTIONS
from renda.modules.duty.events import SOURCES
from renda.modules.duty.models import (
    ACTIVITY_KINDS,
    ACTIVITY_STATUSES,
    ARCHIVE_STATUSES,
    ATTENDANCE_SOURCES,
    ATTENDANCE_STATUSES,
    AWARD_LEVELS,
    ENTRY_REASONS,
    EVENT_KINDS,
    EVIDENCE_KINDS,
    EVIDENCE_STATUSES,
    GRADES,
    POINT_CATEGORIES,
    RATING_STEPS,
    REDEMPTION_STATUSES,
    RULE_UNITS,
    TALK_STATUSES,
    Activity,
    Archive,
    Evidence,
    PointRule,
    Rating,
    StoreItem,
)


def _person_name(person_id: object) -> object:
    return select(Person.name).where(Person.id == person_id).scalar_subquery()


register_entity(
    "duty_activities",
    "履职活动",
    fields={
        "kind": "活动类别",
        "title": "活动名称",
        "place": "地点",
        "description": "活动内容",
        "starts_at": "开始时间",
        "ends_at": "结束时间",
        "organiser": "组织单位",
        "sign_in_secret": "签到码",
    },
    values={"kind": ACTIVITY_KINDS, "status": ACTIVITY_STATUSES},
    title=Activity.title,
    link="/t/{code}/duty/activities/{id}",
)
register_entity(
    "duty_attendances",
    "履职活动出席情况",
    fields={"status": "出席情况", "source": "登记方式"},
    values={"status": ATTENDANCE_STATUSES, "source": ATTENDANCE_SOURCES},
)
register_entity(
    "duty_evidence",
    "履职佐证",
    fields={
        "kind": "履职类别",
        "title": "事项",
        "occurred_on": "履职日期",
        "award_level": "表彰级别",
        "reject_reason": "退回原因",
    },
    values={"kind": EVIDENCE_KINDS, "status": EVIDENCE_STATUSES, "award_level": AWARD_LEVELS},
    title=Evidence.title,
    link="/t/{code}/duty/evidence/{id}",
)
register_entity("duty_evidence_files", "履职佐证文件", fields={"evidence_id": "履职佐证", "content": "文件内容"})
register_entity(
    "duty_point_categories",
    "积分类别",
    fields={"code": "类别", "cap": "上限", "is_bonus": "附加分"},
    values={"code": POINT_CATEGORIES},
)
register_entity(
    "duty_point_rules",
    "积分规则",
    fields={
        "event_kind": "履职事项",
        "unit": "计分单位",
        "cap": "年度上限",
        "version": "版本",
        "superseded_at": "停用时间",
    },
    values={"event_kind": EVENT_KINDS, "category": POINT_CATEGORIES, "unit": RULE_UNITS},
    title=func.concat(
        PointRule.year,
        "年 ",
        case(EVENT_KINDS, value=PointRule.event_kind, else_="积分规则"),
        " 第",
        PointRule.version,
        "版",
    ),
)
register_entity(
    "duty_point_entries",
    "积分记录",
    fields={"event_kind": "履职事项", "rule_id": "积分规则", "source_label": "事项", "occurred_on": "履职日期"},
    values={"category": POINT_CATEGORIES, "event_kind": EVENT_KINDS, "source": SOURCES, "reason": ENTRY_REASONS},
    hidden={"source_id"},  # the id of what earned the points (see 来源 and 事项)
)
register_entity(
    "duty_rating_windows",
    "星级评价安排",
    fields={
        "opens_on": "开始日期",
        "closes_on": "截止日期",
        "published_at": "公示时间",
        "published_by": "公示人",
        "public_list": "在门户公示",
    },
)
register_entity(
    "duty_ratings",
    "星级评价",
    fields={
        "step": "进度",
        "self_summary": "自评总结",
        "self_grade": "自评等次",
        "group_grade": "小组评议等次",
        "township_grade": "乡镇审核等次",
        "grade": "审定等次",
        "stars": "星级",
        "points": "年度积分",
        "advise_resign": "建议辞职",
    },
    values={
        "step": RATING_STEPS,
        "self_grade": GRADES,
        "group_grade": GRADES,
        "township_grade": GRADES,
        "grade": GRADES,
    },
    title=func.concat(_person_name(Rating.person_id), " ", Rating.year, "年度"),
    link="/t/{code}/duty/ratings/{id}",
)
register_entity(
    "duty_rating_steps",
    "星级评价环节",
    fields={"step": "环节", "grade": "等次", "note": "意见"},
    values={"step": RATING_STEPS, "grade": GRADES},
)
register_entity(
    "duty_talks",
    "提醒约谈",
    fields={"scheduled_on": "约谈日期", "place": "地点", "talker": "约谈人", "note": "约谈情况"},
    values={"status": TALK_STATUSES},
)
register_entity(
    "duty_store_items",
    "积分超市物品",
    fields={"price": "所需积分", "stock": "库存", "active": "上架"},
    title=StoreItem.name,
)
register_entity(
    "duty_redemptions",
    "积分兑换",
    fields={"item_id": "物品", "points_year": "积分年度", "quantity": "数量", "points": "所用积分"},
    values={"status": REDEMPTION_STATUSES},
)
register_entity(
    "duty_archives",
    "履职档案",
    fields={"content": "档案内容", "closed_at": "归档时间"},
    values={"status": ARCHIVE_STATUSES},
    title=func.concat(_person_name(Archive.person_id), " ", cast(Archive.year, String), "年度"),
    link="/t/{code}/duty/archives/{person_id}",
)
register_entity(
    "duty_archive_corrections",
    "履职档案更正",
    fields={"archive_id": "履职档案", "section": "部分", "content": "更正内容", "reason": "更正原因"},
    values={"section": SECTIONS},
)
