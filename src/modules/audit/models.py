"""Audit tables: one in each tenant schema, one in the platform schema for the registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from renda.core.db import PlatformBase, TenantBase, UUIDPrimaryKey, utcnow


class _AuditColumns(UUIDPrimaryKey):
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    tenant_code: Mapped[str | None] = mapped_column(String(9))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class AuditLog(_AuditColumns, TenantBase):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)


class PlatformAuditEvent(_AuditColumns, PlatformBase):
    __tablename__ = "audit_events"


AUDIT_MODELS = (AuditLog, PlatformAuditEvent)
ACTION_LABELS = {"create": "新增", "update": "修改", "delete": "删除"}
ENTITY_LABELS: dict[str, str] = {
    "tenants": "机关",
    "users": "用户",
    "memberships": "机关成员",
    "api_tokens": "接口令牌",
    "exports": "导出任务",
    "congresses": "人民代表大会",
    "terms": "届次",
    "persons": "代表",
    "mandates": "代表资格",
    "mandate_events": "代表资格变动",
    "committee_members": "常委会组成人员",
    "bodies": "专门委员会/工作委员会",
    "body_members": "委员会组成人员",
    "deputy_groups": "代表小组",
    "group_memberships": "代表小组成员",
    "stations": "家站室",
    "station_assignments": "进家入站",
    "contact_settings": "联系代表设置",
    "contact_assignments": "联系代表安排",
    "contact_township_assignments": "督导乡镇安排",
    "contact_sector_links": "专委会联系界别",
    "contact_proposals": "联系安排建议方案",
    "contact_proposal_items": "建议方案条目",
    "contact_records": "联系记录",
    "contact_record_deputies": "联系记录代表",
    "contact_issues": "反映问题",
    "contact_attachments": "联系记录附件",
    "contact_meetings": "常委会会议",
    "contact_meeting_invitations": "邀请列席",
    "reception_rules": "接待规则",
    "reception_exceptions": "接待日调整",
    "roster_entries": "接待排班",
    "receptions": "接待记录",
    "reception_deputies": "接待代表",
    "handling_units": "承办单位",
    "handling_unit_users": "承办单位经办人",
    "opinions": "群众意见",
    "opinion_steps": "意见办理环节",
    "opinion_sms": "意见反馈短信",
    "suggestion_drafts": "建议草稿",
    "deputy_commitments": "履职承诺",
    "duty_activities": "履职活动",
    "duty_attendances": "履职活动出席情况",
    "duty_evidence": "履职佐证",
    "duty_evidence_files": "履职佐证文件",
    "portal_settings": "公开页面设置",
    "notifications": "通知",
    "notification_deliveries": "通知发送",
    "duty_store_items": "积分超市物品",
    "duty_redemptions": "积分兑换",
}
