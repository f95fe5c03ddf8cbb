"""How the audit log names the standing committee, its bodies, deputy groups and stations."""

from __future__ import annotations

from renda.modules.audit.service import register_entity
from renda.modules.organisation.common import BODY_ROLE_LABELS
from renda.modules.organisation.models import (
    BODY_KINDS,
    COMMITTEE_POSITIONS,
    GROUP_KINDS,
    STATION_KINDS,
    Body,
    CommitteeMember,
    DeputyGroup,
    Station,
)

# A member's role reads the same in both kinds of body except the chair's title.
BODY_ROLES = {**BODY_ROLE_LABELS["working_commission"], "chair": "主任(主任委员)", "vice_chair": "副主任(副主任委员)"}

register_entity(
    "committee_members",
    "常委会组成人员",
    fields={
        "name": "姓名",
        "position": "职务",
        "on_council": "主任会议成员",
        "user_id": "登录账号",
        "started_on": "任职日期",
        "ended_on": "离任日期",
    },
    values={"position": COMMITTEE_POSITIONS},
    refs={"user_id": "users"},
    title=CommitteeMember.name,
    link="/t/{code}/organisation/committee/{id}",
)
register_entity(
    "bodies",
    "专门委员会/工作委员会",
    fields={"kind": "类别", "description": "职责"},
    values={"kind": BODY_KINDS},
    title=Body.name,
    link="/t/{code}/organisation/bodies/{id}",
)
register_entity(
    "body_members",
    "委员会组成人员",
    fields={"name": "姓名", "role": "职务"},
    values={"role": BODY_ROLES},
)
register_entity(
    "deputy_groups",
    "代表小组",
    fields={"kind": "类别", "leader_person_id": "组长"},
    values={"kind": GROUP_KINDS},
    refs={"township_code": "township"},
    title=DeputyGroup.name,
    link="/t/{code}/organisation/groups/{id}",
)
register_entity(
    "group_memberships",
    "代表小组成员",
    fields={"group_kind": "小组类别"},
    values={"group_kind": GROUP_KINDS},
    hidden={"directory_mandate_id"},  # a deputy of another office, named by the register's directory
)
register_entity(
    "stations",
    "家站室",
    fields={
        "kind": "类别",
        "address": "地址",
        "reception_days": "接待日(每月)",
        "opening_rules": "开放安排",
        "is_active": "启用",
    },
    values={"kind": STATION_KINDS},
    refs={"township_code": "township"},
    formats={"reception_days": lambda days: "、".join(f"{day}日" for day in days) or "空"},
    title=Station.name,
    link="/t/{code}/organisation/stations/{id}",
)
register_entity("station_assignments", "进家入站", hidden={"directory_mandate_id"})
