"""How the audit log names reception rules, rosters and reception records."""

from __future__ import annotations

from sqlalchemy import cast, func
from sqlalchemy.types import String

from renda.modules.audit.service import register_entity
from renda.modules.opinions.service import format_ticket
from renda.modules.receptions.models import EXCEPTION_KINDS, REMINDER_STATES, ROSTER_SOURCES, RULE_KINDS, Reception
from renda.modules.receptions.schemas import CATEGORIES

WEEKDAYS = "一二三四五六日"

register_entity(
    "reception_rules",
    "接待规则",
    fields={
        "kind": "规则",
        "days": "接待日",
        "per_month": "每月进站次数",
        "per_quarter_home": "每季回家次数",
        "home_station_id": "代表之家",
        "valid_from": "生效日期",
        "valid_to": "失效日期",
    },
    values={"kind": RULE_KINDS},
    formats={"days": lambda days: "、".join(str(day) for day in days) or "空"},
)
register_entity("reception_exceptions", "接待日调整", fields={"kind": "调整"}, values={"kind": EXCEPTION_KINDS})
register_entity(
    "roster_entries",
    "接待排班",
    fields={"source": "排班方式", "reminder_status": "提醒情况", "reminded_at": "提醒时间"},
    values={"source": ROSTER_SOURCES, "reminder_status": REMINDER_STATES},
    hidden={"directory_mandate_id"},  # a deputy of another office, named by the register's directory
)
register_entity(
    "receptions",
    "接待记录",
    fields={
        "held_on": "接待日期",
        "off_schedule": "非接待日接待",
        "visitor_name": "来访群众",
        "visitor_count": "来访人数",
        "visitor_phone_encrypted": "来访群众电话",
        "visitor_phone_masked": "来访群众电话(部分隐藏)",
        "issue": "反映问题",
        "category": "问题类别",
        "place": "接待地点",
        "handling": "处理情况",
        "opinion_ticket": "群众意见编号",
        "recorded_by": "记录人",
    },
    values={"category": CATEGORIES},
    refs={"opinion_id": "opinions", "recorded_by": "users"},
    formats={"opinion_ticket": format_ticket},
    hidden={"visitor_phone_hash"},  # the same secret as the phone number, kept to find repeat visitors
    title=func.concat(cast(Reception.held_on, String), " ", Reception.visitor_name),
    link="/t/{code}/receptions/records/{id}",
)
register_entity(
    "reception_deputies",
    "接待代表",
    fields={"reception_id": "接待记录", "position": "顺序"},
    hidden={"directory_mandate_id"},
)
