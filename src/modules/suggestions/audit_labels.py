"""How the audit log names suggestions, their drafts and every part of their handling."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules.audit.service import register_entity, register_reference, uuid_keys
from renda.modules.suggestions.common import CATEGORIES
from renda.modules.suggestions.models import (
    CHECKPOINT_STAGES,
    COSIGNER_STATUSES,
    DRAFT_SOURCES,
    DRAFT_STATUSES,
    FOLLOW_UP_STATUSES,
    KINDS,
    MEETING_FORMS,
    MEETING_STAGES,
    RATINGS,
    REPLY_CLASSES,
    REQUEST_KINDS,
    REQUEST_STATUSES,
    RETURN_REASONS,
    STATUSES,
    STEP_KINDS,
    UNIT_ROLES,
    Suggestion,
    SuggestionDraft,
)
from renda.modules.suggestions.public_board import PUBLIC_FIELDS
from renda.modules.suggestions.settings import BOUNDS


async def _suggestions(session: AsyncSession, ids: Collection[str]) -> Mapping[str, tuple[str, str | None]]:
    """A suggestion by its number of the year, when it has one, and its title."""
    rows = await session.execute(
        select(Suggestion.id, Suggestion.year, Suggestion.seq, Suggestion.title).where(
            Suggestion.id.in_(uuid_keys(ids))
        )
    )
    return {
        str(sid): (f"{year}年第{seq}号 {title}" if seq else title, "/t/{code}/suggestions/items/" + str(sid))
        for sid, year, seq, title in rows
    }


register_reference("suggestions", _suggestions)
register_entity(
    "suggestion_drafts",
    "建议草稿",
    fields={"deputy_person_id": "代表"},
    values={"source": DRAFT_SOURCES, "status": DRAFT_STATUSES},
    hidden={"source_id"},  # the id of what it came from (see 来源)
    title=SuggestionDraft.title,
    link="/t/{code}/suggestions/{id}",
)
register_entity(
    "suggestion_settings",
    "建议办理规则",
    fields={
        **{field: label for field, (label, *_rest) in BOUNDS.items()},
        "extension_needs_approval": "延期须经代表工作人员审批",
        "share_similar": "重复建议比对时与上下级人大互相查看",
        "public_board": "在门户公开建议办理情况",
        "public_fields": "公开栏显示的内容",
    },
    values={"public_fields": PUBLIC_FIELDS},
)
register_entity(
    "suggestions",
    "代表建议",
    fields={
        "seq": "编号",
        "kind": "类型",
        "during_session": "大会期间提出",
        "lead_person_id": "领衔代表",
        "lead_mandate_id": "领衔代表资格",
        "draft_id": "建议草稿",
        "broad": "涉及面广",
        "filed_at": "提交时间",
        "accepted_at": "立案时间",
        "return_reason": "退回原因",
        "return_note": "退回说明",
        "merged_into_id": "并入",
        "opinion_id": "转为群众意见",
        "lead_unit_id": "主办单位",
        "assigned_at": "交办时间",
        "reply_class": "答复类别",
        "reply_text": "答复内容",
        "reply_commitments": "承诺事项",
        "replied_at": "答复时间",
        "replied_on_time": "按期答复",
        "rating_due": "评价截止日期",
        "rating": "代表评价",
        "rating_comment": "评价意见",
        "rated_at": "评价时间",
        "is_key": "重点建议",
        "key_leader": "督办领导",
        "key_leader_title": "督办领导职务",
        "key_chosen_at": "列为重点建议时间",
        "follow_up": "跟踪落实",
        "resolved_at": "落实时间",
        "carried_to_year": "结转至年度",
        "public_hidden": "不在公开栏显示",
        "public_title": "公开栏标题",
        "similarity_grams": "比对用词",
    },
    values={
        "kind": KINDS,
        "category": CATEGORIES,
        "source": DRAFT_SOURCES,
        "status": STATUSES,
        "return_reason": RETURN_REASONS,
        "reply_class": REPLY_CLASSES,
        "rating": RATINGS,
        "follow_up": FOLLOW_UP_STATUSES,
    },
    refs={"opinion_id": "opinions"},
    hidden={"similarity_grams"},  # derived from the text, for finding repeated suggestions
)
register_entity(
    "suggestion_cosigners",
    "联名代表",
    fields={"mandate_id": "代表资格", "requested_at": "邀请时间", "responded_at": "答复时间"},
    values={"status": COSIGNER_STATUSES},
)
register_entity("suggestion_attachments", "建议附件", fields={"content": "文件内容"})
register_entity(
    "suggestion_units",
    "建议承办单位",
    fields={
        "role": "承办方式",
        "assigned_at": "交办时间",
        "withdrawn_at": "撤回时间",
        "opinion_due": "协办意见期限",
        "opinion": "协办意见",
        "opinion_at": "协办意见时间",
    },
    values={"role": UNIT_ROLES},
)
register_entity(
    "suggestion_meetings",
    "见面沟通",
    fields={"held_on": "见面日期", "form": "见面方式"},
    values={"stage": MEETING_STAGES, "form": MEETING_FORMS},
)
register_entity(
    "suggestion_requests",
    "建议办理申请",
    fields={"new_deadline": "申请延至", "decision_note": "审批意见"},
    values={"kind": REQUEST_KINDS, "status": REQUEST_STATUSES},
)
register_entity(
    "suggestion_checkpoints",
    "重点督办节点",
    fields={"due_on": "计划日期", "done_on": "完成日期"},
    values={"stage": CHECKPOINT_STAGES},
)
register_entity(
    "suggestion_follow_ups",
    "回头看",
    fields={"checked_on": "检查日期", "progress": "落实情况", "resolved": "已落实"},
)
register_entity("suggestion_steps", "建议办理环节", fields={"kind": "环节"}, values={"kind": STEP_KINDS})
