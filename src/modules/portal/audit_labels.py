"""How the audit log names deputies' public commitments and the portal's contact details."""

from __future__ import annotations

from renda.modules.audit.service import register_entity

register_entity("deputy_commitments", "履职承诺", fields={"text": "承诺内容", "is_public": "公开", "position": "排序"})
register_entity(
    "portal_settings",
    "公开页面设置",
    fields={"contact_phone": "联系电话", "contact_address": "联系地址", "contact_hours": "办公时间", "notice": "公告"},
)
