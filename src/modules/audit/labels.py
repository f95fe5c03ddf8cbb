"""What the audit log calls things in Chinese: each module declares its tables in its own
`audit_labels.py` (the entity's name, its fields' labels, the names of enum values, how to name one of
its rows and where its page is), imported on first use like the notification kinds and the metrics.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from renda.modules import import_module_parts

ACTION_LABELS = {"create": "新增", "update": "修改", "delete": "删除"}

# Labels every table shares unless it says otherwise: one concept, one name, in every module.
COMMON_FIELDS: dict[str, str] = {
    "name": "名称",
    "title": "标题",
    "note": "备注",
    "notes": "备注",
    "status": "状态",
    "kind": "类型",
    "year": "年度",
    "description": "说明",
    "content": "内容",
    "reason": "原因",
    "category": "类别",
    "source": "来源",
    "position": "排序",
    "round": "轮次",
    "stage": "阶段",
    "hours": "时长(小时)",
    "points": "积分",
    "person_id": "代表",
    "term_id": "届次",
    "station_id": "家站室",
    "unit_id": "承办单位",
    "opinion_id": "群众意见",
    "suggestion_id": "代表建议",
    "record_id": "联系记录",
    "committee_member_id": "常委会组成人员",
    "body_id": "委员会",
    "group_id": "代表小组",
    "mandate_id": "代表资格",
    "meeting_id": "常委会会议",
    "activity_id": "履职活动",
    "rating_id": "星级评价",
    "user_id": "用户",
    "township_code": "乡镇",
    "starts_on": "开始日期",
    "ends_on": "结束日期",
    "held_on": "日期",
    "day": "日期",
    "deadline": "办理期限",
    "actor": "操作人",
    "created_by": "创建人",
    "recorded_by": "记录人",
    "recorded_at": "记录时间",
    "requested_by": "申请人",
    "requested_at": "申请时间",
    "handled_by": "处理人",
    "handled_at": "处理时间",
    "decided_by": "决定人",
    "decided_at": "决定时间",
    "reviewed_by": "审核人",
    "reviewed_at": "审核时间",
    "submitted_by": "提交人",
    "submitted_at": "提交时间",
    "uploaded_by": "上传人",
    "updated_by": "修改人",
    "closed_at": "办结时间",
    "filename": "文件名",
    "content_type": "文件类型",
    "size": "文件大小(字节)",
    "is_active": "启用",
    "active": "启用",
    "attempts": "尝试次数",
    "last_error": "最近一次错误",
    "sent_at": "发送时间",
    "address_masked": "发送地址",
    "not_before": "最早发送时间",
}
# Columns no reader needs: the row's own id (the log names the object), bookkeeping of the job queue,
# search keys derived from a name.
COMMON_HIDDEN = frozenset({"id", "created_at", "updated_at", "lease_until", "name_pinyin", "name_initials"})

# A reference kind's names for the given keys: key → (text, link path or None); `{code}` in a link is
# the office's code.
Resolver = Callable[[AsyncSession, Collection[str]], Awaitable[Mapping[str, tuple[str, str | None]]]]


@dataclass(frozen=True)
class EntityLabels:
    entity: str  # the table's name, as the log records it
    name: str  # Chinese
    fields: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)  # field → stored value → label
    refs: Mapping[str, str] = field(default_factory=dict)  # field → reference kind, beyond the foreign keys
    hidden: frozenset[str] = frozenset()
    title: ColumnElement[Any] | None = None  # names one row: a column or an expression on the table
    link: str | None = None  # "/t/{code}/deputies/{id}": `code`, and columns of the table
    formats: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)  # field → special formatting
    platform: bool = False  # the table is in the platform schema
    # The column that names a row, when it is a plain column: a deleted row's name is then still in
    # the log's record of its creation.
    title_field: str | None = None

    def label(self, name: str) -> str | None:
        return self.fields.get(name) or COMMON_FIELDS.get(name)

    def shows(self, name: str) -> bool:
        return name not in self.hidden and name not in COMMON_HIDDEN


_entities: dict[str, EntityLabels] = {}
_resolvers: dict[str, Resolver] = {}
_loaded = False


def register_entity(
    entity: str,
    name: str,
    *,
    fields: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[Any, str]] | None = None,
    refs: Mapping[str, str] | None = None,
    hidden: Collection[str] = (),
    title: ColumnElement[Any] | Any | None = None,
    link: str | None = None,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
    platform: bool = False,
) -> EntityLabels:
    """Declare how the log shows a table's rows (called by each module's `audit_labels.py`)."""
    labels = EntityLabels(
        entity,
        name,
        dict(fields or {}),
        {key: dict(mapping) for key, mapping in (values or {}).items()},
        dict(refs or {}),
        frozenset(hidden),
        title,
        link,
        dict(formats or {}),
        platform,
        title.key if isinstance(title, InstrumentedAttribute) else None,
    )
    _entities[entity] = labels
    return labels


def register_reference(kind: str, resolve: Resolver) -> None:
    """A reference that is not a row of a registered table (a township by its division code)."""
    _resolvers[kind] = resolve


def load_labels() -> None:
    global _loaded
    if not _loaded:
        import_module_parts("audit_labels")
        _loaded = True


def entities() -> dict[str, EntityLabels]:
    load_labels()
    return _entities


def entity(name: str) -> EntityLabels:
    """A table's labels; a table nobody declared still gets a name that is not its English one."""
    return entities().get(name) or EntityLabels(name, "其他记录")


def resolvers() -> dict[str, Resolver]:
    load_labels()
    return _resolvers


def entity_labels() -> dict[str, str]:
    return {name: labels.name for name, labels in entities().items()}
