"""How the audit log names the contact assignments, contact records and invited attendance."""

from __future__ import annotations

from sqlalchemy import case, cast, func
from sqlalchemy.types import String

from renda.modules.audit.service import register_entity
from renda.modules.contacts.models import (
    ATTENDANCE_STATUSES,
    BEHIND_RULES,
    MODES,
    PROPOSAL_KINDS,
    AssignmentProposal,
    AttendanceMeeting,
    ContactRecord,
)

register_entity(
    "contact_settings",
    "联系代表设置",
    fields={
        "min_per_member": "每人至少联系代表数",
        "max_per_member": "每人至多联系代表数",
        "behind_rule": "进度提醒规则",
    },
    values={"behind_rule": BEHIND_RULES},
)
register_entity("contact_assignments", "联系代表安排")
register_entity("contact_township_assignments", "督导乡镇安排", refs={"township_code": "township"})
register_entity("contact_sector_links", "专委会联系界别", fields={"sector": "界别/行业"})
register_entity(
    "contact_proposals",
    "联系安排建议方案",
    fields={"kind": "方案类别", "source_term_id": "结转自届次"},
    values={"kind": PROPOSAL_KINDS},
    title=case(PROPOSAL_KINDS, value=AssignmentProposal.kind, else_="建议方案"),
    link="/t/{code}/contacts/proposals/{id}",
)
register_entity(
    "contact_proposal_items", "建议方案条目", fields={"proposal_id": "建议方案"}, refs={"township_code": "township"}
)
register_entity(
    "contact_records",
    "联系记录",
    fields={
        "member_name": "组成人员",
        "contacted_on": "联系日期",
        "mode": "联系方式",
        "topics": "联系内容",
        "summary": "情况摘要",
    },
    values={"mode": MODES},
    title=func.concat(ContactRecord.member_name, " ", cast(ContactRecord.contacted_on, String)),
    link="/t/{code}/contacts/records/{id}",
)
register_entity("contact_record_deputies", "联系记录代表", fields={"assigned": "固定联系的代表"})
register_entity(
    "contact_issues",
    "反映问题",
    fields={"opinion_ticket": "群众意见编号", "suggestion_draft_id": "建议草稿", "converted_at": "转办时间"},
    refs={"opinion_id": "opinions", "suggestion_draft_id": "suggestion_drafts"},
)
register_entity("contact_attachments", "联系记录附件", fields={"content": "文件内容"})
register_entity(
    "contact_meetings",
    "常委会会议",
    fields={"number": "会次", "title": "议题", "held_on": "会议日期", "observers": "旁听人数", "notes": "备注"},
    formats={"number": lambda n: f"第{n}次会议"},
    title=AttendanceMeeting.title,
    link="/t/{code}/contacts/meetings/{id}",
)
register_entity(
    "contact_meeting_invitations",
    "邀请列席",
    fields={"status": "列席情况", "spoke": "发言", "speech": "发言内容", "invited_at": "邀请时间"},
    values={"status": ATTENDANCE_STATUSES},
)
