"""Roles, permissions, and the guards every route declares.

Every route handler carries exactly one guard made here: `requires("<area>.<action>")`,
`authenticated` or `public`. The route test fails any handler without one. Each of them also checks
the CSRF token of a state-changing request from a signed-in browser (`core.auth.csrf_protect`): one
guard per route, because Litestar copies the route handler for every guard it runs.

A tenant route (one with a `{code}` path parameter) resolves the office once, here, before the
handler runs: unknown office 404, suspended office 403, then the caller's roles there. A membership
in an ancestor office (a city over its counties, a county over its townships) grants the `.read`
permissions of its roles, never a write.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from renda.core.auth import csrf_protect
from renda.core.errors import NotAuthenticated, PermissionDenied

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


class Role:
    PLATFORM_ADMIN = "platform_admin"
    OFFICE_ADMIN = "office_admin"
    STAFF = "staff"
    COMMITTEE_MEMBER = "committee_member"
    DEPUTY = "deputy"
    HANDLING_UNIT = "handling_unit"
    VIEWER = "viewer"


OFFICE_ROLES = (Role.OFFICE_ADMIN, Role.STAFF, Role.COMMITTEE_MEMBER, Role.DEPUTY, Role.HANDLING_UNIT, Role.VIEWER)
ROLE_LABELS = {
    Role.PLATFORM_ADMIN: "平台管理员",
    Role.OFFICE_ADMIN: "机关管理员",
    Role.STAFF: "代表工作人员",
    Role.COMMITTEE_MEMBER: "常委会组成人员",
    Role.DEPUTY: "人大代表",
    Role.HANDLING_UNIT: "承办单位",
    Role.VIEWER: "只读用户",
}

# "*" grants every permission of the office; "area.*" every action in an area.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OFFICE_ADMIN: frozenset({"*"}),
    Role.STAFF: frozenset(
        {
            "office.read",
            "audit.read",
            "exports.read",
            "exports.write",
            "deputies.*",
            "organisation.*",
            "reports.read",
            "notifications.*",
            "inbox.*",
            "contacts.*",
            "contact_reports.read",
            "receptions.*",
            "opinions.*",
            "suggestions.*",
            "duty.*",
        }
    ),
    Role.COMMITTEE_MEMBER: frozenset(
        {
            "office.read",
            "exports.read",
            "exports.write",
            "deputies.read",
            "organisation.read",
            "reports.read",
            "inbox.*",
            # Their own contact records and the deputies assigned to them (the service checks whose).
            "contacts.read",
            "contacts.write",
            "receptions.read",
            "opinions.read",
            "suggestions.read",
            "duty.read",
        }
    ),
    # A deputy records the receptions they hold and follows the opinions addressed to them.
    # A deputy files and co-signs suggestions and rates the replies to their own (the service checks whose).
    Role.DEPUTY: frozenset(
        {
            "office.read",
            "inbox.*",
            "receptions.read",
            "receptions.write",
            "opinions.read",
            "suggestions.read",
            "suggestions.write",
            # Their own points, evidence, sign-ins, self-assessment, archive and redemptions.
            "duty.read",
            "duty.write",
        }
    ),
    # A handling unit sees and answers only the opinions assigned to it (the service checks which).
    Role.HANDLING_UNIT: frozenset(
        {"office.read", "inbox.*", "opinions.read", "opinions.write", "suggestions.read", "suggestions.write"}
    ),
    Role.VIEWER: frozenset(
        {
            "office.read",
            "audit.read",
            "exports.read",
            "exports.write",
            "deputies.read",
            "organisation.read",
            "reports.read",
            "notifications.read",
            "inbox.*",
            "contacts.read",
            "contact_reports.read",
            "receptions.read",
            "opinions.read",
            "suggestions.read",
            "duty.read",
        }
    ),
}


# Every office permission a route may declare, with the label shown when granting API token scopes.
PERMISSION_LABELS: dict[str, str] = {
    "office.read": "查看机关首页",
    "audit.read": "查看操作日志",
    "exports.read": "查看和下载导出文件",
    "exports.write": "发起导出",
    "members.read": "查看成员和邀请",
    "members.write": "邀请和移除成员",
    "api_tokens.read": "查看接口令牌",
    "api_tokens.write": "签发和吊销接口令牌",
    "deputies.read": "查看代表名册和统计",
    "deputies.write": "维护代表名册(届次、代表、代表资格、导入)",
    "organisation.read": "查看常委会、代表小组和家站室",
    "organisation.write": "维护常委会、代表小组和家站室",
    "reports.read": "查看统计报表和下级机关汇总",
    "notifications.read": "查看本机关通知的发送情况",
    "notifications.write": "重发失败的通知、维护通知模板",
    "inbox.read": "查看自己的通知",
    "inbox.write": "标记自己的通知已读、设置接收方式",
    "contacts.read": "查看联系代表安排、联系记录和列席情况",
    "contacts.write": "维护联系代表安排、联系记录和邀请列席",
    # Committee members hold contacts.read but see only their own figures; these exports hold everyone's.
    "contact_reports.read": "导出全体组成人员和代表的联系情况报表",
    "receptions.read": "查看接待日历、排班和接待记录",
    "receptions.write": "维护接待规则、排班和接待记录",
    "opinions.read": "查看群众意见及办理情况",
    "opinions.write": "受理、交办、督办和答复群众意见",
    "suggestions.read": "查看代表建议、议案及办理情况",
    "suggestions.write": "提出、审查、交办、办理、督办和评价代表建议",
    "duty.read": "查看履职活动、积分、星级评价和履职档案",
    "duty.write": "记录履职活动和签到、核实佐证、维护积分规则、评价星级、兑换积分",
}
# What an integration token may be given: never the power to manage people or other tokens, and
# never a person's own inbox.
TOKEN_SCOPES = frozenset(p for p in PERMISSION_LABELS if not p.startswith(("members.", "api_tokens.", "inbox.")))


def is_read(permission: str) -> bool:
    return permission.endswith(".read")


def roles_grant(roles: frozenset[str] | set[str], permission: str) -> bool:
    area = permission.split(".", 1)[0]
    for role in roles:
        granted = ROLE_PERMISSIONS.get(role, frozenset())
        if "*" in granted or permission in granted or f"{area}.*" in granted:
            return True
    return False


# How a guard finds the caller's access to an office: `renda.tenants.scoping` registers it, so core
# stays beneath tenants (no import of the layer above, not even inside a function).
_resolve_access: Callable[[str, Any], Awaitable[Any]] | None = None


def use_access_resolver(resolver: Callable[[str, Any], Awaitable[Any]]) -> None:
    global _resolve_access
    _resolve_access = resolver


def requires(permission: str) -> Guard:
    """Guard: the caller holds `permission` in the office of the path (or on the platform)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = connection.scope.get("user")
        if principal is None:
            raise NotAuthenticated()
        await csrf_protect(connection)
        code = connection.path_params.get("code")
        if permission.startswith("platform."):
            if not principal.is_platform_admin:
                raise PermissionDenied("只有平台管理员可以执行此操作")
            return
        if code is None:
            raise RuntimeError(f"route {connection.url.path} declares {permission} but has no office code")
        if _resolve_access is None:
            raise RuntimeError("no office access resolver: renda.tenants.scoping is not loaded")
        access = await _resolve_access(str(code), principal)
        access.require(permission)
        connection.state.tenant_access = access

    guard.permission = permission  # type: ignore[attr-defined]
    return guard


async def authenticated(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: any signed-in user (their own profile, the office switcher)."""
    if connection.scope.get("user") is None:
        raise NotAuthenticated()
    await csrf_protect(connection)


async def public(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: deliberately open to everyone (health checks, sign-in pages, the public portal); a
    signed-in browser's posts still carry its CSRF token."""
    await csrf_protect(connection)


authenticated.permission = "authenticated"  # type: ignore[attr-defined]
public.permission = "public"  # type: ignore[attr-defined]


def declared_permission(handler: BaseRouteHandler) -> str | None:
    """The permission a handler declares through its guards, for the route audit test."""
    found = [getattr(guard, "permission", None) for guard in handler.resolve_guards()]
    found = [p for p in found if p]
    return found[0] if len(found) == 1 else None
