"""How the audit log names users, memberships and tokens (platform tables; offices' rows point to users)."""

from __future__ import annotations

from renda.core.permissions import PERMISSION_LABELS, ROLE_LABELS
from renda.modules.accounts.models import User
from renda.modules.audit.service import register_entity
from renda.tenants.models import Tenant

register_entity(
    "users",
    "用户",
    fields={
        "display_name": "姓名",
        "email": "登录邮箱",
        "is_platform_admin": "平台管理员",
        "is_active": "可以登录",
        "is_demo": "演示账号",
        "contact_email": "通知邮箱",
        "mobile_encrypted": "手机号码",
        "mobile_masked": "手机号码(部分隐藏)",
        "wechat_openid": "微信",
        "signin_mobile_encrypted": "登录手机号码",
        "signin_mobile_masked": "登录手机号码(部分隐藏)",
    },
    title=User.display_name,
    platform=True,
)
register_entity(
    "memberships",
    "机关成员",
    fields={"tenant_id": "机关", "roles": "角色"},
    values={"roles": ROLE_LABELS, "source": {"manual": "管理员添加", "invitation": "邀请加入"}},
    platform=True,
)
register_entity(
    "api_tokens",
    "接口令牌",
    fields={
        "tenant_id": "机关",
        "scopes": "权限",
        "token_hash": "令牌",
        "last_used_at": "最近使用时间",
        "revoked_at": "吊销时间",
    },
    values={"scopes": PERMISSION_LABELS},
    platform=True,
)
register_entity(
    "tenants",
    "机关",
    fields={"code": "行政区划代码", "level": "层级", "parent_id": "上级机关", "status_reason": "状态说明"},
    values={
        "level": {"city": "市级", "county": "县级", "township": "乡镇级"},
        "status": {"active": "正常", "suspended": "已停用", "archived": "已归档"},
    },
    hidden={"schema_name", "path"},
    title=Tenant.name,
    platform=True,
)
