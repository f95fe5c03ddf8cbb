from __future__ import annotations

import uuid

import msgspec


class MembershipOut(msgspec.Struct):
    tenant_code: str
    tenant_name: str
    tenant_level: str
    tenant_status: str
    roles: list[str]


class MeOut(msgspec.Struct):
    id: uuid.UUID
    display_name: str
    is_platform_admin: bool
    memberships: list[MembershipOut]
